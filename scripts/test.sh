#!/usr/bin/env bash
# Sets up what is missing, then runs every Parley test. This is the README's test
# command and exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/postgres.sh
setup_test_tools
build_ui
install_interop

log "checking formatting and the UI's types"
cargo fmt --all --check
(cd ui && npm run check --silent)

log "running the UI unit tests (Vitest)"
(cd ui && npm test --silent)

# Under a virtual display and a private D-Bus session: the desktop test runs the real
# app through WebDriver and watches its desktop notifications on the bus.
log "running the Rust test suites (the desktop app's under Xvfb)"
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --locked

log "running the browser tests (Playwright, Debian's Chromium): the app's UI, then the vendor console"
(cd ui && npx playwright test && npx playwright test -c playwright.console.config.ts)

# A short coverage-guided run of every fuzz target (scripts/fuzz.sh 3600 for a real one).
log "fuzzing verify, JCS and the vendor's request handling (AFL++)"
./scripts/fuzz.sh "${PARLEY_FUZZ_SECONDS:-20}"
