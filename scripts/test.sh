#!/usr/bin/env bash
# Sets up what is missing, then runs every Parley test. This is the README's test
# command and exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/postgres.sh

log "checking formatting"
cargo fmt --all --check

log "running the Rust test suites"
cargo test --workspace --locked
