// Development-only stand-in for the hexwatch server, so the page can be worked on
// without the Rust build. It serves web/ as static files and fakes the API:
//   GET /api/meta, GET /api/areas/wards, GET /tiles/cells/{z}/{x}/{y}?category&from&to&area&res,
//   GET /api/summary, /api/cells/{h3}, /api/wards[/{code}], /api/hotspots (json/csv/geojson)
//   Tiles and /api/hotspots also take method=gistar|moran|emerging (and k): made-up statistics
//   with the real property names, on every cell of the study area, empty ones included.
// The "cells" are regular hexagons on a metric grid (NOT real H3 cells) with H3-like
// edge lengths, and counts are a deterministic function of position, so the density
// ramp and popups can be exercised. Invalid parameters answer 400 with the same JSON
// error shape as the real server. No dependencies: node dev/mock-server.mjs [port]
// (MOCK_FAIL_TILES=1 answers every tile with a 400 instead.)
// Live data: GET /api/alerts answers made-up alerts in the real shape (on the fake
// hotspot hexagons and two wards), GET /api/events is an SSE stream with keep-alive
// comments, and with MOCK_LIVE_MS=5000 it also sends a `data-version` event every 5 s and
// a made-up `alert` event every third time (the page then reloads its tiles and lists it).

import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PORT = Number(process.argv[2] || process.env.PORT || 8765);

