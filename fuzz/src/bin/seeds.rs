//! Writes each target's starting inputs into `<dir>/<target>/`: `fuzz-seeds <dir>`.
fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: fuzz-seeds <dir>");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    for (target, name, bytes) in parley_fuzz::seeds() {
        let folder = dir.join(target);
        if let Err(e) =
            std::fs::create_dir_all(&folder).and_then(|_| std::fs::write(folder.join(name), bytes))
        {
            eprintln!("cannot write the seeds into {}: {e}", folder.display());
            std::process::exit(1);
        }
    }
}
