#!/usr/bin/env bash
# The whole loop from the command line: a demo vendor on a loopback port and a demo
# vault going through consent, feedback, support, an intent and its offer, revocation
# and the audit log with it; then the protocol tools. (The README's run command starts
# the desktop app instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

log "building parley and parley-vendor"
cargo build --locked --release -p parley-agent -p parley-vendor
parley="$PWD/target/release/parley"
vendor="$PWD/target/release/parley-vendor"

work=$(mktemp -d)
vendor_pid=""
cleanup() { [ -n "$vendor_pid" ] && kill "$vendor_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export PARLEY_VAULT="$work/vault" PARLEY_PASSPHRASE="demo passphrase"
step() { printf '\n\033[1m$ parley %s\033[0m\n' "$*"; "$parley" "$@"; }
shop() { printf '\n\033[1m$ parley-vendor %s\033[0m\n' "$*"; "$vendor" --data "$work/acme" "$@"; }

echo "== A demo vendor on a loopback port, and a demo vault in $PARLEY_VAULT (both removed when this script ends)"
"$vendor" --data "$work/acme" init --name "Acme Kettles" --agreements SD-BASE,SD-BASE-DP,PDC-INTENT >/dev/null
PARLEY_LOG=warn "$vendor" --data "$work/acme" serve --listen 127.0.0.1:0 > "$work/vendor.url" &
vendor_pid=$!
for _ in $(seq 1 50); do [ -s "$work/vendor.url" ] && break; sleep 0.1; done
url=$(head -1 "$work/vendor.url")
echo "parley-vendor serves $url"

step init
step vendor add --url "$url"
kettle=$("$parley" product add --name "Kettle K2" --vendor "Acme Kettles" --serial SN1 \
  --purchased 2025-05-01 --price 79.90 --currency EUR --warranty-until 2027-05-01)
step product show "$kettle"
feedback=$("$parley" feedback add --product "$kettle" --score 9 --text "Quiet, boils fast" --suggestion "Longer cord")
step feedback send "$feedback" || echo "(exit $?: refused, as it should be: no consent yet)"
step consent grant --vendor "Acme Kettles" --purpose improvement --categories feedback,product --retention-days 365
step feedback send "$feedback" --preview
step feedback send "$feedback"
step consent grant --vendor "Acme Kettles" --purpose service --categories support,product --retention-days 90
request=$("$parley" support add --product "$kettle" --subject "Lid" --text "The lid does not close")
step support send "$request"
step consent grant --vendor "Acme Kettles" --purpose quote --categories intent --retention-days 30
intent=$("$parley" intent add --what "Espresso machine" --budget 300 --currency EUR --by 2027-01-31 --constraint "no pods")
step intent send "$intent" --vendors "Acme Kettles"

echo; echo "== The vendor's side"
shop messages
shop nps
shop reply "$("$vendor" --data "$work/acme" messages --type SupportRequest | awk '{print $2}' | head -1)" \
  --text "Bring it in; the repair is free under warranty"
shop offer "$("$vendor" --data "$work/acme" messages --type Intent | awk '{print $2}' | head -1)" \
  --price 279.00 --currency EUR --text "Brew Pro 3, delivered Friday" --valid-until 2027-01-15

echo; echo "== Back to the person"
step sync
step inbox
step intent offers "$intent"
step intent accept "$("$parley" intent offers "$intent" | cut -c1-8 | head -1)"
step consent revoke "$("$parley" consent list | grep improvement | cut -c1-8)" --reason "Demo over"
step audit shared
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
