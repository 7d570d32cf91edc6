#!/usr/bin/env bash
# Sets up what is missing, builds Parley and runs its main job. Until the desktop app
# lands, that is a walk-through of what exists: a demo vault, then the protocol tools.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

log "building parley"
cargo build --locked --release -p parley-agent
parley="$PWD/target/release/parley"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PARLEY_VAULT="$work/vault" PARLEY_PASSPHRASE="demo passphrase"
step() { printf '\n\033[1m$ parley %s\033[0m\n' "$*"; "$parley" "$@"; }

echo "== A demo vault in $PARLEY_VAULT (removed when this script ends)"
step init
kettle=$("$parley" product add --name "Kettle K2" --vendor Acme --serial SN1 \
  --purchased 2025-05-01 --price 79.90 --currency EUR --warranty-until 2027-05-01)
step product show "$kettle"
step vendor add --name Acme --url https://acme.example
step feedback add --product "$kettle" --score 9 --text "Quiet, boils fast" --suggestion "Longer cord"
step feedback add --product "$kettle" --score 11 || true
step intent add --what "Espresso machine" --budget 300 --currency EUR --by 2027-01-31 --constraint "no pods"
step consent add --vendor Acme --purpose improvement --categories feedback,product --retention-days 365
step search boil
step audit
step audit verify
echo
echo "== No plaintext on disk:"
if grep -rq "Kettle" "$PARLEY_VAULT"; then echo "found plaintext!"; exit 1; else echo "'Kettle' appears nowhere in $PARLEY_VAULT"; fi

echo
echo "== Protocol tools: a key pair, a signed message, a verification, a tampering"
"$parley" proto keygen > "$work/key.json"
cat "$work/key.json"
secret=$(sed -n 's/.*"secretKeyMultibase": "\(.*\)".*/\1/p' "$work/key.json")
printf '{"type":"Feedback","body":{"score":9,"text":"Quick repair"}}' > "$work/feedback.json"
"$parley" proto sign --secret-key "$secret" "$work/feedback.json" | tee "$work/signed.json"
step proto verify "$work/signed.json"
sed 's/"score": 9/"score": 10/' "$work/signed.json" > "$work/tampered.json"
step proto verify "$work/tampered.json" || echo "(exit $?: refused, as it should be)"
