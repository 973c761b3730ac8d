#!/usr/bin/env python3
"""Python peers of hexwatch's scale benchmarks (benches/benches/scale.rs, tiles.rs).

- pyarrow: `pyarrow.csv.read_csv` on exactly the decompressed bytes of the national set's six
  monthly files (decompressed in memory before timing, as on the hexwatch side), with its
  default multi-threaded reader (both cores). It parses and converts types; it does not
  validate, deduplicate or index (hexwatch's timed work does all three).
- h3-py: `h3.latlng_to_cell(lat, lng, 9)` for every located row of the same files (coordinates
  read with pyarrow before timing), the way a Python user indexes points.
- mapbox-vector-tile: `mapbox_vector_tile.encode` of the 5,000 resolution-9 hexagons of the
  zoom-10 tile the `encode_z10_5000_res9` benchmark writes to target/peers/tile_z10.json
  (Web Mercator rings, `quantize_bounds` = the tile, extent 4096): quantise and encode.

Every peer is timed warm: one untimed call first, then the median of --repeats calls.
Prints `peer <name> <seconds> s` lines and, when criterion results exist, the ratios.
"""

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path


def timed(fn, repeats):
    fn()  # warm: imports, allocators, thread pools
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def criterion_seconds(target, group, function):
    """Criterion's point estimate (slope if sampled linearly, else mean) in seconds."""
    base = target / "criterion" / group
    matches = sorted(base.glob(f"{function.replace('/', '_')}/*/new/estimates.json"))
    if not matches:
        return None
    est = json.loads(matches[0].read_text())
    key = "slope" if est.get("slope") else "mean"
    return est[key]["point_estimate"] / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = Path(__file__).resolve().parents[2]
    parser.add_argument("--national", type=Path, default=root.parent / "shared/data/police-uk-multiforce-2025-h1")
    parser.add_argument("--peers", type=Path, default=root / "target/peers")
    parser.add_argument("--target", type=Path, default=root / "target")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import pyarrow as pa
    import pyarrow.csv as pacsv
    import h3
    import mapbox_vector_tile

    from importlib.metadata import version
    print(f"pyarrow {pa.__version__}, h3 {h3.__version__}, mapbox-vector-tile "
          f"{version('mapbox-vector-tile')}, threads {pa.cpu_count()}")
    results = {}

    files = sorted(args.national.glob("*-street.csv.gz"))
    if files:
        texts = [gzip.decompress(f.read_bytes()) for f in files]
        rows = 0

        def read_all():
            nonlocal rows
            rows = sum(pacsv.read_csv(pa.py_buffer(t)).num_rows for t in texts)

        seconds = timed(read_all, args.repeats)
        results["ingest"] = (seconds, rows)
        print(f"peer ingest/pyarrow.csv.read_csv {seconds:.3f} s ({rows} rows, {rows / seconds:,.0f} rows/s)")

        tables = [pacsv.read_csv(pa.py_buffer(t), convert_options=pacsv.ConvertOptions(include_columns=["Longitude", "Latitude"])) for t in texts]
        lon = []
        lat = []
        for t in tables:
            t = t.drop_null()
            lon.extend(t.column("Longitude").to_pylist())
            lat.extend(t.column("Latitude").to_pylist())

        def index_all():
            return [h3.latlng_to_cell(y, x, 9) for x, y in zip(lon, lat)]

        seconds = timed(index_all, max(1, args.repeats - 2))
        results["points"] = (seconds, len(lon))
        print(f"peer points_to_h3/h3-py.latlng_to_cell {seconds:.3f} s ({len(lon)} points)")
    else:
        print(f"national set not found at {args.national}: ingest and point peers skipped")

    tile_file = args.peers / "tile_z10.json"
    if tile_file.exists():
        tile = json.loads(tile_file.read_text())
        features = [
            {"geometry": {"type": "Polygon", "coordinates": [c["ring"]]},
             "properties": {"h3": c["h3"], "count": c["count"]}, "id": i + 1}
            for i, c in enumerate(tile["cells"])
        ]
        layer = {"name": "cells", "features": features}
        bounds = tuple(tile["bounds"])

        def encode():
            return mapbox_vector_tile.encode(layer, default_options={"quantize_bounds": bounds, "extents": 4096})

        seconds = timed(encode, args.repeats)
        results["mvt"] = (seconds, len(features))
        print(f"peer encode_z10/mapbox_vector_tile.encode {seconds:.4f} s ({len(features)} hexagons)")
    else:
        print(f"{tile_file} missing: run the encode_z10_5000_res9 benchmark first")

    print("\nratios (peer seconds / hexwatch seconds, same machine; criterion's estimate):")
    pairs = [
        ("ingest", "ingest_parse_national", "hexwatch/parse_validate_index", 2.0),
        ("points", "points_to_h3_national", "hexwatch/distinct_once_rayon", None),
        ("mvt", "encode_z10_5000_res9", "hexwatch/clip_quantise_encode", 50.0),
    ]
    for key, group, function, goal in pairs:
        if key not in results:
            continue
        ours = criterion_seconds(args.target, group, function)
        if ours is None:
            print(f"  {group}: no criterion estimate under {args.target}/criterion")
            continue
        peer_s, n = results[key]
        line = f"  {group}: hexwatch {ours:.4f} s, peer {peer_s:.4f} s, peer/hexwatch = {peer_s / ours:.1f}x"
        if key == "ingest":
            line += f"; hexwatch {n / ours:,.0f} rows/s (goal >= 2,000,000)"
        if goal and key == "mvt":
            line += f" (goal >= {goal:.0f}x)"
        print(line)


if __name__ == "__main__":
    sys.exit(main())
