#!/usr/bin/env bash
# Sets up what is missing, builds Parley and runs its main job: the desktop app, with a
# local demo vendor beside it so the whole loop can be walked at once. Stop both by
# closing the Parley window or pressing Ctrl-C here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# curl and jq: the demo helpdesk below speaks to the vendor's console API.
if command -v apt-get >/dev/null 2>&1; then apt_install curl jq; fi
build_ui

log "building parley, parley-vendor and the desktop app (release)"
cargo build --locked --release -p parley-agent -p parley-vendor -p parley-desktop
bin="$PWD/target/release"

demo="${PARLEY_DEMO_DIR:-$HOME/.local/share/parley-demo}"
mkdir -p "$demo"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Under xvfb-run the app is the wrapper's child: stop it by its path in this checkout.
  pkill -f -- "$bin/parley-desktop" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# The demo vendor: its own key and store, on a loopback port, answering by itself.
if [ ! -f "$demo/vendor/vendor.json" ]; then
  "$bin/parley-vendor" --data "$demo/vendor" init --name "Acme Kettles" \
    --agreements SD-BASE,SD-BASE-DP,PDC-INTENT >/dev/null
fi
# The vendor's console: one admin for the demo, made once.
console_email="admin@acme.example"
console_password="parley demo console"
if ! "$bin/parley-vendor" --data "$demo/vendor" staff list 2>/dev/null | grep -q "$console_email"; then
  PARLEY_STAFF_PASSWORD="$console_password" "$bin/parley-vendor" --data "$demo/vendor" \
    staff add "$console_email" --role admin >/dev/null
fi
rm -f "$demo/vendor.url"
PARLEY_LOG=warn "$bin/parley-vendor" --data "$demo/vendor" serve --listen 127.0.0.1:0 > "$demo/vendor.url" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$demo/vendor.url" ] && break; sleep 0.1; done
url=$(head -1 "$demo/vendor.url")

# The demo vault, made once: a passphrase to type, a product under warranty, the demo
# vendor added by its URL. Consents and messages are yours to make in the app.
export PARLEY_VAULT="$demo/vault"
passphrase="parley demo passphrase"
if [ ! -f "$PARLEY_VAULT/vault.key" ]; then
  log "making a demo vault"
  export PARLEY_PASSPHRASE="$passphrase"
  "$bin/parley" init
  "$bin/parley" vendor add --url "$url" >/dev/null
  "$bin/parley" product add --name "Kettle K2" --vendor "Acme Kettles" --model K2 --serial SN-778 \
    --purchased 2025-05-01 --price 79.90 --currency EUR \
    --warranty-until "$(date -d '+20 days' +%F)" >/dev/null
  "$bin/parley" product add --name "Toaster T4" --vendor "Acme Kettles" --purchased 2023-02-11 \
    --warranty-until 2025-02-11 >/dev/null
  unset PARLEY_PASSPHRASE
else
  # The vendor listens on a new port each run: point the demo vault at it.
  PARLEY_PASSPHRASE="$passphrase" "$bin/parley" vendor edit "Acme Kettles" --url "$url" >/dev/null || true
fi

# The vendor's helpdesk, played by a loop the way a helpdesk macro would do it: an API
# token of the agent role lists new cases (their one-line titles only, which is not a
# read of what people wrote) and answers each — a reply to support requests and
# feedback, an offer for intents — signed and delivered like any answer from the console.
token_file="$demo/auto-answer.token"
if [ ! -s "$token_file" ]; then
  (umask 077; "$bin/parley-vendor" --data "$demo/vendor" token add "demo auto-answer $(date +%s)" \
    --role agent 2>/dev/null > "$token_file")
fi
(
  token=$(cat "$token_file")
  api() { curl -sf -H "authorization: Bearer $token" -H "content-type: application/json" "$@"; }
  while sleep 3; do
    api "$url/console/api/cases?state=new&limit=50" | jq -r '.cases[] | "\(.id) \(.kind)"' |
      while read -r id kind; do
        case "$kind" in
          SupportRequest) api -X POST "$url/console/api/cases/$id/reply" \
            -d '{"text":"Sorry about that. Bring it to any Acme shop: the repair is free under warranty."}' ;;
          Feedback) api -X POST "$url/console/api/cases/$id/reply" \
            -d '{"text":"Thank you for telling us. We read every message."}' ;;
          Intent) api -X POST "$url/console/api/cases/$id/offer" \
            -d "{\"price\":\"249.00\",\"currency\":\"EUR\",\"text\":\"Brew Pro 3, delivered within 3 days\",\"validUntil\":\"$(date -u -d '+14 days' +%FT%TZ)\"}" ;;
          *) ;;
        esac >/dev/null || true
      done || true
  done
) &
pids+=($!)

cat <<MSG

  Parley is starting.
    vault:        $PARLEY_VAULT   (passphrase: "$passphrase")
    demo vendor:  Acme Kettles at $url  (answers support, feedback and intents by itself)
    its console:  $url/console/  (sign in as $console_email, password "$console_password")

  In the app: Consents → proffer one to Acme Kettles (e.g. feedback, 365 days);
  Products → Kettle K2 → Give feedback → preview → send; Sync now; see the reply,
  and What I've shared (who at Acme read it). Vendor side: the console above, or
  $bin/parley-vendor --data $demo/vendor messages | nps | webhook add URL --events …

  To stop: close the Parley window, or press Ctrl-C here.

MSG
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  log "no display: running the app under Xvfb (nothing to see; Ctrl-C to stop)"
  xvfb-run -a -s "-screen 0 1280x800x24" "$bin/parley-desktop" &
else
  "$bin/parley-desktop" &
fi
app=$!
pids+=("$app")
# Closing the window ends the app, and this script with it (the trap stops the rest).
wait "$app"
