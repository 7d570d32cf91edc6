//! AFL++ target: see `parley_fuzz::verify_message`.
fn main() {
    afl::fuzz!(|data: &[u8]| parley_fuzz::verify_message(data));
}
