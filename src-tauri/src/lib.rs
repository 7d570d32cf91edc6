//! `parley-desktop`: a thin Tauri 2 shell over `parley-agent`.
//!
//! [`commands`] are the only way the UI reaches Rust, each a call into the agent;
//! [`contract`] declares them once, for Tauri and for the TypeScript bindings;
//! [`state`] holds the open vault and settings; [`background`] syncs, locks when idle
//! and notifies. No business rule lives here.
#![forbid(unsafe_code)]

pub mod background;
pub mod commands;
mod contract;
pub mod error;
pub mod news;
pub mod state;

use parley_agent::KdfParams;
use tauri::Manager;

/// Runs the app until its window closes.
pub fn run() {
    // Cheap key derivation for test suites only, as in the CLI; release builds refuse it.
    let kdf = match KdfParams::from_env() {
        Ok(kdf) => kdf,
        Err(e) => {
            eprintln!("parley-desktop: {e}");
            std::process::exit(1);
        }
    };
    let vault_dir = match parley_agent::Vault::default_dir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("parley-desktop: {e}");
            std::process::exit(1);
        }
    };
    let state = state::AppState::new(vault_dir, kdf);
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .invoke_handler(commands::handler())
        .setup(|app| {
            app.state::<state::AppState>().set_app(app.handle().clone());
            background::start(app.handle());
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // The open vault is closed before the process exits (see `AppState::lock`).
                tauri::async_runtime::block_on(app.state::<state::AppState>().lock());
            }
        }),
        Err(e) => {
            eprintln!("parley-desktop: cannot start: {e}");
            std::process::exit(1);
        }
    }
}

/// The TypeScript side of the contract, and the command list the capability grants.
pub mod bindings {
    use std::path::Path;

    /// Writes `commands.ts`, the type files and `index.ts` into `dir`, and returns the
    /// command names (for `commands.txt` and the capability file).
    pub fn write(dir: &Path) -> Vec<&'static str> {
        let types = dir.join("types");
        let cfg = ts_rs::Config::new().with_out_dir(&types).with_large_int("number");
        let (functions, names) = crate::commands::typescript(&cfg);
        let mut index = String::from("// Generated from the Rust types by ts-rs: do not edit.\n");
        for (name, file) in &names {
            index.push_str(&format!("export type {{ {name} }} from \"./types/{}\";\n", file.display()));
        }
        // Only the types the functions name, so that the file type-checks strictly.
        let used = |name: &str| {
            functions.match_indices(name).any(|(i, _)| {
                let before = functions[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
                let after = functions[i + name.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
                before && after
            })
        };
        let imports = names.keys().filter(|n| used(n)).cloned().collect::<Vec<_>>().join(", ");
        let commands = format!(
            "// Generated from src-tauri's command list: do not edit. Regenerate with\n\
             // `PARLEY_UPDATE_BINDINGS=1 cargo test -p parley-desktop --lib bindings`.\n\
             import type {{ {imports} }} from \"./index\";\n\
             import {{ call }} from \"../ipc\";\n\n{functions}"
        );
        std::fs::write(dir.join("index.ts"), index).expect("write index.ts");
        std::fs::write(dir.join("commands.ts"), commands).expect("write commands.ts");
        crate::commands::NAMES.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    /// The capability of the main window: exactly the app's commands, and listening to
    /// the events it emits. No plugin permission: notifications are sent from Rust.
    fn capability(names: &[&str]) -> String {
        let mut permissions =
            vec!["core:event:allow-listen".to_owned(), "core:event:allow-unlisten".to_owned()];
        permissions.extend(names.iter().map(|n| format!("allow-{}", n.replace('_', "-"))));
        let value = serde_json::json!({
            "$schema": "../gen/schemas/desktop-schema.json",
            "identifier": "main",
            "description": "The main window: Parley's own commands and its events, nothing else.",
            "windows": ["main"],
            "permissions": permissions,
        });
        serde_json::to_string_pretty(&value).unwrap() + "\n"
    }

    fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(p.strip_prefix(dir).unwrap().to_owned(), std::fs::read(&p).unwrap());
                }
            }
        }
        out
    }

    /// Fails when the checked-in TypeScript bindings, command list or capability file
    /// differ from what the Rust commands and types generate.
    #[test]
    fn bindings_match_the_ui() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let committed = root.join("../ui/src/lib/bindings");
        let fresh = tempfile::tempdir().unwrap();
        let names = super::bindings::write(fresh.path());
        let mut expected = files(fresh.path());
        let mut actual = files(&committed);
        let extra = [
            (root.join("commands.txt"), names.join("\n") + "\n"),
            (root.join("capabilities/main.json"), capability(&names)),
        ];
        if std::env::var("PARLEY_UPDATE_BINDINGS").is_ok_and(|v| v == "1") {
            let _ = std::fs::remove_dir_all(&committed);
            for (path, content) in &expected {
                let to = committed.join(path);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::write(to, content).unwrap();
            }
            for (path, content) in &extra {
                std::fs::write(path, content).unwrap();
            }
            return;
        }
        for (path, content) in extra {
            expected.insert(path.clone(), content.into_bytes());
            actual.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
        }
        let differ: Vec<_> = expected
            .keys()
            .chain(actual.keys())
            .filter(|k| expected.get(*k) != actual.get(*k))
            .map(|k| k.display().to_string())
            .collect();
        assert!(
            differ.is_empty(),
            "the UI's bindings drifted from the Rust commands and types in {differ:?}: \
             regenerate with `PARLEY_UPDATE_BINDINGS=1 cargo test -p parley-desktop --lib bindings` and commit"
        );
    }
}
