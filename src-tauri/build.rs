//! Declares the app's own commands to Tauri's access control, so that the window's
//! capability file can grant exactly those and nothing else.

fn main() {
    let commands: Vec<&str> = include_str!("commands.txt").lines().filter(|l| !l.is_empty()).collect();
    let manifest = tauri_build::AppManifest::new().commands(Box::leak(commands.into_boxed_slice()));
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build script");
}
