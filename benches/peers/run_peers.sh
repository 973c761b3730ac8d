#!/usr/bin/env bash
# The Python peers of the benchmarks: esda on exactly the cells and counts of the `stats`
# benchmarks (peers.py), KDEpy's FFTKDE on exactly the points and grid of the `kde`
# benchmarks (kde_peer.py), then scikit-learn's DBSCAN on exactly the points of the `cluster`
# benchmarks (dbscan_peer.py). Creates benches/peers/.venv, installs requirements.txt (exact
# versions), writes target/peers/cells.csv, kde_points.csv, kde_grid.json and the
# dbscan_points_<n>.csv / dbscan_meta.json files through the benchmarks' set-up if any is
# missing, and runs peers.py (arguments are passed on), kde_peer.py and dbscan_peer.py. Not
# run by CI. See README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$here/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

peers="${HEXWATCH_PEERS_DIR:-${CARGO_TARGET_DIR:-$root/target}/peers}"
cells="$peers/cells.csv"
kde_points="$peers/kde_points.csv"
kde_grid="$peers/kde_grid.json"
dbscan_meta="$peers/dbscan_meta.json"
if [ ! -f "$cells" ] || [ ! -f "$kde_points" ] || [ ! -f "$kde_grid" ] || [ ! -f "$dbscan_meta" ]; then
  # Every benchmark's set-up runs before criterion applies its filter, so a filter that
  # matches no benchmark writes the peers' input without measuring anything.
  echo "run_peers: writing $cells, $kde_points, $kde_grid and the DBSCAN points (benchmark set-up only)"
  (cd "$root" && cargo bench -p hexwatch-benches --bench main -- --exact no-benchmark-has-this-name)
fi

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, when a machine sets them for old OpenBLAS builds,
# slow a current numpy: unset for this timing only (peers.py prints the kernel in use).
run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$venv/bin/python" "$@"; }
run "$here/peers.py" --cells "$cells" "$@"
run "$here/kde_peer.py" --points "$kde_points" --grid "$kde_grid"
# The 1 M DBSCAN call runs in a child process with a capped address space (see dbscan_peer.py).
run "$here/dbscan_peer.py" --peers "$peers"
# The scale peers (pyarrow, h3-py, mapbox-vector-tile) read the national set and the z10
# tile the `encode_z10_5000_res9` benchmark writes; run `cargo bench -p hexwatch-benches --
# 'ingest_|points_to_h3|aggregate_10m|encode_z10'` first for the ratios.
run "$here/scale_peer.py"
