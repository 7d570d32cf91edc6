//! AFL++ target: see `parley_fuzz::vendor_request`.
fn main() {
    afl::fuzz!(|data: &[u8]| parley_fuzz::vendor_request(data));
}
