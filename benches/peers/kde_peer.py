"""KDEpy's FFTKDE on the points and grid of hexwatch's `kde` benchmark: the Python peer.

Reads `target/peers/kde_points.csv` (`easting_m,northing_m,weight`, British National Grid
metres) and `target/peers/kde_grid.json` (hexwatch's grid, bandwidth and a sample of its
exact densities per m²), both written by the set-up of `cargo bench -p hexwatch-benches`.

- Checks, on one point with `NaiveKDE`, that `kernel='biweight', bw=h/sqrt(7), norm=2` is
  hexwatch's quartic kernel 3/(πh²)(1 − d²/h²)² with support radius h (KDEpy's `bw` is
  the kernel's standard deviation; the biweight's is 1/√7 of its support).
- Builds, untimed, the evaluation grid: hexwatch's cell centres padded by `pad` cells on
  every side so that it covers every point plus the kernel's support, as the (x, y)
  cartesian product KDEpy expects (x slowest, y fastest, both ascending).
- Times warm calls of `FFTKDE(kernel='biweight', bw=h/sqrt(7), norm=2).fit(xy,
  weights=w).evaluate(grid)`: one untimed call, then the median of `--repeats` calls.
- Crops the result to hexwatch's `nrows × ncols` cells (row 0 north), multiplies by the
  total weight (KDEpy's density integrates to 1, hexwatch's to the total weight) and
  compares it with hexwatch's exact samples.

Prints `peer kdepy_fftkde <seconds> s`, the agreement figures and, when criterion has run
the `kde_1m_h250_50m` group, the ratios to hexwatch's exact and binned paths.
"""

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import KDEpy
import numpy as np
import scipy
from KDEpy import FFTKDE, NaiveKDE
from scipy.spatial import cKDTree

GROUP = "kde_1m_h250_50m"


def kdepy_quartic(h):
    """KDEpy's estimator with hexwatch's quartic kernel of radius h, as the brief maps it."""
    return FFTKDE(kernel="biweight", bw=h / math.sqrt(7.0), norm=2)


def check_kernel(h):
    """NaiveKDE on one point at the origin against 3/(πh²)(1 − d²/h²)² for d < h, 0 beyond.
    Returns the largest relative error inside the support and the largest value at d ≥ h
    (KDEpy adds machine epsilon, 2.2e-16, to every output)."""
    d = np.array([0.0, 25.0, 50.0, 100.0, 125.0, 200.0, 240.0, 250.0, 250.001, 260.0, 300.0, 1000.0]) * (h / 250.0)
    angle = 0.7
    grid = np.column_stack([d * math.cos(angle), d * math.sin(angle)])
    kde = NaiveKDE(kernel="biweight", bw=h / math.sqrt(7.0), norm=2).fit(np.zeros((1, 2)))
    got = kde.evaluate(grid) - np.finfo(float).eps
    inside = d < h
    want = 3.0 / (math.pi * h * h) * (1.0 - (d / h) ** 2) ** 2
    rel = np.max(np.abs(got[inside] - want[inside]) / want[inside])
    beyond = np.max(np.abs(got[~inside]))
    return got[0], 3.0 / (math.pi * h * h), rel, beyond


def load(points_path, grid_path):
    xyw = np.loadtxt(points_path, delimiter=",", skiprows=1, dtype=float)
    grid = json.loads(grid_path.read_text())
    return xyw[:, :2].copy(), xyw[:, 2].copy(), grid


def padded_axes(g, pad):
    """Cell-centre coordinates, ascending, of hexwatch's grid padded by `pad` cells each side.
    Column c (−pad ≤ c < ncols + pad) is at xmin + (c + ½)·cell; row r is at
    ymax − (r + ½)·cell, so ascending y runs from row nrows + pad − 1 up to row −pad."""
    cell, ncols, nrows = g["cell_size_m"], g["ncols"], g["nrows"]
    cols = np.arange(-pad, ncols + pad, dtype=float)
    rows = np.arange(nrows + pad - 1, -pad - 1, -1, dtype=float)
    xs = g["xmin_m"] + (cols + 0.5) * cell
    ys = g["ymax_m"] - (rows + 0.5) * cell
    return xs, ys


