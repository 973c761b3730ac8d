#!/usr/bin/env bash
# The main job: install the front end's packages, build hexwatch, and serve the map on the
# shipped real data (the store is filled from data/ on first run). Prints the map's URL.
# Extra arguments go to `hexwatch serve` (e.g. --bind 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f web/node_modules/maplibre-gl/package.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "installing the map's front-end packages (npm ci in web/)"
  npm ci --prefix web --no-audit --no-fund
fi
cargo build --release -p hexwatch
# Partner sign-in: a local token file (created once, readable by this user only) unless
# HEXWATCH_PARTNER_TOKENS names another. Without a token the map is the public view.
export HEXWATCH_PARTNER_TOKENS="${HEXWATCH_PARTNER_TOKENS:-hexwatch-partner-tokens}"
if [ ! -f "$HEXWATCH_PARTNER_TOKENS" ]; then
  (umask 077; printf '# name token (see README: Public map and partner sign-in)\nlocal-analyst %s\n' \
    "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$HEXWATCH_PARTNER_TOKENS")
  echo "created a partner token in $HEXWATCH_PARTNER_TOKENS"
fi
echo "partner sign-in: paste the token from \`awk '!/^#/ {print \$2}' $HEXWATCH_PARTNER_TOKENS\` into the map's Partner token box"
exec ./target/release/hexwatch --store "${HEXWATCH_STORE:-hexwatch.sqlite3}" serve "$@"
