//! Integration tests of `parley-protocol`, one module per area of `src`.

mod access_log;
mod data_integrity;
mod jcs_vectors;
mod messages;
mod properties;
mod purchase;
mod rfc8032;

use std::path::PathBuf;

pub fn vector(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read vector {}: {e}", full.display()))
}

pub fn vector_dir(dir: &str) -> Vec<(String, PathBuf)> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(dir);
    let mut out: Vec<_> = std::fs::read_dir(&full)
        .expect("vector folder exists")
        .map(|e| e.expect("readable entry").path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}
