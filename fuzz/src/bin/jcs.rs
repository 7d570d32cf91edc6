//! AFL++ target: see `parley_fuzz::jcs`.
fn main() {
    afl::fuzz!(|data: &[u8]| parley_fuzz::jcs(data));
}
