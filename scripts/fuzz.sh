#!/usr/bin/env bash
# Fuzzes Parley under AFL++ (cargo-afl, coverage-guided, on stable Rust):
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 20: the test command's short run; give 3600 or more for a
# real session), TARGET among verify_bytes, verify_message, jcs, vendor_request (default
# all). Each starts from the seeds `fuzz-seeds` writes, plus the saved corpus of earlier
# runs in target/fuzz-corpus. A crash fails the run and is copied into
# fuzz/regressions/<target>/, where `cargo test -p parley-fuzz` replays it from then on:
# commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_fuzzer

seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(verify_bytes verify_message jcs vendor_request)

log "building the fuzz targets with AFL++ instrumentation"
cargo afl build --profile fuzz --locked --quiet -p parley-fuzz --features afl --bins --target-dir target/afl
bin=target/afl/fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/fuzz-seeds" "$work/seeds"

# AFL++ refuses machines whose core dumps go to a handler, or whose CPU scaling it
# cannot read, unless told these cost only speed here; no UI, no CPU pinning (CI shares
# its two cores).
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1

failed=0
for target in "${targets[@]}"; do
  corpus="target/fuzz-corpus/$target"
  mkdir -p "$corpus"
  cp -n "$work/seeds/$target"/* "$corpus/" 2>/dev/null || true
  out="$work/out-$target"
  log "fuzzing $target for ${seconds}s"
  cargo afl fuzz -i "$corpus" -o "$out" -V "$seconds" -t 2000 -m none -- "$bin/fuzz-${target//_/-}" \
    > "$work/$target.log" 2>&1 || { tail -30 "$work/$target.log" >&2; failed=1; continue; }
  stats="$out/default/fuzzer_stats"
  if [ -f "$stats" ]; then
    log "$target: $(awk -F' *: *' '/^(execs_done|execs_per_sec|corpus_count|bitmap_cvg|saved_crashes|saved_hangs)/ {printf "%s=%s ", $1, $2}' "$stats")"
  fi
  # Keep what the run learnt for the next one.
  cp -n "$out/default/queue"/id:* "$corpus/" 2>/dev/null || true
  crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null || true)
  if [ -n "$crashes" ]; then
    mkdir -p "fuzz/regressions/$target"
    while IFS= read -r crash; do
      name="crash-$(sha256sum "$crash" | cut -c1-16)"
      cp "$crash" "fuzz/regressions/$target/$name"
      log "$target CRASHED on fuzz/regressions/$target/$name (replay: cargo test -p parley-fuzz)"
    done <<< "$crashes"
    failed=1
  fi
done
exit "$failed"
