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
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    # apt lists may be absent on a fresh machine; update once, then install.
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
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

if command -v apt-get >/dev/null 2>&1; then
  apt_install "${SYSTEM_PACKAGES[@]}"
else
  log "not a Debian/Ubuntu machine: make sure these are installed: ${SYSTEM_PACKAGES[*]}"
fi
ensure_rust