const MONTHS = Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}`);
const CATEGORIES = [
  ['anti-social-behaviour', 'Anti-social behaviour', 13737],
  ['violent-crime', 'Violence and sexual offences', 17020],
  ['criminal-damage-arson', 'Criminal damage and arson', 4412],
  ['shoplifting', 'Shoplifting', 5120],
  ['burglary', 'Burglary', 2231],
  ['vehicle-crime', 'Vehicle crime', 2870],
  ['public-order', 'Public order', 4133],
  ['other-theft', 'Other theft', 3890],
  ['drugs', 'Drugs', 2450],
].map(([slug, name, count]) => ({ slug, name, property: `count_${slug.replaceAll('-', '_')}`, count }));

// The repository's real BCP ward file when present (renamed to the API's code/name
// properties), else a 3x2 grid of fake square "wards" over Bournemouth/Poole.
const WARD_FILE = resolve(ROOT, '../data/boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson');
const WARDS = [];
try {
  for (const f of JSON.parse(readFileSync(WARD_FILE, 'utf8')).features) {
    WARDS.push({ type: 'Feature', properties: { code: f.properties.WD20CD, name: f.properties.WD20NM }, geometry: f.geometry });
  }
} catch {
  console.warn(`no ${WARD_FILE}; using fake square wards`);
}
if (!WARDS.length) {
  const names = ['Westbourne & West Cliff', 'Bournemouth Central', 'Boscombe West',
    'Poole Town', 'Alderney & Bourne Valley', 'Winton East'];
  let i = 0;
  for (let row = 0; row < 2; row++) {
    for (let col = 0; col < 3; col++, i++) {
      const x0 = -1.99 + col * 0.06, y0 = 50.71 + row * 0.04;
      WARDS.push({
        type: 'Feature',
        properties: { code: `E0501${2640 + i}`, name: names[i] },
        geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x0 + 0.06, y0], [x0 + 0.06, y0 + 0.04], [x0, y0 + 0.04], [x0, y0]]] },
      });
    }
  }
}

const ZOOM_RES = [[0, 5], [8, 6], [10, 7], [11, 8], [13, 9], [14, 10], [16, 11], [17, 12]];
// Average H3 hexagon edge length in metres by resolution.
const EDGE_M = { 5: 9854, 6: 3725, 7: 1406, 8: 531, 9: 201, 10: 76, 11: 28.7, 12: 10.8 };

const META = {
  data_version: 1,
  time_precision: 'month',
  flags: [],
  time_filters: { hours: 'hours=22-3 (local wall-clock time); needs times to the hour', weekdays: 'weekdays=fri,sat; needs dates' },
  months: { first: MONTHS[0], last: MONTHS.at(-1), list: MONTHS },
  categories: CATEGORIES.map((c) => ({ ...c, time_precision: 'month' })),
  counts: { incidents: 55863, in_bcp: 34900, outside_every_ward: 20963 },
  areas: [{ id: 'bcp', name: 'Bournemouth, Christchurch and Poole' },
    ...WARDS.map((w) => ({ id: `ward:${w.properties.code}`, name: w.properties.name }))],
  zoom_resolution: ZOOM_RES.map(([min_zoom, res]) => ({ min_zoom, res })),
  attribution: 'Contains public sector information licensed under the Open Government Licence v3.0.',
};

// ---------------------------------------------------------------- minimal MVT encoder
// Just enough protobuf (varints, length-delimited fields, packed uint32) to write
// vector tile spec 2.1 layers with polygon features and string/uint/double values.
class Pbf {
  constructor() { this.bytes = []; }
  varint(n) {
    n = BigInt(n);
    do {
      let b = Number(n & 0x7fn); n >>= 7n;
      if (n) b |= 0x80;
      this.bytes.push(b);
    } while (n);
    return this;
  }
  key(field, wire) { return this.varint((field << 3) | wire); }
  uint(field, n) { return this.key(field, 0).varint(n); }
  raw(field, bytes) { this.key(field, 2).varint(bytes.length); this.bytes.push(...bytes); return this; }
  string(field, s) { return this.raw(field, [...Buffer.from(s, 'utf8')]); }
  double(field, d) { const b = Buffer.alloc(8); b.writeDoubleLE(d); this.key(field, 1); this.bytes.push(...b); return this; }
  packed(field, nums) { const p = new Pbf(); nums.forEach((n) => p.varint(n)); return this.raw(field, p.bytes); }
}

const zigzag = (n) => (n << 1) ^ (n >> 31);

function encodeLayer(name, extent, features) {
  const keys = [], values = [], keyIdx = new Map(), valIdx = new Map();
  const layer = new Pbf().uint(15, 2).string(1, name);
  features.forEach((f, i) => {
    const tags = [];
    for (const [k, v] of Object.entries(f.properties)) {
      if (!keyIdx.has(k)) { keyIdx.set(k, keys.length); keys.push(k); }
      const vk = `${typeof v}:${v}`;
      if (!valIdx.has(vk)) { valIdx.set(vk, values.length); values.push(v); }
      tags.push(keyIdx.get(k), valIdx.get(vk));
    }
    // Exterior ring only; caller provides it clockwise in y-down tile space.
    const geom = []; let cx = 0, cy = 0;
    const ring = f.ring;
    geom.push((1 << 3) | 1, zigzag(ring[0][0] - cx), zigzag(ring[0][1] - cy));
    [cx, cy] = ring[0];
    geom.push(((ring.length - 1) << 3) | 2);
    for (const [x, y] of ring.slice(1)) { geom.push(zigzag(x - cx), zigzag(y - cy)); cx = x; cy = y; }
    geom.push((1 << 3) | 7);
    const feat = new Pbf().uint(1, i + 1).packed(2, tags).uint(3, 3).packed(4, geom);
    layer.raw(2, feat.bytes);
  });
  keys.forEach((k) => layer.string(3, k));
  for (const v of values) {
    const val = new Pbf();
    if (typeof v === 'string') val.string(1, v);
    else if (Number.isInteger(v) && v >= 0) val.uint(5, v);
    else val.double(3, v);
    layer.raw(4, val.bytes);
  }
  layer.uint(5, extent);
  return Buffer.from(new Pbf().raw(3, layer.bytes).bytes);
}

// ---------------------------------------------------------------- fake cells
const R = 6378137;
const mercX = (lon) => (lon * Math.PI / 180) * R;
const mercY = (lat) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI / 180) / 2)) * R;
const HALF = Math.PI * R;
const DORSET = { w: mercX(-2.95), e: mercX(-1.68), s: mercY(50.5), n: mercY(51.1) };
const SCALE = 1 / Math.cos(50.72 * Math.PI / 180); // ground metres -> mercator metres here
const HOTSPOTS = [[-1.877, 50.721, 1.0], [-1.985, 50.715, 0.6], [-1.845, 50.727, 0.5], [-2.44, 50.61, 0.4]];

function hash(a, b, c) { // small deterministic integer hash -> [0, 1)
  let h = (a * 374761393 + b * 668265263 + c * 2147483647) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

function cellsForTile(z, x, y, q) {
  const res = q.res ?? ZOOM_RES.filter(([mz]) => mz <= z).at(-1)[1];
  const tileM = (2 * HALF) / 2 ** z;
  const tx0 = -HALF + x * tileM, ty1 = HALF - y * tileM; // top-left in mercator metres
  const edge = EDGE_M[res] * SCALE;
  const dx = 1.5 * edge, dy = Math.sqrt(3) * edge; // flat-topped hex grid
  const buf = 2 * edge;
  const bx0 = Math.max(tx0 - buf, DORSET.w), bx1 = Math.min(tx0 + tileM + buf, DORSET.e);
  const by0 = Math.max(ty1 - tileM - buf, DORSET.s), by1 = Math.min(ty1 + buf, DORSET.n);
  if (bx0 >= bx1 || by0 >= by1) return [];
  const out = [];
  const extent = 4096, k = extent / tileM;
  const months = MONTHS.indexOf(q.to) - MONTHS.indexOf(q.from) + 1;
  const areaKm2 = (3 * Math.sqrt(3) / 2) * (EDGE_M[res] / 1000) ** 2;
  for (let i = Math.floor(bx0 / dx); i * dx <= bx1; i++) {
    for (let j = Math.floor(by0 / dy); j * dy <= by1; j++) {
      const cx = i * dx, cy = j * dy + (i & 1 ? dy / 2 : 0);
      const lon = (cx / R) * 180 / Math.PI;
      const lat = (2 * Math.atan(Math.exp(cy / R)) - Math.PI / 2) * 180 / Math.PI;
      // With a statistic, the study area: BCP (or the chosen ward), every cell of it.
      const area = q.method && (!q.area || q.area === 'all') ? 'bcp' : q.area;
      if (area && !inArea(area, lon, lat)) continue;
      const props = {};
      let count = 0;
      q.categories.forEach((cat, ci) => {
        let intensity = 0; // expected incidents per km^2 per month around the hotspots
        for (const [hx, hy, w] of HOTSPOTS) {
          const d2 = ((lon - hx) * 0.63) ** 2 + (lat - hy) ** 2;
          intensity += w * 4000 * Math.exp(-d2 / 0.00002) + w * 25 * Math.exp(-d2 / 0.0006);
        }
        intensity *= (CATEGORIES.find((c) => c.slug === cat).count / 13737) * (0.3 + hash(i, j, ci));
        const n = Math.floor(intensity * areaKm2 * months * (0.5 + hash(j, i, res)));
        if (n > 0) { props[CATEGORIES.find((c) => c.slug === cat).property] = n; count += n; }
      });
      if (count === 0 && !q.method) continue;
      const ring = [];
      for (let v = 0; v <= 6; v++) { // clockwise on screen (y down), closing vertex dropped below
        const a = (-v * Math.PI) / 3;
        ring.push([Math.round((cx + edge * Math.cos(a) - tx0) * k), Math.round((ty1 - (cy + edge * Math.sin(a))) * k)]);
      }
      ring.pop();
      // Fake, H3-looking id; unique per (res, i, j) which is all the page relies on.
      const h3 = `8${res.toString(16)}${(((i & 0xffff) << 16) | (j & 0xffff)) >>> 0}`.padEnd(15, 'f').slice(0, 15);
      const density = count / areaKm2 / months;
      out.push({
        ring,
        properties: q.method ? { h3, res, count, ...fakeStat(q.method, density, hash(i, j, 7)) }
          : { h3, res, count, density_per_km2_month: density, area_km2: areaKm2, ...props },
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- fake statistics
// Plausible-looking values from the cell's density: NOT the server's statistics.
const erfc = (x) => { // Abramowitz–Stegun 7.1.26
  const t = 1 / (1 + 0.3275911 * x);
  return t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
};
const KINDS = ['new', 'consecutive', 'intensifying', 'persistent', 'diminishing', 'sporadic', 'oscillating', 'historical'];
function fakeStat(method, density, noise) {
  const z = (Math.log1p(density) - 2.2) * 2.2 + (noise - 0.5);
  const p = erfc(Math.abs(z) / Math.SQRT2);
  if (method === 'gistar') {
    const bin = Math.abs(z) >= 3.3 ? 3 : Math.abs(z) >= 2.6 ? 2 : Math.abs(z) >= 2 ? 1 : 0;
    return { gi_z: z, gi_p: p, gi_bin: Math.sign(z) * bin };
  }
  if (method === 'moran') {
    const cls = z > 2.6 ? (noise < 0.1 ? 'HL' : 'HH') : z < -2.6 ? (noise < 0.15 ? 'LH' : 'LL') : 'NS';
    return { moran_i: z * 0.8, moran_p: Math.max(0.001, Math.min(1, p * 5)), moran_class: cls };
  }
  const pattern = z > 3.3 ? 'persistent-hot' : z > 2.4 ? `${KINDS[Math.floor(noise * 8)]}-hot` : 'none';
  return { pattern, pattern_label: pattern === 'none' ? 'No Pattern Detected' : `${pattern.replace('-', ' ').replace(/\b\w/g, (c) => c.toUpperCase())} Spot`,
    trend_tau: (noise - 0.5) * 0.8, trend_p: 0.02 + noise * 0.9 };
}

function inArea(area, lon, lat) {
  const inRing = (ring) => { // even-odd ray casting
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
  const polygons = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
  const inWard = (w) => polygons(w.geometry).some(([outer, ...holes]) => inRing(outer) && !holes.some(inRing));
  if (area === 'bcp') return WARDS.some(inWard);
  return inWard(WARDS.find((w) => `ward:${w.properties.code}` === area));
}

// ---------------------------------------------------------------- query validation
class BadRequest extends Error {
  constructor(msg, parameter) { super(msg); this.parameter = parameter; }
}

function parseQuery(sp) {
  const q = { categories: CATEGORIES.map((c) => c.slug), from: MONTHS[0], to: MONTHS.at(-1), area: null, res: null, method: null, k: 1 };
  if (sp.has('category')) {
    q.categories = sp.get('category').split(',').filter(Boolean);
    for (const c of q.categories) {
      if (!CATEGORIES.some((k) => k.slug === c)) throw new BadRequest(`unknown category '${c}'`, 'category');
    }
  }
  for (const p of ['from', 'to']) {
    if (sp.has(p)) {
      if (!/^\d{4}-\d{2}$/.test(sp.get(p))) throw new BadRequest(`'${p}' must be YYYY-MM`, p);
      if (!MONTHS.includes(sp.get(p))) throw new BadRequest(`month ${sp.get(p)} is outside the data`, p);
      q[p] = sp.get(p);
    }
  }
  if (q.from > q.to) throw new BadRequest("'from' is after 'to'", 'from');
  if (sp.has('area')) {
    q.area = sp.get('area');
    if (!META.areas.some((a) => a.id === q.area)) throw new BadRequest(`unknown area '${q.area}'`, 'area');
  }
  if (sp.has('res')) {
    q.res = Number(sp.get('res'));
    if (!Number.isInteger(q.res) || q.res < 5 || q.res > 12) throw new BadRequest('res must be an integer 5..12', 'res');
  }
  if (sp.has('method') && sp.get('method') !== 'count') {
    q.method = sp.get('method');
    if (!['gistar', 'moran', 'emerging'].includes(q.method)) throw new BadRequest(`unknown method '${q.method}'`, 'method');
  }
  if (sp.has('k')) {
    q.k = Number(sp.get('k'));
    if (![1, 2, 3].includes(q.k)) throw new BadRequest('k must be 1, 2 or 3', 'k');
  }
  return q;
}

// ---------------------------------------------------------------- fake panels and tables
// Made-up but self-consistent numbers in the real API's shapes (see the README's API list).
const slugProp = (slug) => `count_${slug.replaceAll('-', '_')}`;
const monthsOf = (q) => MONTHS.filter((m) => m >= q.from && m <= q.to);
const AREA_SHARE = (area) => (area === null || area === 'all' ? 1 : area === 'bcp' ? 0.62 : 0.03);

/** Counts of a place holding `share` of the force's incidents, by category and month. */
function fakePlace(q, share, seed) {
  const byCategory = q.categories.map((slug, ci) => {
    const c = CATEGORIES.find((k) => k.slug === slug);
    const perMonth = monthsOf(q).map((m) => Math.round((c.count / 12) * share * (0.7 + 0.6 * hash(MONTHS.indexOf(m), ci, seed))));
    return { slug, name: c.name, count: perMonth.reduce((a, b) => a + b, 0), perMonth };
  });
  const byMonth = monthsOf(q).map((month, mi) => ({ month, count: byCategory.reduce((a, c) => a + c.perMonth[mi], 0) }));
  const count = byMonth.reduce((a, m) => a + m.count, 0);
  return {
    count,
    by_category: byCategory.map(({ slug, name, count: n }) => ({ slug, name, count: n })).sort((a, b) => b.count - a.count),
    by_month: byMonth,
    // police.uk shape: known to the month only, so no hour-of-week profile.
    hour_of_week: { available: false, reason: 'no selected incident has a time finer than the month (police.uk gives the month only)', month_only: count },
    top_locations: ['Shopping Area', 'Post Office Road', 'Gervis Place', 'Parking Area']
      .map((street, i) => ({ location: `On or near ${street}`, count: Math.floor(count / (3 + 2 * i)), points: 1 + (i === 0 ? 2 : 0) })),
  };
}

function fakeSummary(q) {
  const months = monthsOf(q);
  const place = fakePlace(q, AREA_SHARE(q.area), 1);
  const [pFrom, pTo] = [months.length, 1].map((k) => {
    const d = new Date(Date.UTC(Number(q.from.slice(0, 4)), Number(q.from.slice(5)) - 1 - k));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  });
  const available = MONTHS.includes(pFrom);
  const prev = available ? fakePlace({ ...q, from: pFrom, to: pTo }, AREA_SHARE(q.area), 1).count : null;
  return {
    incidents: place.count, months_selected: months.length, from: q.from, to: q.to,
    previous: { from: pFrom, to: pTo, incidents: prev, available },
    change: available ? { absolute: place.count - prev, percent: prev ? (100 * (place.count - prev)) / prev : null } : null,
    by_category: place.by_category, by_month: place.by_month, hour_of_week: place.hour_of_week, data_version: META.data_version,
  };
}

const wardArea = (i) => 2 + (i % 7) * 1.7;
function fakeWards(q) {
  return WARDS.map((w, i) => {
    const place = fakePlace(q, 0.012 + 0.03 * hash(i, 3, 5), 10 + i);
    const row = { code: w.properties.code, name: w.properties.name, area_km2: wardArea(i), count: place.count,
      density_per_km2_month: place.count / wardArea(i) / monthsOf(q).length };
    for (const c of CATEGORIES) row[slugProp(c.slug)] = place.by_category.find((b) => b.slug === c.slug)?.count ?? 0;
    return { row, place, ward: w };
  });
}

function fakeHotspots(q, limit) {
  const res = q.res ?? 9;
  const areaKm2 = (3 * Math.sqrt(3) / 2) * (EDGE_M[res] / 1000) ** 2;
  return HOTSPOTS.map(([lon, lat, w], i) => {
    const place = fakePlace(q, 0.004 * w * (res / 9), 20 + i);
    const d = (EDGE_M[res] / 111320) * 1.5;
    const ring = Array.from({ length: 7 }, (_, v) => [lon + d * Math.cos((v * Math.PI) / 3), lat + (d * 0.63) * Math.sin((v * Math.PI) / 3)]);
    const counts = Object.fromEntries(place.by_category.map((c) => [c.slug, c.count]));
    return { type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: [[ring]] },
      properties: { rank: i + 1, h3: `8${res.toString(16)}fake${i}`.padEnd(15, 'f'), res, count: place.count, counts,
        area_km2: areaKm2, density_per_km2_month: place.count / areaKm2 / monthsOf(q).length } };
  }).sort((a, b) => b.properties.count - a.properties.count).slice(0, limit)
    .map((f, i) => ({ ...f, properties: { ...f.properties, rank: i + 1 } }));
}

const toCsv = (header, rows) => [header.join(','), ...rows.map((r) => r.map((v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : v)).join(','))].join('\n') + '\n';

function panelRoutes(url, res) {
  const q = parseQuery(url.searchParams);
  const format = url.searchParams.get('format') || 'json';
  if (url.pathname === '/api/summary') return sendJson(res, 200, fakeSummary(q));
  if (url.pathname === '/api/hotspots') {
    const feats = fakeHotspots(q, Number(url.searchParams.get('limit') || 100));
    if (q.method && format !== 'csv') {
      // Made-up class counts in the real answer's shape (foreign members beside the features).
      const classes = { gistar: { 3: 48, 2: 7, 1: 3, 0: 1823 }, moran: { HH: 80, HL: 8, LH: 26, LL: 400, NS: 1367 },
        emerging: { 'persistent-hot': 40, 'consecutive-hot': 8, 'sporadic-hot': 6, 'new-hot': 3, none: 1824 } }[q.method];
      const stats = feats.map((f) => ({ ...f, properties: { rank: f.properties.rank, h3: f.properties.h3, res: f.properties.res, count: f.properties.count,
        ...fakeStat(q.method, f.properties.density_per_km2_month, 0.5) } }));
      return sendJson(res, 200, { type: 'FeatureCollection', method: q.method, res: q.res ?? 9, k: q.k, permutations: 999, study_area_cells: 1881,
        incidents: 8619, outside_study_area: 0, classes, steps: q.method === 'emerging' ? monthsOf(q) : null, data_version: META.data_version, features: stats });
    }
    if (format !== 'csv') return sendJson(res, 200, { type: 'FeatureCollection', features: feats });
    return send(res, 200, 'text/csv', toCsv(['rank', 'h3', 'res', 'count', 'area_km2', 'density_per_km2_month', ...CATEGORIES.map((c) => c.slug)],
      feats.map(({ properties: p }) => [p.rank, p.h3, p.res, p.count, p.area_km2.toFixed(6), p.density_per_km2_month.toFixed(3),
        ...CATEGORIES.map((c) => p.counts[c.slug] ?? 0)])));
  }
  if (url.pathname === '/api/wards') {
    const wards = fakeWards(q);
    if (format === 'csv') {
      const cols = ['code', 'name', 'area_km2', 'count', 'density_per_km2_month'];
      return send(res, 200, 'text/csv', toCsv([...cols, ...CATEGORIES.map((c) => c.slug)],
        wards.map(({ row }) => [...cols.map((k) => row[k]), ...CATEGORIES.map((c) => row[slugProp(c.slug)])])));
    }
    if (format === 'geojson') {
      return sendJson(res, 200, { type: 'FeatureCollection', features: wards.map(({ row, ward }) => ({ type: 'Feature', geometry: ward.geometry, properties: row })) });
    }
    return sendJson(res, 200, { wards: wards.map(({ row }) => row), months_selected: monthsOf(q).length, data_version: META.data_version });
  }
  const ward = url.pathname.match(/^\/api\/wards\/([A-Z0-9]+)$/);
  if (ward) {
    const found = fakeWards(q).find(({ row }) => row.code === ward[1]);
    if (!found) return sendJson(res, 404, { error: `no ward ${ward[1]}` });
    return sendJson(res, 200, { ...found.row, ...found.place });
  }
  const cell = url.pathname.match(/^\/api\/cells\/([0-9a-z]+)$/);
  if (cell) {
    const r = parseInt(cell[1][1], 16) || 9;
    const areaKm2 = (3 * Math.sqrt(3) / 2) * (EDGE_M[r] / 1000) ** 2;
    const place = fakePlace(q, 0.002, cell[1].length);
    return sendJson(res, 200, { h3: cell[1], res: r, area_km2: areaKm2, density_per_km2_month: place.count / areaKm2 / monthsOf(q).length,
      ...place, wards: WARDS.slice(0, 1).map((w) => ({ code: w.properties.code, name: w.properties.name, count: place.count })) });
  }
  return null;
}

// ---------------------------------------------------------------- alerts and live events
const ALERT_METHOD = 'exact conditional Poisson test: x | x+S ~ Binomial(x+S, 1/(B+1)), upper tail; Benjamini-Hochberg across the series of the period';
let liveAlerts = 0;
const raisedLive = new Map(); // id → feature of the alerts sent as events, served by /api/alerts too
function fakeAlert(i, { kind, unit, geometry, category, period, status, observed, expected }) {
  return {
    type: 'Feature', id: `${unit}:${category}:${period}`, geometry,
    properties: {
      id: `${unit}:${category}:${period}`, kind, unit, category, period, observed, expected, ratio: expected > 0 ? observed / expected : null,
      p: 1e-6 / (i + 1), q: 1e-4 / (i + 1), method: ALERT_METHOD, seasonality: 'not modelled (fewer than 24 months of data)',
      first_raised: period, status, note: null, raised_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    },
  };
}
function fakeAlerts() {
  const cells = fakeHotspots({ ...parseQuery(new URLSearchParams()), res: 9 }, 4).map((f, i) => fakeAlert(i, {
    kind: 'cell', unit: f.properties.h3, geometry: { type: 'Polygon', coordinates: f.geometry.coordinates[0] },
    category: i % 2 ? 'violent-crime' : 'anti-social-behaviour', period: MONTHS[11 - (i % 3)], status: i === 3 ? 'expired' : 'open',
    observed: 12 + 3 * i, expected: 2.5,
  }));
  const wards = WARDS.slice(0, 2).map((w, i) => fakeAlert(10 + i, {
    kind: 'ward', unit: w.properties.code, geometry: w.geometry, category: i ? 'drugs' : 'shoplifting', period: MONTHS[6],
    status: i ? 'acknowledged' : 'expired', observed: 40 + i, expected: 15,
  }));
  return [...cells, ...wards, ...raisedLive.values()];
}

const liveClients = new Set();
let eventId = 0;
function sendEvent(name, data) {
  eventId += 1;
  for (const res of liveClients) res.write(`id: ${eventId}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}
