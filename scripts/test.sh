#!/usr/bin/env bash
# All tests: unit, property, doc, public-API and end-to-end tests over the real data in data/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets
cargo test --workspace --doc
