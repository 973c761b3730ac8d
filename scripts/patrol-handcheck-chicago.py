#!/usr/bin/env python3
# Usage, from the repository root, after ingesting the Chicago data into chicago.sqlite3:
#   hexwatch --store chicago.sqlite3 patrol-plan --category violent-crime --areas 3 \
#       --hours 22-3 --weekdays fri,sat --from 2019-01 --to 2019-12 --format geojson --out plan.geojson
#   python3 scripts/patrol-handcheck-chicago.py plan.geojson
# Each area prints the same 168-bin profile twice (python, hexwatch) when they agree.
# Independent check of the Chicago patrol plan's hour-of-week profile: point-in-polygon on the
# plan's own hexagons (no H3 library), Chicago wall-clock weekday/hour from the CSV text.
import csv, datetime, gzip, json, sys
plan = json.load(open(sys.argv[1]))
def inside(x, y, ring):
    c = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            c = not c
    return c
hours = {22, 23, 0, 1, 2}
for f in plan['features']:
    polys = f['geometry']['coordinates']
    bins = [0] * 168
    for r in csv.DictReader(gzip.open('data/chicago-aggravated-assaults-2010-2019/chicago_aggravated_assaults.csv.gz', 'rt')):
        if not r['date'].startswith('2019'):
            continue
        t = datetime.datetime.strptime(r['date'], '%Y-%m-%d %H:%M')
        if t.weekday() not in (4, 5) or t.hour not in hours:
            continue
        x, y = float(r['longitude']), float(r['latitude'])
        if any(inside(x, y, p[0]) for p in polys):
            bins[t.weekday() * 24 + t.hour] += 1
    got = f['properties']['hour_of_week']
    nz = {i: v for i, v in enumerate(bins) if v}
    print(f['properties']['rank'], 'python', sum(bins), nz)
    print(f['properties']['rank'], 'hexwatch', sum(got), {i: v for i, v in enumerate(got) if v})
