"""scikit-learn's DBSCAN on the points of hexwatch's `cluster` benchmark: the Python peer.

Reads `target/peers/dbscan_points_<n>.csv` (`easting_m,northing_m`, British National Grid
metres, shortest round-trip text) and `target/peers/dbscan_meta.json` (eps, min_points and
hexwatch's cluster, noise and core counts per size), written by the set-up of
`cargo bench -p hexwatch-benches`.

The call timed, on arrays already in memory:

    DBSCAN(eps=eps_m, min_samples=min_points, metric="euclidean", algorithm="kd_tree",
           n_jobs=N_JOBS).fit(xy)

once with scikit-learn's default `n_jobs=None` (one core: the call the goal is set against)
and once with `n_jobs=2` (both cores, as hexwatch's Rayon run uses), at 100 k and 300 k:
one untimed warm-up call, then the median of `--repeats` timed calls, each printed. Not
timed: reading the CSV, building the array. scikit-learn's labels are checked against
hexwatch's counts (clusters, noise, core points: the same, since both are exact DBSCAN).

At 1 M the call (n_jobs=None, one timed call, no warm-up) runs in a child process whose
address space is capped (`--memory-limit-gb`, default the smaller of 8 GB and half of the
machine's available memory) with a time limit (`--timeout-s`), so scikit-learn's
neighbourhood lists (it holds every point's neighbours at once) cannot take the machine
down: the script reports the time, or that it ran out of memory or time.

Prints `peer sklearn_dbscan/<n>/<n_jobs> <seconds> s` lines and, when criterion has run the
`dbscan_e100_m10` group, the ratios scikit-learn / hexwatch.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.cluster import DBSCAN

GROUP = "dbscan_e100_m10"
SIZES = (100_000, 300_000)
MILLION = 1_000_000


def load(path):
    return np.loadtxt(path, delimiter=",", skiprows=1, dtype=float)


def fit(xy, eps, min_points, n_jobs):
    return DBSCAN(eps=eps, min_samples=min_points, metric="euclidean", algorithm="kd_tree", n_jobs=n_jobs).fit(xy)


def counts(model):
    labels = model.labels_
    return {
        "clusters": int(labels.max()) + 1 if len(labels) else 0,
        "noise": int((labels == -1).sum()),
        "core": int(len(model.core_sample_indices_)),
    }


def criterion_seconds(criterion_dir, function, n):
    """Criterion's estimate for `dbscan_e100_m10/function/n` in seconds (the slope of linear
    sampling, else the mean), or None when it has not run."""
    path = criterion_dir / GROUP / function.replace("/", "_") / str(n) / "new" / "estimates.json"
    if not path.exists():
        return None
    estimates = json.loads(path.read_text())
    estimate = estimates.get("slope") or estimates["mean"]
    return estimate["point_estimate"] / 1e9


def available_bytes():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 8 << 30


def child(points, eps, min_points, limit_bytes):
    """The 1 M run: capped address space, one timed fit, a JSON line on stdout."""
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    xy = load(points)
    try:
        start = time.perf_counter()
        model = fit(xy, eps, min_points, None)
        seconds = time.perf_counter() - start
    except MemoryError:
        print(json.dumps({"outcome": "out of memory"}))
        return
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"outcome": "ok", "seconds": seconds, "peak_rss_kb": peak_kb, **counts(model)}))


def main():
    root = Path(__file__).resolve().parents[2]
    peers = Path(os.environ.get("HEXWATCH_PEERS_DIR") or Path(os.environ.get("CARGO_TARGET_DIR") or root / "target") / "peers")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=Path, default=peers, help="folder of dbscan_points_<n>.csv and dbscan_meta.json")
    parser.add_argument("--criterion", type=Path, default=root / "target" / "criterion")
    parser.add_argument("--repeats", type=int, default=5, help="timed warm calls per size (median); at least 3")
    parser.add_argument("--memory-limit-gb", type=float, default=None)
    parser.add_argument("--timeout-s", type=float, default=1800.0)
    parser.add_argument("--skip-million", action="store_true", help="leave out the 1 M run")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit-bytes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    meta_path = args.peers / "dbscan_meta.json"
    if not meta_path.exists():
        sys.exit(f"{meta_path} is missing: run `cargo bench -p hexwatch-benches -- dbscan` first")
    meta = json.loads(meta_path.read_text())
    eps, min_points = meta["eps_m"], meta["min_points"]
    if args.child:
        child(args.child, eps, min_points, args.limit_bytes)
        return
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")

    print(f"versions: scikit-learn {sklearn.__version__}, numpy {np.__version__}; eps {eps} m, min_samples {min_points}")
    seconds = {}
    for n in SIZES:
        path = args.peers / f"dbscan_points_{n}.csv"
        xy = load(path)
        print(f"input: {path}: {len(xy)} points (loaded untimed)")
        for n_jobs in (None, 2):
            model = fit(xy, eps, min_points, n_jobs)  # warm-up, untimed
            got, want = counts(model), meta["hexwatch"][str(n)]
            verdict = "equal" if got == want else f"DIFFERENT from hexwatch's {want}"
            print(f"  check n_jobs={n_jobs}: {got}: {verdict}")
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                fit(xy, eps, min_points, n_jobs)
                times.append(time.perf_counter() - start)
            seconds[(n, n_jobs)] = statistics.median(times)
            print(f"peer sklearn_dbscan/{n}/n_jobs={n_jobs} {seconds[(n, n_jobs)]:.3f} s (median of {', '.join(f'{t:.3f}' for t in times)})")
        del xy

    million = None
    if not args.skip_million:
        limit = int(args.memory_limit_gb * (1 << 30)) if args.memory_limit_gb else min(8 << 30, available_bytes() // 2)
        path = args.peers / f"dbscan_points_{MILLION}.csv"
        print(f"1 M: {path}, address space capped at {limit / (1 << 30):.1f} GiB, time limit {args.timeout_s:.0f} s")
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--peers", str(args.peers), "--child", str(path), "--limit-bytes", str(limit)],
                capture_output=True,
                text=True,
                timeout=args.timeout_s,
            )
            last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
            if done.returncode == 0 and last.startswith("{"):
                million = json.loads(last)
            else:
                tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                million = {"outcome": f"failed (exit {done.returncode}): {tail}"}
        except subprocess.TimeoutExpired:
            million = {"outcome": f"timed out after {args.timeout_s:.0f} s"}
        if million.get("outcome") == "ok":
            want = meta["hexwatch"][str(MILLION)]
            got = {k: million[k] for k in ("clusters", "noise", "core")}
            verdict = "equal" if got == want else f"DIFFERENT from hexwatch's {want}"
            print(f"  check n_jobs=None: {got}: {verdict}")
            print(
                f"peer sklearn_dbscan/{MILLION}/n_jobs=None {million['seconds']:.3f} s (one cold call); "
                f"peak RSS {million['peak_rss_kb'] / 1024:.0f} MiB"
            )
        else:
            print(f"peer sklearn_dbscan/{MILLION}/n_jobs=None: {million['outcome']}")

    print(f"ratios (criterion estimates from {args.criterion / GROUP}):")
    for n in (*SIZES, MILLION):
        for function in ("hexwatch/rayon", "baseline/sequential"):
            hexwatch = criterion_seconds(args.criterion, function, n)
            if hexwatch is None:
                print(f"  {function}/{n}: no criterion estimate: run `cargo bench -p hexwatch-benches -- dbscan`")
                continue
            if n == MILLION:
                peer = million["seconds"] if million and million.get("outcome") == "ok" else None
                peers_ = {"n_jobs=None": peer} if peer else {}
            else:
                peers_ = {f"n_jobs={j}": seconds[(n, j)] for j in (None, 2)}
            line = "; ".join(f"sklearn {k} / hexwatch = {v / hexwatch:.1f}x" for k, v in peers_.items())
            print(f"  {function}/{n} {hexwatch:.4f} s; {line or 'no scikit-learn time'}")


if __name__ == "__main__":
    main()