function openEvents(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.write(': mock hexwatch events\n\n');
  liveClients.add(res);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15000);
  req.on('close', () => { clearInterval(keepAlive); liveClients.delete(res); });
}
if (Number(process.env.MOCK_LIVE_MS) > 0) {
  let tick = 0;
  setInterval(() => {
    META.data_version += 1;
    sendEvent('data-version', { data_version: META.data_version });
    if (++tick % 3 === 0) {
      liveAlerts += 1;
      const spots = fakeHotspots({ ...parseQuery(new URLSearchParams()), res: 9 }, 100);
      const f = spots[(3 + liveAlerts) % spots.length];
      const alert = fakeAlert(20 + liveAlerts, {
        kind: 'cell', unit: f.properties.h3, geometry: { type: 'Polygon', coordinates: f.geometry.coordinates[0] },
        category: 'criminal-damage-arson', period: MONTHS[11], status: 'open', observed: 20 + liveAlerts, expected: 1.5,
      });
      alert.properties.raised_at = new Date().toISOString();
      raisedLive.set(alert.id, alert);
      sendEvent('alert', alert.properties); // as the server: the properties, no geometry
    }
  }, Number(process.env.MOCK_LIVE_MS));
}

// ---------------------------------------------------------------- HTTP
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.map': 'application/json', '.png': 'image/png', '.csv': 'text/csv' };

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
  return true;
}
const sendJson = (res, status, obj) => send(res, status, 'application/json', JSON.stringify(obj));

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  try {
    if (url.pathname === '/api/meta') return sendJson(res, 200, META);
    if (url.pathname === '/api/areas/wards') return sendJson(res, 200, { type: 'FeatureCollection', features: WARDS });
    const m = url.pathname.match(/^\/tiles\/cells\/(\d+)\/(\d+)\/(\d+?)(?:\.mvt|\.pbf)?$/);
    if (m) {
      const [z, x, y] = m.slice(1).map(Number);
      if (z > 20 || x >= 2 ** z || y >= 2 ** z) throw new BadRequest('tile out of range', 'z');
      const q = parseQuery(url.searchParams);
      // MOCK_FAIL_TILES=1 makes every tile a 400, to exercise the page's status bar.
      if (process.env.MOCK_FAIL_TILES) throw new BadRequest('simulated tile failure', 'category');
      const feats = cellsForTile(z, x, y, q);
      return send(res, 200, 'application/vnd.mapbox-vector-tile', encodeLayer('cells', 4096, feats));
    }
    if (url.pathname === '/api/events') return openEvents(req, res);
    if (url.pathname === '/api/alerts') {
      const status = url.searchParams.get('status');
      const features = fakeAlerts().filter((f) => !status || f.properties.status === status);
      return send(res, 200, 'application/geo+json', JSON.stringify({ type: 'FeatureCollection', features, method: ALERT_METHOD, data_version: META.data_version }));
    }
    if (url.pathname.startsWith('/api/') && panelRoutes(url, res)) return;
    if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/tiles/')) {
      return sendJson(res, 404, { error: 'not found' });
    }
    // Static files from web/.
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(ROOT, rel));
    if (!file.startsWith(ROOT + sep)) return send(res, 403, 'text/plain', 'forbidden');
    const body = await readFile(file);
    return send(res, 200, TYPES[extname(file)] || 'application/octet-stream', body);
  } catch (err) {
    if (err instanceof BadRequest) return sendJson(res, 400, { error: err.message, parameter: err.parameter });
    if (err.code === 'ENOENT' || err.code === 'EISDIR') return send(res, 404, 'text/plain', 'not found');
    console.error(err);
    return sendJson(res, 500, { error: String(err) });
  }
}).listen(PORT, '127.0.0.1', () => console.log(`mock hexwatch on http://127.0.0.1:${PORT}/`));
