"""Build data/bcp-lsoa-2021.geojson: the 240 LSOA 2021 polygons of Bournemouth, Christchurch and
Poole (BCP), in WGS84, from two shipped-elsewhere inputs. Run once; the output is committed, the
national input is not.

Regenerate (from the repository root; needs /work/shared/data, which CI never reads):

  python3 -m venv /tmp/venv-bcp-lsoa
  /tmp/venv-bcp-lsoa/bin/pip install -r scripts/make-bcp-lsoa.requirements.txt
  /tmp/venv-bcp-lsoa/bin/python scripts/make-bcp-lsoa.py

Optional arguments: --lsoa2011 PATH --new2021 PATH --police-dir DIR --wards PATH --out PATH
(defaults below). Pinned: Python 3.11, shapely==2.2.0, pyproj==3.7.2 (bundles PROJ 9.5.1),
numpy==2.4.6; the script stops if shapely or pyproj differ.

Method (data/bcp-lsoa-2021.SOURCE.md says the same in prose):
 1. From the national LSOA 2011 BSC layer take the LSOAs of the three pre-2019 districts, i.e.
    whose LSOA11NM is "Bournemouth NNNX", "Poole NNNX" or "Christchurch NNNX" (233), and drop the
    7 codes retired in 2021 (226 left). The script checks that these 226 plus the 14 new codes are
    exactly the BCP codes of the Dorset police.uk 2025 files.
 2. Add the 14 new 2021 BGC polygons (E01034271-E01034284). They are the more detailed
    generalisation (20 m against 200 m), so they win where the two layers overlap: their union is
    subtracted from every 2011 polygon that overlaps it.
 3. Every geometry goes through make_valid and keeps only its polygonal parts. In the 14 BGC
    polygons a part smaller than SLIVER_M2 (2,000 m^2) is dropped: only E01034284's 6 m^2
    four-vertex ring is. 2011 parts are all kept, including small published ones (harbour
    triangles of 300-600 m^2) and the two detached pieces the cut leaves (340 m^2 of E01015465,
    1,490 m^2 of E01032660): dropping those would leave holes that no polygon claims.
 4. Where the 7 retired 2011 polygons reach beyond the 14 BGC polygons, that land is in no new
    LSOA, so it belongs to a carried-over neighbour drawn short by the 200 m generalisation: each
    such piece joins the carried-over polygon it shares the longest border with. Pieces that
    border no carried-over polygon stay out (about 0.1 km^2, nearly all water in Poole Harbour
    off the town centre, at most 74 m^2 of each inside the BCP ward polygons). In the 2025 police.uk
    data all 119 BCP points in these pieces carry the code of the polygon the piece joined.
    --no-fill-gaps skips this step.
 5. Coordinates are snapped to a 1e-6 degree grid (shapely.set_precision keeps them valid),
    exterior rings counter-clockwise (RFC 7946), features sorted by code.
Properties: code, name (the LSOA 2021 name as police.uk prints it in `LSOA name`), vintage
("2011-bsc" for the 226 carried-over polygons, "2021-bgc" for the 14 new ones).
"""

import argparse
import csv
import glob
import gzip
import json
import os
import sys

import numpy as np
import pyproj
import shapely
from shapely.geometry import mapping, shape

SHAPELY_VERSION = "2.2.0"
PYPROJ_VERSION = "3.7.2"

SHARED = "/work/shared/data"
DEFAULT_LSOA2011 = f"{SHARED}/boundaries-lsoa-2011-ew-bsc/LSOA_2011_EW_BSC_V3.geojson.gz"
DEFAULT_NEW2021 = f"{SHARED}/boundaries-bcp-lsoa-2021-new-codes/bcp-lsoa-2021-bgc-new-codes.geojson"
DEFAULT_POLICE = "data/police-uk-dorset-2025"
DEFAULT_WARDS = "data/boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson"
DEFAULT_OUT = "data/bcp-lsoa-2021.geojson"

BCP_2011_DISTRICTS = ("Bournemouth", "Poole", "Christchurch")
RETIRED = {
    "E01015282", "E01015283", "E01015285", "E01015287",  # Bournemouth
    "E01015423", "E01015468",  # Poole
    "E01020368",  # Christchurch
}
NEW_CODES = {f"E0103{n}" for n in range(4271, 4285)}
SLIVER_M2 = 2000.0  # 0.2 ha; the BGC parts are 6 m^2 (a degenerate ring) or over 47,000 m^2
GRID_DEG = 1e-6

# The same British National Grid definition as the project's other fixture scripts: a
# 7-parameter Helmert shift, no OSTN15 grid. Used only to measure areas in m^2.
BNG = (
    "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy "
    "+towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs"
)
TO_BNG = pyproj.Transformer.from_crs(
    "+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs", BNG, always_xy=True
)


def area_m2(geom):
    """Planar area in British National Grid metres."""

    def project(xy):
        x, y = TO_BNG.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, project).area


