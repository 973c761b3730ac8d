#!/usr/bin/env bash
# The Python peers of the `stats` benchmarks: esda on exactly the cells and counts that
# hexwatch's benchmarks use. Creates benches/peers/.venv, installs requirements.txt (exact
# versions), writes target/peers/cells.csv through the benchmarks' set-up if it is missing,
# and runs peers.py (arguments are passed on). Not run by CI. See README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$here/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

cells="${HEXWATCH_PEERS_DIR:-${CARGO_TARGET_DIR:-$root/target}/peers}/cells.csv"
if [ ! -f "$cells" ]; then
  # Every benchmark's set-up runs before criterion applies its filter, so a filter that
  # matches no benchmark writes cells.csv without measuring anything.
  echo "run_peers: writing $cells (benchmark set-up only)"
  (cd "$root" && cargo bench -p hexwatch-benches --bench main -- --exact no-benchmark-has-this-name)
fi

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, when a machine sets them for old OpenBLAS builds,
# slow a current numpy: unset for this timing only (peers.py prints the kernel in use).
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$venv/bin/python" "$here/peers.py" --cells "$cells" "$@"
