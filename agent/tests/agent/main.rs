//! Integration tests of the `parley-agent` library, one module per area of `src`.

mod backup;
mod identity;
mod records;
mod search;
mod vault;

use parley_agent::{KdfParams, Passphrase, Vault};
use tempfile::TempDir;

pub fn pass(s: &str) -> Passphrase {
    Passphrase::new(s).unwrap()
}

/// A new vault in a temporary folder, with test-cheap KDF parameters.
pub async fn new_vault() -> (TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let vault =
        Vault::create(dir.path(), &pass("correct horse"), KdfParams::INSECURE_FOR_TESTS).await.unwrap();
    (dir, vault)
}

/// Every file in `dir`, concatenated: what an attacker with the folder would read.
pub fn all_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            out.extend(std::fs::read(&path).unwrap());
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