def cartesian_grid(xs, ys):
    """KDEpy's grid order (`KDEpy.utils.cartesian`): the first axis varies slowest."""
    return np.column_stack([np.repeat(xs, len(ys)), np.tile(ys, len(xs))])


def crop(values, g, pad, nx, ny):
    """FFTKDE's output over the padded (x, y) grid → hexwatch's (nrows, ncols), row 0 north."""
    by_x_then_y = values.reshape(nx, ny)  # [column index + pad, ascending-y index]
    by_col_then_row = by_x_then_y[:, ::-1]  # [column + pad, row + pad]: row −pad (north) first
    inner = by_col_then_row[pad : pad + g["ncols"], pad : pad + g["nrows"]]
    return inner.T  # [row, col]


def criterion_seconds(criterion_dir, function, n):
    """Criterion's estimate for `kde_1m_h250_50m/function/n` in seconds, as `cargo bench`
    prints it (the slope of linear sampling, else the mean), or None when it has not run."""
    path = criterion_dir / GROUP / function.replace("/", "_") / str(n) / "new" / "estimates.json"
    if not path.exists():
        return None
    estimates = json.loads(path.read_text())
    estimate = estimates.get("slope") or estimates["mean"]
    return estimate["point_estimate"] / 1e9


def main():
    root = Path(__file__).resolve().parents[2]
    peers = root / "target" / "peers"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=Path, default=peers / "kde_points.csv")
    parser.add_argument("--grid", type=Path, default=peers / "kde_grid.json")
    parser.add_argument("--criterion", type=Path, default=root / "target" / "criterion")
    parser.add_argument("--repeats", type=int, default=7, help="timed warm calls (median); at least 5")
    args = parser.parse_args()
    if args.repeats < 5:
        parser.error("--repeats must be at least 5")
    for path in (args.points, args.grid):
        if not path.exists():
            sys.exit(f"{path} is missing: run `cargo bench -p hexwatch-benches -- kde_` first")

    print(f"versions: KDEpy {KDEpy.__version__}, numpy {np.__version__}, scipy {scipy.__version__}")
    start = time.perf_counter()
    xy, w, g = load(args.points, args.grid)
    h, cell = g["bandwidth_m"], g["cell_size_m"]
    ncols, nrows = g["ncols"], g["nrows"]
    if g["kernel"] != "quartic":
        sys.exit(f"kernel {g['kernel']!r}: only hexwatch's quartic kernel maps onto KDEpy's biweight")
    print(
        f"input: {args.points}: {len(w)} points, total weight {w.sum():.1f}; grid {ncols} x {nrows} = "
        f"{ncols * nrows} cells of {cell} m, h = {h} m (loaded in {time.perf_counter() - start:.1f} s, not timed)"
    )

    at_zero, want_zero, rel, beyond = check_kernel(h)
    print(
        f"kernel check (NaiveKDE, one point): K(0) = {at_zero:.10e} vs 3/(pi h^2) = {want_zero:.10e}; "
        f"max relative error for d < h {rel:.1e}; max |K| for d >= h {beyond:.1e} (after removing KDEpy's +eps)"
    )

    # Padding: the points lie within hexwatch's extent [xmin, xmin + ncols·cell] ×
    # [ymax − nrows·cell, ymax], at most cell/2 outside the outermost centres; `pad` cells
    # more put the kernel's whole support (h) inside the grid as well. FFTKDE needs every
    # point strictly inside the grid; its convolution zero-pads (no wrap-around).
    pad = math.ceil((h + cell / 2) / cell)
    xs, ys = padded_axes(g, pad)
    grid = cartesian_grid(xs, ys)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    assert (grid.min(axis=0) + h <= lo).all() and (grid.max(axis=0) - h >= hi).all(), "grid too small"
    print(
        f"FFTKDE grid: hexwatch's cell centres padded by {pad} cells ({pad * cell:.0f} m) each side: "
        f"{len(xs)} x {len(ys)} = {len(grid)} points; x {xs[0]:.2f}..{xs[-1]:.2f}, y {ys[0]:.2f}..{ys[-1]:.2f}; "
        f"points x {lo[0]:.2f}..{hi[0]:.2f}, y {lo[1]:.2f}..{hi[1]:.2f}"
    )

    def call():
        return kdepy_quartic(h).fit(xy, weights=w).evaluate(grid)

    values = call()  # warm-up, untimed
    times = []
    for i in range(args.repeats):
        start = time.perf_counter()
        values = call()
        times.append(time.perf_counter() - start)
        print(f"  timed call {i + 1}: {times[-1]:.4f} s")
    seconds = statistics.median(times)
    print(
        "peer kdepy_fftkde "
        f"{seconds:.6f} s  (median of {args.repeats} warm calls of "
        "FFTKDE(kernel='biweight', bw=h/sqrt(7), norm=2).fit(xy, weights=w).evaluate(grid))"
    )

    # KDEpy normalises the weights to sum 1 and adds machine epsilon to every value.
    density = (crop(values, g, pad, len(xs), len(ys)) - np.finfo(float).eps) * w.sum()  # per m²
    samples = np.array(g["exact_per_m2_samples"], dtype=float)
    rows, cols, exact = samples[:, 0].astype(int), samples[:, 1].astype(int), samples[:, 2]
    fft = density[rows, cols]
    peak = exact.max()
    big = exact > 0.01 * peak
    rel_diff = np.abs(fft[big] - exact[big]) / exact[big]
    worst = np.flatnonzero(big)[np.argmax(rel_diff)]
    print(
        f"check: {len(exact)} hexwatch exact samples (per m², largest {peak:.6e}); over the "
        f"{big.sum()} above 1 % of the largest: max |FFTKDE - exact| / exact = {rel_diff.max():.4%} "
        f"(at row {rows[worst]}, col {cols[worst]}: {fft[worst]:.6e} vs {exact[worst]:.6e}), "
        f"median {np.median(rel_diff):.4%}; max |FFTKDE - exact| over all samples = "
        f"{np.max(np.abs(fft - exact)) / peak:.4%} of the largest sample"
    )
    # The binned estimator's bound (crates/hexwatch-core/src/kde/binned.rs):
    # |binned − exact| ≤ 6δ²/(πh⁴) · W(g, h + δ√2), W = total weight within that radius.
    centres = np.column_stack([g["xmin_m"] + (cols + 0.5) * cell, g["ymax_m"] - (rows + 0.5) * cell])
    tree = cKDTree(xy)
    near = np.array([w[i].sum() for i in tree.query_ball_point(centres, h + cell * math.sqrt(2))])
    bound = 6 * cell * cell / (math.pi * h**4) * near
    used = bound > 0
    print(
        f"check: |FFTKDE - exact| / binning error bound 6d^2/(pi h^4)*W(h + d*sqrt2): max "
        f"{np.max(np.abs(fft - exact)[used] / bound[used]):.3f} over {used.sum()} samples (<= 1 expected); "
        f"total mass on hexwatch's cells {density.sum() * cell * cell:.1f} of {w.sum():.1f}"
    )

    n = ncols * nrows
    functions = ("hexwatch/exact_rayon", "hexwatch/binned_rayon", "baseline/sequential")
    found = {f: criterion_seconds(args.criterion, f, n) for f in functions}
    print(f"ratios (criterion estimates from {args.criterion / GROUP}):")
    for function, hexwatch in found.items():
        if hexwatch is None:
            print(f"  {function}: no criterion estimate: run `cargo bench -p hexwatch-benches -- kde_`")
        else:
            print(
                f"  {function} {hexwatch:.6f} s; FFTKDE {seconds:.6f} s: FFTKDE / hexwatch = "
                f"{seconds / hexwatch:.2f}x (hexwatch / FFTKDE = {hexwatch / seconds:.2f}x)"
            )


if __name__ == "__main__":
    main()
