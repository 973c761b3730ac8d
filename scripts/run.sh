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
exec ./target/release/hexwatch --store "${HEXWATCH_STORE:-hexwatch.sqlite3}" serve "$@"
