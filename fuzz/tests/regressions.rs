//! Every input a fuzz target once crashed on (`regressions/<target>/`), and every seed,
//! run through its target again: each must now pass.

use std::path::PathBuf;

#[test]
fn every_regression_and_seed_passes_its_target() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut ran = 0;
    for target in parley_fuzz::TARGETS {
        let dir = root.join(target);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{} exists: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_some_and(|n| n != ".gitkeep" && n != "README.md"))
            .collect();
        inputs.sort();
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            eprintln!("{target}: {}", input.display());
            parley_fuzz::run(target, &data);
            ran += 1;
        }
    }
    for (target, name, data) in parley_fuzz::seeds() {
        eprintln!("{target}: seed {name}");
        parley_fuzz::run(target, &data);
        ran += 1;
    }
    assert!(ran >= 20, "{ran} inputs");
}