def polygonal(geom):
    """make_valid, then keep only the Polygon parts (drops stray lines and points)."""
    out = []
    stack = [shapely.make_valid(geom)]
    while stack:
        g = stack.pop()
        if g.is_empty:
            continue
        if g.geom_type == "Polygon":
            out.append(g)
        elif g.geom_type in ("MultiPolygon", "GeometryCollection"):
            # a GeometryCollection from make_valid can itself hold MultiPolygons
            stack.extend(reversed(list(shapely.get_parts(g))))
    return out


def assemble(parts):
    parts = [p for p in parts if not p.is_empty]
    if not parts:
        raise SystemExit("a feature lost all its parts")
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def drop_slivers(parts, code, log):
    kept = []
    for p in parts:
        a = area_m2(p)
        if a < SLIVER_M2:
            log.append(f"{code}: dropped a {a:.1f} m^2 part")
        else:
            kept.append(p)
    return kept


def snap(geom):
    """Snap to the 1e-6 degree grid; set_precision keeps the result valid."""
    return assemble(polygonal(shapely.set_precision(geom, GRID_DEG)))


def finish(geom):
    """Snap again (a no-op on grid geometry) and orient rings per RFC 7946."""
    return shapely.orient_polygons(snap(geom), exterior_cw=False)


def round_coords(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [round(v, 6) for v in obj]
        return [round_coords(v) for v in obj]
    return obj


def police_bcp_names(police_dir):
    """code -> LSOA 2021 name for every BCP row in the police.uk files (one name per code)."""
    names = {}
    files = sorted(glob.glob(os.path.join(police_dir, "*.csv.gz")))
    if not files:
        raise SystemExit(f"no police.uk files in {police_dir}")
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                name = row["LSOA name"]
                if not name.startswith("Bournemouth, Christchurch and Poole "):
                    continue
                code = row["LSOA code"]
                if names.setdefault(code, name) != name:
                    raise SystemExit(f"{code} has two names: {names[code]!r} and {name!r}")
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lsoa2011", default=DEFAULT_LSOA2011)
    ap.add_argument("--new2021", default=DEFAULT_NEW2021)
    ap.add_argument("--police-dir", default=DEFAULT_POLICE)
    ap.add_argument("--wards", default=DEFAULT_WARDS)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--no-fill-gaps", dest="fill_gaps", action="store_false",
                    help="leave the retired 2011 footprint outside the BGC polygons empty")
    args = ap.parse_args()

    if shapely.__version__ != SHAPELY_VERSION or pyproj.__version__ != PYPROJ_VERSION:
        raise SystemExit(
            f"need shapely {SHAPELY_VERSION} and pyproj {PYPROJ_VERSION}, "
            f"have {shapely.__version__} and {pyproj.__version__}"
        )

    with gzip.open(args.lsoa2011, "rt", encoding="utf-8") as f:
        national = json.load(f)
    old = {}
    for feat in national["features"]:
        props = feat["properties"]
        district = props["LSOA11NM"].rsplit(" ", 1)[0]
        if district in BCP_2011_DISTRICTS:
            old[props["LSOA11CD"]] = shape(feat["geometry"])
    print(f"2011 BSC: {len(national['features'])} LSOAs nationally, {len(old)} in Bournemouth, "
          f"Poole and Christchurch")
    if not RETIRED <= old.keys():
        raise SystemExit(f"retired codes missing from the 2011 layer: {sorted(RETIRED - old.keys())}")
    retired = {code: old.pop(code) for code in RETIRED}

    with open(args.new2021, encoding="utf-8") as f:
        new_fc = json.load(f)
    new = {feat["properties"]["LSOA21CD"]: (feat["properties"]["LSOA21NM"], shape(feat["geometry"]))
           for feat in new_fc["features"]}
    if set(new) != NEW_CODES:
        raise SystemExit(f"unexpected new codes: {sorted(set(new) ^ NEW_CODES)}")

    names = police_bcp_names(args.police_dir)
    expected = set(old) | set(new)
    if set(names) != expected:
        raise SystemExit(
            f"code sets differ: only in police.uk {sorted(set(names) - expected)}, "
            f"only in the layer {sorted(expected - set(names))}"
        )
    for code, (nm, _) in new.items():
        if names[code] != nm:
            raise SystemExit(f"{code}: BGC name {nm!r} but police.uk says {names[code]!r}")
    print(f"code check: 226 + 14 = {len(expected)} codes, identical to the BCP codes in {args.police_dir}")

    log = []
    repaired = [c for c, g in list(old.items()) + [(c, g) for c, (_, g) in new.items()] if not g.is_valid]
    log.append(f"invalid inputs repaired with make_valid: {sorted(repaired) or 'none'}")

    # Snap every input to the output grid first and run the overlay on that grid, so that the
    # cut 2011 polygons and the BGC polygons share their new edges exactly.
    new_geoms = {}
    for code, (_, g) in new.items():
        new_geoms[code] = snap(assemble(drop_slivers(polygonal(g), code, log)))
    new_union = shapely.union_all(list(new_geoms.values()), grid_size=GRID_DEG)

    old_geoms = {}
    cut_m2 = 0.0
    cut_codes = []
    for code, g in old.items():
        g = snap(assemble(polygonal(g)))
        if g.intersects(new_union) and not g.touches(new_union):
            overlap = area_m2(shapely.intersection(g, new_union, grid_size=GRID_DEG))
            if overlap > 0:
                cut_m2 += overlap
                cut_codes.append(code)
                cut = polygonal(shapely.difference(g, new_union, grid_size=GRID_DEG))
                # Small detached pieces of a cut polygon stay with it: no other polygon claims
                # that ground, and dropping them would open holes in the layer.
                for piece in cut:
                    a = area_m2(piece)
                    if a < SLIVER_M2:
                        log.append(f"{code}: kept a {a:.1f} m^2 piece left over by the cut")
                g = assemble(cut)
        old_geoms[code] = g
    log.append(f"{len(cut_codes)} 2011 polygons cut by the BGC union, {cut_m2:,.0f} m^2 removed in all")

    # Where the retired 2011 polygons reach beyond the 14 BGC polygons, the land is in no new
    # LSOA (the BGC outline is the better one), so it belongs to a carried-over neighbour that
    # the 200 m generalisation drew short. Each such piece goes to the carried-over polygon it
    # shares the longest border with; a piece that borders none stays out of the layer.
    if args.fill_gaps:
        retired_union = shapely.union_all([snap(assemble(polygonal(g))) for g in retired.values()],
                                          grid_size=GRID_DEG)
        gap = shapely.difference(retired_union, new_union, grid_size=GRID_DEG)
        tree_codes = sorted(old_geoms)
        tree = shapely.STRtree([old_geoms[c] for c in tree_codes])
        given = {}
        left_m2 = 0.0
        for piece in polygonal(gap):
            best, best_len = None, 0.0
            edge = piece.boundary
            for k in tree.query(piece.buffer(GRID_DEG)):
                code = tree_codes[k]
                shared = edge.intersection(old_geoms[code].buffer(GRID_DEG / 2)).length
                if shared > best_len:
                    best, best_len = code, shared
            if best is None:
                left_m2 += area_m2(piece)
            else:
                given.setdefault(best, []).append(piece)
        gained = 0.0
        for code, pieces in given.items():
            gained += sum(area_m2(p) for p in pieces)
            merged = shapely.union_all([old_geoms[code], *pieces], grid_size=GRID_DEG)
            old_geoms[code] = assemble(polygonal(merged))
        log.append(
            f"gap fill: {len(polygonal(gap))} pieces ({area_m2(gap):,.0f} m^2) of the retired 2011 "
            f"footprint outside the BGC polygons; {gained:,.0f} m^2 given to {len(given)} "
            f"carried-over polygons ({', '.join(sorted(given))}); {left_m2:,.0f} m^2 bordering none left out"
        )

    # Cross-check with the BCP wards: every carried-over polygon lies in BCP.
    with open(args.wards, encoding="utf-8") as f:
        wards = shapely.union_all([shape(w["geometry"]) for w in json.load(f)["features"]])
    outside = [c for c, g in old_geoms.items() if not wards.contains(g.representative_point())]
    log.append(f"2011 polygons whose representative point is outside the BCP ward union: {outside or 'none'}")

    features = []
    for code in sorted(expected):
        if code in new_geoms:
            geom, vintage = new_geoms[code], "2021-bgc"
        else:
            geom, vintage = old_geoms[code], "2011-bsc"
        geom = finish(geom)
        features.append({
            "type": "Feature",
            "properties": {"code": code, "name": names[code], "vintage": vintage},
            "geometry": {"type": geom.geom_type, "coordinates": round_coords(mapping(geom)["coordinates"])},
        })

    # Verify what was written, read back as a consumer would.
    geoms = [shape(f["geometry"]) for f in features]
    codes = [f["properties"]["code"] for f in features]
    assert len(features) == 240, len(features)
    assert len(set(codes)) == 240
    invalid = [c for c, g in zip(codes, geoms) if not g.is_valid]
    assert not invalid, invalid
    tree = shapely.STRtree(geoms)
    overlap_m2 = 0.0
    for i, j in zip(*tree.query(geoms, predicate="intersects")):
        if i < j:
            overlap_m2 += area_m2(geoms[i].intersection(geoms[j]))
    total_m2 = sum(area_m2(g) for g in geoms)
    log.append(f"after snapping: total area {total_m2 / 1e6:.3f} km^2, pairwise overlap {overlap_m2:.1f} m^2")

    out = {"type": "FeatureCollection", "features": features}
    text = json.dumps(out, separators=(",", ":"), ensure_ascii=False)
    # one feature per line keeps diffs readable at almost no cost in size
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"').replace('"features":[{', '"features":[\n{')
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text + "\n")
    for line in log:
        print(line)
    print(f"wrote {args.out}: {len(features)} features, all valid, unique codes, "
          f"{os.path.getsize(args.out):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
