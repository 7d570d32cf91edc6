//! Integration tests of `parley-protocol`, one module per area of `src`.

mod access_log;
mod data_integrity;
mod jcs_vectors;
mod messages;
mod properties;
mod purchase;
mod rfc8032;
mod schema;

use std::path::PathBuf;

pub fn vector(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read vector {}: {e}", full.display()))
}

/// Checks that each of `files` in the vector folder `dir` holds exactly what this code
/// makes; with `PARLEY_WRITE_VECTORS` set, writes them afresh first. `what` names the
/// wire format a difference means has moved.
pub fn check_vectors(dir: &str, files: Vec<(&str, String)>, what: &str) {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(dir);
    for (name, content) in files {
        if std::env::var_os("PARLEY_WRITE_VECTORS").is_some() {
            std::fs::write(full.join(name), &content).unwrap();
        }
        assert_eq!(
            String::from_utf8(vector(&format!("{dir}/{name}"))).unwrap(),
            content,
            "{name} changed: the wire format of {what} moved"
        );
    }
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
