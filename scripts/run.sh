#!/usr/bin/env bash
# Sets up what is missing, builds Parley and runs its main job. Today that is the
# protocol walk-through below; the desktop app with a local demo vendor replaces it
# when it lands.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

log "building parley"
cargo build --locked --release -p parley-agent
parley=target/release/parley

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== A key pair, as a vendor would make one"
"$parley" proto keygen | tee "$work/key.json"
secret=$(sed -n 's/.*"secretKeyMultibase": "\(.*\)".*/\1/p' "$work/key.json")

echo
echo "== A feedback message, signed (eddsa-jcs-2022)"
printf '{"type":"Feedback","body":{"score":9,"text":"Quick repair"}}' > "$work/feedback.json"
"$parley" proto sign --secret-key "$secret" "$work/feedback.json" | tee "$work/signed.json"

echo
echo "== Verified"
"$parley" proto verify "$work/signed.json"

echo
echo "== Tampered with (score 9 → 10): refused"
sed 's/"score": 9/"score": 10/' "$work/signed.json" > "$work/tampered.json"
"$parley" proto verify "$work/tampered.json" || echo "(exit $?: refused, as it should be)"
