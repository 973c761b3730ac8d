#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/seeds/<target>/.

Python 3.11 standard library only, no clock, no randomness: two runs give byte-identical
files. Regenerate from anywhere with `python3 fuzz/make_seeds.py`.

- street_csv: every CSV of tests/fixtures/bad-input/ as a whole file (mode byte 0) and its
  rows after the built-in header (mode byte 1).
- api_ingest: realistic POST /api/incidents bodies in the three formats (mode byte 0 JSON,
  1 GeoJSON, 2 CSV), good and bad.
- api_query: realistic map and API queries (first byte: index into ROUTES of
  fuzz_targets/api_query.rs).
- tile_path: realistic tile paths after /tiles/ around Bournemouth, Christchurch and Poole.
"""

import json
import pathlib

FUZZ = pathlib.Path(__file__).resolve().parent
BAD_INPUT = FUZZ.parent / "tests" / "fixtures" / "bad-input"
SEEDS = FUZZ / "seeds"

# Must match the ROUTES list of fuzz_targets/api_query.rs (index = first byte).
ROUTES = [
    "/api/summary", "/api/hotspots", "/api/meta", "/api/health", "/api/wards", "/api/lsoas",
    "/api/areas/wards", "/api/cells/891959710bbffff", "/api/cells/8719597ffffffff",
    "/api/wards/E05012653", "/api/lsoas/E01034271", "/api/alerts", "/api/patrol-plan",
    "/api/evaluation", "/catalog", "/tiles/cells", "/tiles/cells/13/4053/2752",
    "/tiles/cells/10/506/344", "/tiles/density", "/tiles/density/12/2026/1376",
    "/tiles/density-contours/12/2026/1376", "/tiles/boundaries/11/1013/688", "/tiles/clusters",
    "/tiles/clusters/13/4053/2752",
]

QUERIES = [
    ("/api/summary", "category=anti-social-behaviour&from=2025-01&to=2025-03"),
    ("/api/summary", "area=ward:E05012653"),
    ("/api/summary", "area=lsoa:E01034271&category=violence-and-sexual-offences,burglary"),
    ("/api/hotspots", "method=count&res=9&limit=100"),
    ("/api/hotspots", "method=gistar&res=8&format=csv"),
    ("/api/hotspots", "method=moran&res=8&from=2025-01&to=2025-12"),
    ("/api/wards", "format=geojson&category=drugs"),
    ("/api/lsoas", "format=csv&from=2025-06&to=2025-01"),
    ("/api/cells/891959710bbffff", "category=Anti-social behaviour"),
    ("/api/alerts", "status=open&kind=cell"),
    ("/api/patrol-plan", "area=bcp&areas=5&format=json"),
    ("/api/evaluation", "area=bcp"),
    ("/tiles/cells", "category=anti-social-behaviour&res=9"),
    ("/tiles/cells/13/4053/2752", "from=2025-01&to=2025-06&area=bcp"),
    ("/tiles/cells/10/506/344", "hours=22-3&weekdays=fri,sat"),
    ("/tiles/density", "bandwidth_m=300&cell_size_m=50"),
    ("/tiles/density/12/2026/1376", "category=anti-social-behaviour"),
    ("/tiles/density-contours/12/2026/1376", "from=2025-01&to=2025-01"),
    ("/tiles/boundaries/11/1013/688", "set=ward"),
    ("/tiles/clusters", "method=dbscan&eps_m=100&min_points=10"),
    ("/tiles/clusters/13/4053/2752", "method=nnh&p=0.05"),
    ("/api/meta", ""),
    ("/catalog", "x=1"),
    ("/api/summary", "res=13&res=9&flag=knife&category="),
]

TILE_PATHS = [
    "cells/13/4053/2752", "cells/13/4053/2752.mvt", "cells/12/2026/1376.pbf", "cells/8/126/86",
    "cells/0/0/0", "cells/14/8106/5505?category=anti-social-behaviour&from=2025-01&to=2025-03",
    "cells/11/1013/688?res=12", "density/12/2026/1376", "density/13/4053/2752.png",
    "density-contours/12/2026/1376", "boundaries/11/1013/688?set=lsoa", "boundaries/10/506/344",
    "clusters/13/4053/2752?method=dbscan&eps_m=50&min_points=3", "cells", "density?bandwidth_m=250",
    "cells/25/1/1", "cells/13/99999/2752", "cells/-1/0/0", "cells/13/4053/2752.png", "nope/1/2/3",
]

INGEST = [
    (0, json.dumps([
        {"reference": "R1", "category": "Anti-social behaviour", "time": "2025-09-20T21:00",
         "lon": -1.8766, "lat": 50.7209, "flags": ["knife"], "weight": 2},
        {"category": "Violence and sexual offences", "from": "2025-09-01", "to": "2025-09-02",
         "precision": "day", "easting": 408000, "northing": 91000},
        {"category": "Drugs", "time": "2025-13", "lon": "x", "lat": 50.72},
        "not an object",
    ])),
    (0, "[]"),
    (0, "{not json"),
    (1, json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.8766, 50.7209]},
         "properties": {"category": "Anti-social behaviour", "time": "2025-09-20T21:00+01:00"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
         "properties": {"category": "Drugs", "time": "2025-09"}},
        {"type": "Feature", "geometry": None, "properties": None},
    ]})),
    (1, json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::27700"}}, "features": []})),
    (2, "category,time,lon,lat\nAnti-social behaviour,2025-09-21 22:00,-1.8766,50.7209\n"
        "Burglary,2025-02-30,-1.87,50.72\n\"Quoted, category\",2025-09,-1.88,50.73\n"),
    (2, "reference,category,flags,from,to,easting,northing,weight\n"
        "A1,Criminal damage and arson,domestic-abuse;alcohol,2025-03-30 00:30,2025-03-30 02:30,408000,91000,1.5\n"),
    (2, "lon,lat\n1,2\n"),
]


def write(target: str, name: str, data: bytes) -> None:
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def main() -> None:
    for csv in sorted(BAD_INPUT.glob("*.csv")):
        if csv.name == "partner.csv":
            continue
        text = csv.read_bytes()
        write("street_csv", f"whole-{csv.stem}", b"\x00" + text)
        _, _, rows = text.partition(b"\n")
        if rows:
            write("street_csv", f"rows-{csv.stem}", b"\x01" + rows)
    for i, (mode, body) in enumerate(INGEST):
        write("api_ingest", f"body-{i:02}", bytes([mode]) + body.encode())
    for i, (route, query) in enumerate(QUERIES):
        write("api_query", f"query-{i:02}", bytes([ROUTES.index(route)]) + query.encode())
    for i, path in enumerate(TILE_PATHS):
        write("tile_path", f"path-{i:02}", path.encode())


if __name__ == "__main__":
    main()
