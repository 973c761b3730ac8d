#!/usr/bin/env bash
# All tests: unit, property, doc, public-API and end-to-end tests over the real data in data/,
# then the browser tests of the map (web/tests/, Debian's Chromium driven by playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."
# The crash tests (tests/tests/crash.rs) SIGKILL the real binary: build it first.
cargo build -p hexwatch
cargo test --workspace --all-targets
cargo test --workspace --doc

# Browser tests: they start target/debug/hexwatch themselves on a fresh store.
# (Re)install the front-end packages when missing or older than the lockfile.
[ web/node_modules/.package-lock.json -nt web/package-lock.json ] || npm ci --prefix web --no-audit --no-fund
node --test web/tests/
