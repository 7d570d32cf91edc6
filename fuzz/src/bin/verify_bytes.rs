//! AFL++ target: see `parley_fuzz::verify_bytes`.
fn main() {
    afl::fuzz!(|data: &[u8]| parley_fuzz::verify_bytes(data));
}
