//! `parley-desktop`: the person's desktop app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    parley_desktop::run();
}
