"""esda on the cells and counts of hexwatch's `stats` benchmarks: the Python peers.

Reads `target/peers/cells.csv` (`cell,count,gi_z_k1,moran_i_k1`, written by the set-up of
`cargo bench -p hexwatch-benches`), builds libpysal weights from H3 k-rings (untimed),
checks that esda computes the same Gi* z and local Moran's I as hexwatch, then times warm
calls (the first call, which compiles numba code and warms caches, is not counted):

- `esda.G_Local(y, w, transform='B', star=True, permutations=0)`: analytic Gi*, k = 1 and 2;
- `esda.Moran_Local(y, w_row, permutations=999, n_jobs=2)`: k = 1, with esda's default
  `keep_simulations=True`, and again with `keep_simulations=False` (hexwatch keeps none).

Prints one line per timing, `peer <name> <seconds> s`, and the agreement checks.
"""

import argparse
import csv
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import esda
import h3
import libpysal
import numba
import numpy as np
import threadpoolctl


def read_cells(path):
    cells, counts, gi_z, moran_i = [], [], [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            cells.append(row["cell"])
            counts.append(float(row["count"]))
            gi_z.append(float(row["gi_z_k1"]))
            moran_i.append(float(row["moran_i_k1"]))
    return cells, np.array(counts), np.array(gi_z), np.array(moran_i)


def k_ring_weights(cells, k, include_self):
    """Binary libpysal weights: each cell's `grid_disk(k)` within the study area."""
    position = {c: i for i, c in enumerate(cells)}
    neighbours = {}
    for i, c in enumerate(cells):
        row = sorted(position[d] for d in h3.grid_disk(c, k) if d in position)
        neighbours[i] = [j for j in row if include_self or j != i]
    return libpysal.weights.W(neighbours, id_order=list(range(len(cells))), silence_warnings=True)


def criterion_seconds(criterion_dir, group, function, n):
    """Criterion's estimate for `group/function/n` in seconds, as `cargo bench` prints it
    (the slope of linear sampling, else the mean), or None when that benchmark has not run."""
    path = criterion_dir / group / function.replace("/", "_") / str(n) / "new" / "estimates.json"
    if not path.exists():
        return None
    estimates = json.loads(path.read_text())
    estimate = estimates.get("slope") or estimates["mean"]
    return estimate["point_estimate"] / 1e9


def print_ratios(criterion_dir, n, peers):
    """esda's warm time over hexwatch's (Rayon and one-thread baseline), against the goals."""
    print(f"ratios (criterion estimates from {criterion_dir}):")
    for group, label, peer, goal in peers:
        rayon = criterion_seconds(criterion_dir, group, "hexwatch/rayon", n)
        single = criterion_seconds(criterion_dir, group, "baseline/sequential", n)
        if rayon is None or single is None:
            print(f"  {label}: no criterion estimate: run `cargo bench -p hexwatch-benches -- {group}`")
            continue
        ratio = peer / rayon
        verdict = "meets" if ratio >= goal else "misses"
        print(
            f"  {label}: hexwatch/rayon {rayon:.6f} s, baseline/sequential {single:.6f} s "
            f"(Rayon speed-up {single / rayon:.2f}x); esda {peer:.6f} s; "
            f"esda / hexwatch = {ratio:.1f}x ({verdict} the {goal}x goal), "
            f"esda / one thread = {peer / single:.1f}x"
        )


def warm_seconds(call, repeats):
    """Calls once untimed (numba compilation, caches), then `repeats` timed calls: the median."""
    result = call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def main():
    root = Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=Path, default=root / "target" / "peers" / "cells.csv")
    parser.add_argument("--criterion", type=Path, default=root / "target" / "criterion")
    parser.add_argument("--gi-repeats", type=int, default=7, help="timed warm G_Local calls (median)")
    parser.add_argument("--moran-repeats", type=int, default=1, help="timed warm Moran_Local calls (median)")
    args = parser.parse_args()
    if not args.cells.exists():
        sys.exit(f"{args.cells} is missing: run `cargo bench -p hexwatch-benches -- stats` first")

    print(
        f"versions: esda {esda.__version__}, libpysal {libpysal.__version__}, numba {numba.__version__}, "
        f"numpy {np.__version__}, h3 {h3.__version__}"
    )
    blas = [(i["internal_api"], i.get("architecture"), i["num_threads"]) for i in threadpoolctl.threadpool_info()]
    print(f"BLAS (internal api, kernel, threads): {blas}")
    cells, y, gi_z_hexwatch, moran_i_hexwatch = read_cells(args.cells)
    print(f"input: {args.cells}: {len(cells)} cells, {int(y.sum())} incidents")

    start = time.perf_counter()
    w_star = {k: k_ring_weights(cells, k, include_self=True) for k in (1, 2)}
    w_row = k_ring_weights(cells, 1, include_self=False)
    w_row.transform = "r"
    for w in w_star.values():
        w.transform = "b"
    print(f"weights built in {time.perf_counter() - start:.1f} s (not timed below)")

    peers = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, w in w_star.items():
            seconds, times, g = warm_seconds(
                lambda w=w: esda.G_Local(y, w, transform="B", star=True, permutations=0), args.gi_repeats
            )
            peers.append((f"gi_star_k{k}", f"gi_star_k{k} vs G_Local", seconds, 20))
            warm = ", ".join(f"{t:.4f}" for t in times)
            print(f"peer gi_star_k{k}/esda/G_Local {seconds:.6f} s  (warm calls: {warm})")
            if k == 1:
                diff = np.nanmax(np.abs(g.Zs - gi_z_hexwatch))
                print(f"check: max |esda Zs - hexwatch z| = {diff:.3e} over {len(cells)} cells")

        for keep in (True, False):
            seconds, times, lm = warm_seconds(
                lambda keep=keep: esda.Moran_Local(
                    y, w_row, permutations=999, n_jobs=2, keep_simulations=keep, seed=12345
                ),
                args.moran_repeats,
            )
            label = "keep_simulations" if keep else "no_simulations"
            peers.append(("local_moran_k1_999", f"local_moran_k1_999 vs Moran_Local ({label})", seconds, 10))
            warm = ", ".join(f"{t:.3f}" for t in times)
            print(f"peer local_moran_k1_999/esda/Moran_Local/{label} {seconds:.3f} s  (warm calls: {warm})")
        diff = np.nanmax(np.abs(lm.Is - moran_i_hexwatch))
        scale = np.nanmax(np.abs(moran_i_hexwatch))
        print(
            f"check: max |esda Is - hexwatch I| = {diff:.3e} (largest |I| {scale:.3e}); "
            f"share of esda p_sim <= 0.05: {np.mean(lm.p_sim <= 0.05):.4f}"
        )
    print_ratios(args.criterion, len(cells), peers)


if __name__ == "__main__":
    main()
