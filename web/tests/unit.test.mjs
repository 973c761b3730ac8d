// Unit tests of the page's pure modules (no browser): the URL state and the colour classes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alertType, compareAlerts, describeAlert, filterAlerts, fmtFirstRaised, fmtProbability, fmtRatio, pointInGeometry, ringCentre, wardAt,
} from '../lib/alerts.js';
import { classLabels, ladderBreaks, MAGMA_8, PUBU_6, stepExpression } from '../lib/scale.js';
import { areaLabel, setLabel } from '../layers/boundaries.js';
import {
  areaChoices, areaIds, changedKeys, defaultBoundarySet, filterPairs, filtersChanged, stateFromUrl, urlQuery,
} from '../lib/state.js';

const META = {
  categories: [
    { slug: 'violent-crime', name: 'Violence and sexual offences' },
    { slug: 'anti-social-behaviour', name: 'Anti-social behaviour' },
    { slug: 'drugs', name: 'Drugs' },
  ],
  months: { first: '2025-01', last: '2025-12', list: Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}`) },
  areas: [{ id: 'bcp', name: 'BCP' }, { id: 'ward:E05012653', name: 'Bournemouth Central' }],
};
const OPTS = { layerIds: ['wards', 'ward-density', 'cells'], defaultLayers: ['wards', 'cells'], selKinds: ['cell', 'ward'] };
const map = { getCenter: () => ({ lat: 50.72095, lng: -1.87688 }), getZoom: () => 13.5 };

test('defaults: ASB and violence, every month, BCP, automatic resolution', () => {
  const s = stateFromUrl(META, '', OPTS);
  assert.deepEqual(s.categories, ['violent-crime', 'anti-social-behaviour']);
  assert.deepEqual([s.from, s.to, s.area, s.res, s.sel, s.view], ['2025-01', '2025-12', 'bcp', null, null, null]);
  assert.deepEqual(s.layers, ['wards', 'cells']);
});

test('the URL round-trips the whole state', () => {
  const query = 'category=anti-social-behaviour,drugs&from=2025-03&to=2025-05&area=ward:E05012653&res=9'
    + '&layers=wards,ward-density&sel=cell:891959710bbffff&map=13.50/50.72095/-1.87688';
  const s = stateFromUrl(META, `?${query}`, OPTS);
  assert.deepEqual(s.view, { zoom: 13.5, center: [-1.87688, 50.72095] });
  assert.equal(urlQuery(s, map), query);
});

test('an empty category list survives the URL; the server is never sent category=', () => {
  const s = stateFromUrl(META, '?category=&from=2025-01&to=2025-12&area=bcp', OPTS);
  assert.deepEqual(s.categories, []);
  assert.match(urlQuery(s, map), /^category=&from=/);
  assert.ok(!filterPairs(s).some(([k]) => k === 'category'));
});

test('unknown or invalid values fall back to defaults, and a reversed range is put in order', () => {
  const s = stateFromUrl(META, '?category=nope,drugs&from=2025-09&to=2025-02&area=ward:X&res=13&layers=bogus&sel=cell:<x>&map=1/2', OPTS);
  assert.deepEqual(s.categories, ['drugs']);
  assert.deepEqual([s.from, s.to], ['2025-02', '2025-09']);
  assert.deepEqual([s.area, s.res, s.sel, s.view], ['bcp', null, null, null]);
  assert.deepEqual(s.layers, []);
});

test('changedKeys names what differs', () => {
  const a = stateFromUrl(META, '', OPTS);
  assert.deepEqual([...changedKeys(a, { ...a, to: '2025-06', res: 9 })].sort(), ['months', 'res']);
  assert.equal(changedKeys(a, { ...a, categories: [...a.categories] }).size, 0);
});

test('class breaks come from a fixed 1–3–10 ladder around the peak', () => {
  assert.deepEqual(ladderBreaks(209, 7), [0.3, 1, 3, 10, 30, 100, 300]);
  assert.deepEqual(ladderBreaks(300, 7), [0.3, 1, 3, 10, 30, 100, 300]);
  assert.deepEqual(ladderBreaks(150, 5, { minTop: 1, fit: 'below' }), [1, 3, 10, 30, 100]);
  assert.deepEqual(ladderBreaks(0, 7), [0.01, 0.03, 0.1, 0.3, 1, 3, 10], 'no data: a floor of 10');
  assert.deepEqual(classLabels([1, 3, 1000]), ['< 1', '1 – 3', '3 – 1,000', '≥ 1,000']);
  assert.equal(MAGMA_8.length, 8);
  assert.equal(PUBU_6.length, 6);
  const expr = stepExpression('d', [1, 3], ['a', 'b', 'c']);
  assert.deepEqual(expr, ['step', ['to-number', ['get', 'd'], 0], 'a', 1, 'b', 3, 'c']);
});

test('the statistics neighbourhood k: default 1 (left out of the URL), 2 and 3 kept, others dropped', async () => {
  assert.equal(stateFromUrl(META, '', OPTS).k, 1);
  assert.equal(stateFromUrl(META, '?k=7', OPTS).k, 1);
  const s = stateFromUrl(META, '?category=drugs&from=2025-01&to=2025-12&area=bcp&k=3&layers=wards', OPTS);
  assert.equal(s.k, 3);
  assert.match(urlQuery(s, map), /&area=bcp&k=3&layers=wards&/);
  assert.doesNotMatch(urlQuery({ ...s, k: 1 }, map), /k=/);
  assert.deepEqual([...changedKeys(s, { ...s, k: 2 })], ['k']);
  assert.ok(!filterPairs(s).some(([key]) => key === 'k'), 'k is not a filter of the count routes');
});

test('statistics layers: conventional colours for every server class', async () => {
  const { GI_BINS } = await import('../layers/gistar.js');
  const { MORAN_CLASSES } = await import('../layers/moran.js');
  const { PATTERNS } = await import('../layers/emerging.js');
  const gistar = (await import('../layers/gistar.js')).default;
  // Esri's hot spot colours for the hot bins, a blue ramp for the cold ones, nothing for 0.
  assert.deepEqual(GI_BINS.map((b) => b.bin), [3, 2, 1, 0, -1, -2, -3]);
  assert.deepEqual(GI_BINS.slice(0, 3).map((b) => b.colour), ['#d62f27', '#ed7551', '#fab984']);
  assert.equal(GI_BINS.at(-1).colour, '#4575b5');
  const fill = gistar.layers()[0].paint['fill-color'];
  assert.equal(fill[0], 'match');
  assert.equal(fill[fill.indexOf(3) + 1], '#d62f27');
  assert.equal(fill.at(-1), 'rgba(0, 0, 0, 0)', 'not significant: unfilled');
  assert.deepEqual(MORAN_CLASSES.map((c) => c.key), ['HH', 'HL', 'LH', 'LL', 'NS']);
  // Esri's 17 patterns (the server's slugs), each with its own colour.
  const kinds = ['new', 'consecutive', 'intensifying', 'persistent', 'diminishing', 'sporadic', 'oscillating', 'historical'];
  assert.deepEqual(PATTERNS.map((p) => p.key), [...kinds.map((k) => `${k}-hot`), ...kinds.map((k) => `${k}-cold`), 'none']);
  assert.equal(new Set(PATTERNS.map((p) => p.colour)).size, 17);
});

test('time of day, weekdays and flags: URL, server parameters and what each precision allows', async () => {
  const { canonicalHours, hoursParam, parseWeekdays, timeFilters, timeLabel, weekdaysParam } = await import('../lib/state.js');
  assert.equal(hoursParam(22, 3), '22-3');
  assert.equal(hoursParam(8, 24), '8-24');
  assert.equal(hoursParam(0, 24), null, 'the whole day is no filter');
  assert.equal(hoursParam(5, 5), null, 'from 05:00 until 05:00 is the whole day too');
  assert.deepEqual(['22-3', '5', '0-24', '25-3', 'x'].map(canonicalHours), ['22-3', '5-6', null, null, null]);
  assert.deepEqual(parseWeekdays('fri,sat'), [4, 5]);
  assert.deepEqual(parseWeekdays('sat-mon'), [0, 5, 6]);
  assert.equal(parseWeekdays('funday'), null);
  assert.equal(weekdaysParam([4, 5]), 'fri,sat');
  assert.equal(weekdaysParam([0, 1, 2, 3, 4, 5, 6]), null, 'every day is no filter');

  const partner = {
    ...META,
    time_precision: 'month',
    flags: ['residence'],
    categories: [...META.categories.map((c) => ({ ...c, time_precision: 'month' })), { slug: 'assault', name: 'Assault', time_precision: 'minute' }],
  };
  const s = stateFromUrl(partner, '?category=assault&hours=22-3&weekdays=fri,sat&flag=residence,bogus', OPTS);
  assert.deepEqual([s.hours, s.weekdays, s.flags], ['22-3', [4, 5], ['residence']]);
  assert.deepEqual(filterPairs(s).slice(0, 6).map(([k]) => k), ['category', 'from', 'to', 'hours', 'weekdays', 'flag']);
  assert.match(urlQuery(s, map), /&hours=22-3&weekdays=fri,sat&flag=residence&area=bcp&/);
  assert.equal(timeLabel(s), 'Fri, Sat · 22:00–03:00 · flag residence');
  assert.deepEqual([...changedKeys(s, { ...s, hours: null })], ['time']);
  assert.deepEqual([...changedKeys(s, { ...s, flags: [] })], ['flags']);

  // police.uk categories are known to the month: no hour or weekday filter, and the reason.
  const dorset = stateFromUrl(partner, '?category=drugs,assault&hours=22-3&weekdays=fri', OPTS);
  assert.deepEqual([dorset.hours, dorset.weekdays], [null, []]);
  const t = timeFilters(partner, ['drugs']);
  assert.deepEqual([t.hours, t.weekdays, t.precision], [false, false, 'month']);
  assert.match(t.reason, /police\.uk data has month precision \(police\.uk gives the month only/);
  assert.deepEqual([timeFilters(partner, ['assault']).hours, timeFilters(partner, ['assault']).reason], [true, null]);
  const daily = { ...partner, categories: [{ slug: 'assault', name: 'Assault', time_precision: 'day' }] };
  assert.deepEqual([timeFilters(daily, ['assault']).hours, timeFilters(daily, ['assault']).weekdays], [false, true]);
});

test('data outside BCP: no area filter, all data by default', () => {
  const elsewhere = { ...META, counts: { incidents: 10, in_bcp: 0 } };
  const s = stateFromUrl(elsewhere, '?area=bcp', OPTS);
  assert.equal(s.area, 'all');
  assert.equal(stateFromUrl({ ...META, counts: { in_bcp: 5 } }, '', OPTS).area, 'bcp');
});

test('area outlines: the boundary set defaults to the LSOAs and is in the URL only when changed', () => {
  const meta = {
    ...META,
    areas: [...META.areas, { id: 'lsoa:E01034271', name: 'Bournemouth, Christchurch and Poole 038E', code: 'E01034271', set: 'lsoa' }],
    area_sets: [{ set: 'ward', areas: 33 }, { set: 'lsoa', areas: 240 }, { set: 'beats', areas: 4 }],
  };
  assert.equal(stateFromUrl(meta, '', OPTS).bset, 'lsoa');
  assert.equal(stateFromUrl(META, '', OPTS).bset, null, 'no sets, no outlines');
  assert.equal(defaultBoundarySet({ ...META, area_sets: [{ set: 'beats', areas: 4 }] }), 'beats', 'no LSOAs: the first set');
  assert.equal(stateFromUrl(meta, '?bset=nope', OPTS).bset, 'lsoa');
  const s = stateFromUrl(meta, '?area=lsoa:E01034271&bset=beats', OPTS);
  assert.deepEqual([s.area, s.bset], ['lsoa:E01034271', 'beats']);
  assert.match(urlQuery(s, map, { defaultBset: 'lsoa' }), /&area=lsoa:E01034271&bset=beats&layers=/);
  assert.doesNotMatch(urlQuery({ ...s, bset: 'lsoa' }, map, { defaultBset: 'lsoa' }), /bset=/);
  assert.deepEqual([...changedKeys(s, { ...s, bset: 'ward' })], ['bset']);
  assert.ok(!filtersChanged(changedKeys(s, { ...s, bset: 'ward' })), 'the outlines shown are not a filter');
  assert.ok(!filterPairs(s).some(([key]) => key === 'bset'), 'bset is never sent to the server');
});

test('areas and the time filters together: one state, one URL, every change named', () => {
  const meta = {
    ...META,
    time_precision: 'month',
    flags: ['residence'],
    categories: [{ slug: 'assault', name: 'Assault', time_precision: 'minute' }],
    areas: [...META.areas, { id: 'lsoa:E01034271', name: 'Bournemouth, Christchurch and Poole 038E', code: 'E01034271', set: 'lsoa' }],
    area_sets: [{ set: 'ward', areas: 33 }, { set: 'lsoa', areas: 240 }],
  };
  const query = 'category=assault&from=2025-02&to=2025-03&hours=22-3&weekdays=fri,sat&flag=residence&area=lsoa:E01034271'
    + '&bset=ward&layers=wards,cells&map=13.50/50.72095/-1.87688';
  const s = stateFromUrl(meta, `?${query}`, OPTS);
  assert.equal(urlQuery(s, map, { defaultBset: defaultBoundarySet(meta) }), query);
  assert.deepEqual(filterPairs(s).map(([k]) => k), ['category', 'from', 'to', 'hours', 'weekdays', 'flag', 'area']);
  const next = { ...s, hours: null, flags: [], area: 'bcp', bset: 'lsoa', layers: ['wards'] };
  assert.deepEqual([...changedKeys(s, next)].sort(), ['area', 'bset', 'flags', 'layers', 'time']);
  assert.ok(filtersChanged(changedKeys(s, { ...s, weekdays: [] })));
  assert.equal(changedKeys(s, { ...s, weekdays: [...s.weekdays], layers: [...s.layers] }).size, 0);
});

test('data outside BCP: no ward or LSOA in the Area filter, but the areas of a custom set', () => {
  const meta = {
    ...META,
    counts: { incidents: 10, in_bcp: 0 },
    areas: [
      ...META.areas.map((a) => (a.id === 'bcp' ? a : { ...a, set: 'ward' })),
      { id: 'lsoa:E01034271', name: 'Bournemouth, Christchurch and Poole 038E', code: 'E01034271', set: 'lsoa' },
      { id: 'custom:beats/Beat 1', name: 'Beat 1', code: '1', set: 'beats', bbox: [-87.7, 41.8, -87.6, 41.9] },
    ],
    area_sets: [{ set: 'ward', areas: 1 }, { set: 'lsoa', areas: 1 }, { set: 'beats', areas: 1 }],
  };
  assert.deepEqual(areaIds(meta), ['all', 'custom:beats/Beat 1']);
  assert.equal(stateFromUrl(meta, '?area=lsoa:E01034271', OPTS).area, 'all');
  assert.equal(stateFromUrl(meta, '?area=custom:beats/Beat 1', OPTS).area, 'custom:beats/Beat 1');
  assert.deepEqual(areaChoices({ ...meta, counts: { in_bcp: 5 } }).map((a) => a.id), meta.areas.map((a) => a.id), 'data in BCP: every area');
});

test('area labels: LSOAs by their short name and code, sets by what they are', () => {
  assert.equal(areaLabel({ set: 'lsoa', code: 'E01034271', name: 'Bournemouth, Christchurch and Poole 038E' }), 'BCP 038E (E01034271)');
  assert.equal(areaLabel({ set: 'ward', code: 'E05012653', name: 'Bournemouth Central' }), 'Bournemouth Central');
  assert.equal(areaLabel({ set: 'beats', code: '1', name: 'Beat 1' }), 'Beat 1');
  assert.deepEqual(['lsoa', 'ward', 'beats'].map((set) => setLabel({}, set)), ['LSOAs (2021)', 'Wards (2020)', 'Custom: beats']);
});

test('alert ids in sel= survive the URL; other characters do not', () => {
  const opts = { ...OPTS, selKinds: ['cell', 'ward', 'alert'] };
  const id = '8919590d2c3ffff:anti-social-behaviour:2025-12';
  assert.equal(stateFromUrl(META, `?sel=alert:${id}`, opts).sel, `alert:${id}`);
  assert.match(urlQuery(stateFromUrl(META, `?sel=alert:${id}`, opts), map), new RegExp(`&sel=alert:${id}&`));
  assert.equal(stateFromUrl(META, '?sel=alert:<x>', opts).sel, null);
  assert.equal(stateFromUrl(META, '?sel=alert::x', opts).sel, null);
});

test('alerts: the test behind each, figures as the panel shows them, newest first, filters', () => {
  const META_A = { ...META, areas: [...META.areas, { id: 'ward:E05012664', name: 'Highcliffe & Walkford', code: 'E05012664' }] };
  const count = {
    id: '8919590d2c3ffff:anti-social-behaviour:2025-12', kind: 'cell', unit: '8919590d2c3ffff', category: 'anti-social-behaviour',
    period: '2025-12', observed: 30, expected: 1 / 6, ratio: 180, p: 1.185e-24, q: 2.229e-21,
    method: 'exact conditional Poisson test: …', first_raised: '2025-12', status: 'open', raised_at: '2026-01-05T10:00:00Z',
  };
  const emerging = {
    ...count, id: `${count.id}:emerging`, p: null, q: null, observed: 0, expected: 0, ratio: null,
    method: 'emerging hot spot transition (space-time Gi*, …)', first_raised: '2025-12 (No Pattern Detected → New Hot Spot)',
  };
  const ward = {
    ...count, id: 'E05012664:drugs:2025-07', kind: 'ward', unit: 'E05012664', category: 'drugs', period: '2025-07',
    observed: 52, expected: 16, ratio: 3.25, q: 0.0123, status: 'expired', raised_at: '2026-01-01T00:00:00Z',
  };
  assert.deepEqual([alertType(count), alertType(emerging), alertType(ward)], ['count', 'emerging', 'count']);
  assert.equal(fmtProbability(2.229e-21), '2.2 × 10⁻²¹');
  assert.equal(fmtProbability(0.0123), '0.012');
  assert.equal(fmtProbability(null), '–');
  assert.deepEqual([fmtRatio(180), fmtRatio(3.25), fmtRatio(null)], ['×180', '×3.25', 'nothing expected']);
  assert.equal(fmtFirstRaised('2025-12 (No Pattern Detected → New Hot Spot)'), 'Dec 2025 (No Pattern Detected → New Hot Spot)');

  const d = describeAlert(META_A, count, { cellWard: 'Highcliffe & Walkford' });
  assert.deepEqual(d, {
    type: 'count', title: 'Anti-social behaviour · Dec 2025', where: 'Cell 8919590d2c3ffff (Highcliffe & Walkford)',
    figures: '30 vs 0.17 expected (×180)', evidence: 'q = 2.2 × 10⁻²¹', raised: 'First raised Dec 2025',
  });
  assert.equal(describeAlert(META_A, ward).where, 'Ward: Highcliffe & Walkford');
  assert.equal(describeAlert(META_A, emerging).evidence, 'Emerging hot spot');

  // Newest raised first; then the later period; then the smaller q.
  const older = { ...count, id: 'b', raised_at: '2026-01-01T00:00:00Z', period: '2025-11' };
  assert.deepEqual([ward, older, emerging, count].sort(compareAlerts).map((a) => a.id), [count.id, emerging.id, 'b', ward.id]);
  const all = [count, emerging, ward, older];
  assert.deepEqual(filterAlerts(all).map((a) => a.id), [count.id, emerging.id, 'b']);
  assert.deepEqual(filterAlerts(all, { status: '', period: '2025-07' }).map((a) => a.id), [ward.id]);
  assert.deepEqual(filterAlerts(all, { status: 'open', type: 'emerging' }).map((a) => a.id), [emerging.id]);
});

test('alerts: a cell alert is placed in its ward by point in polygon', () => {
  const square = (x0, y0, x1, y1) => [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]];
  const wards = { type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { code: 'A', name: 'West' }, geometry: { type: 'Polygon', coordinates: square(0, 0, 1, 1) } },
    { type: 'Feature', properties: { code: 'B', name: 'East' }, geometry: { type: 'MultiPolygon', coordinates: [square(1, 0, 2, 1), square(5, 5, 6, 6)] } },
  ] };
  const hexagon = { type: 'Polygon', coordinates: [[[1.4, 0.5], [1.45, 0.6], [1.55, 0.6], [1.6, 0.5], [1.55, 0.4], [1.45, 0.4], [1.4, 0.5]]] };
  const centre = ringCentre(hexagon);
  assert.ok(Math.abs(centre[0] - 1.5) < 1e-12 && Math.abs(centre[1] - 0.5) < 1e-12);
  assert.equal(wardAt(wards, centre), 'East');
  assert.equal(wardAt(wards, [0.5, 0.5]), 'West');
  assert.equal(wardAt(wards, [5.5, 5.5]), 'East');
  assert.equal(wardAt(wards, [3, 3]), null);
  const holed = { type: 'Polygon', coordinates: [...square(0, 0, 4, 4), ...square(1, 1, 2, 2)] };
  assert.deepEqual([pointInGeometry([0.5, 0.5], holed), pointInGeometry([1.5, 1.5], holed)], [true, false]);
});
