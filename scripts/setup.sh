#!/usr/bin/env bash
# Installs what building and testing Parley needs on Debian/Ubuntu, and nothing that is
# already there. Safe to run any number of times. Sourced by run.sh and test.sh.
set -euo pipefail

log() { printf '\033[1mparley setup:\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages the build and the tests use:
# - build-essential, pkg-config, perl, make: C parts (SQLCipher with vendored OpenSSL).
SYSTEM_PACKAGES=(build-essential pkg-config perl make ca-certificates)

apt_install() {
  local recommends=--no-install-recommends
  if [ "${1:-}" = "--with-recommends" ]; then recommends=""; shift; fi
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    # apt lists may be absent on a fresh machine; update once, then install.
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq $recommends "${missing[@]}"
  fi
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    log "cargo is not installed: install Rust 1.85 or newer with rustup (https://rustup.rs) and run this again"
    exit 1
  fi
}

# What the desktop app (Tauri 2 on WebKitGTK) needs to build, and Node for its UI.
DESKTOP_PACKAGES=(libwebkit2gtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev libssl-dev)
# What its tests need: a virtual display, WebKit's WebDriver, Chromium for Playwright,
# xdotool to answer the native file dialog as a person would, and a D-Bus session bus
# with its monitor to see the notifications the app sends, and a notification server
# whose popups the desktop test clicks.
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver chromium xdotool dbus notification-daemon)

ensure_node() {
  local major=0
  command -v node >/dev/null 2>&1 && major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 18 ]; then
    apt_install nodejs npm
  fi
}

# Builds the UI the desktop app embeds (its Rust crate needs ui/dist to compile).
build_ui() {
  log "building the UI"
  # `npm install` from the lock file (npm ci refuses lock files without every
  # platform's optional packages, which this registry does not list).
  (cd ui && npm install --no-save --no-audit --no-fund --loglevel=error && npm run build --silent)
}

# The reference Data Integrity stack (Digital Bazaar's, on Node) that the interop
# end-to-end tests sign and verify with, and the Standard Webhooks library their webhook
# receiver verifies deliveries with.
install_interop() {
  log "installing the reference Data Integrity library for the interop tests"
  (cd interop && npm install --no-save --no-audit --no-fund --loglevel=error)
}

setup_desktop() {
  if command -v apt-get >/dev/null 2>&1; then
    apt_install --with-recommends "${DESKTOP_PACKAGES[@]}"
  else
    log "not a Debian/Ubuntu machine: make sure these are installed: ${DESKTOP_PACKAGES[*]}"
  fi
  ensure_node
}

setup_test_tools() {
  if command -v apt-get >/dev/null 2>&1; then
    apt_install --with-recommends "${TEST_PACKAGES[@]}"
  fi
  if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
    log "installing tauri-driver"
    cargo install tauri-driver --locked --quiet
  fi
}

# cargo-afl builds AFL++ from the sources it ships with when it is installed; the
# fuzz crate's `afl` dependency is of the same minor version.
setup_fuzzer() {
  if ! cargo afl --version >/dev/null 2>&1; then
    log "installing cargo-afl (AFL++ for Rust)"
    cargo install cargo-afl --version '~0.18' --locked --quiet
  fi
  local data="${XDG_DATA_HOME:-$HOME/.local/share}/afl.rs"
  if ! compgen -G "$data/rustc-*/afl.rs-*/afl/bin/afl-fuzz" >/dev/null; then
    log "building AFL++"
    cargo afl config --build
  fi
}

if command -v apt-get >/dev/null 2>&1; then
  apt_install "${SYSTEM_PACKAGES[@]}"
else
  log "not a Debian/Ubuntu machine: make sure these are installed: ${SYSTEM_PACKAGES[*]}"
fi
ensure_rust
setup_desktop
