// Unit tests of the page's pure modules (no browser): the URL state and the colour classes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classLabels, ladderBreaks, MAGMA_8, PUBU_6, stepExpression } from '../lib/scale.js';
import { changedKeys, filterPairs, stateFromUrl, urlQuery } from '../lib/state.js';

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

test('area outlines: the boundary set defaults to the LSOAs and is in the URL only when changed', () => {
  const meta = {
    ...META,
    areas: [...META.areas, { id: 'lsoa:E01034271', name: 'Bournemouth, Christchurch and Poole 038E', code: 'E01034271', set: 'lsoa' }],
    area_sets: [{ set: 'ward', areas: 33 }, { set: 'lsoa', areas: 240 }, { set: 'beats', areas: 4 }],
  };
  assert.equal(stateFromUrl(meta, '', OPTS).bset, 'lsoa');
  assert.equal(stateFromUrl(META, '', OPTS).bset, null, 'no sets, no outlines');
  assert.equal(stateFromUrl(meta, '?bset=nope', OPTS).bset, 'lsoa');
  const s = stateFromUrl(meta, '?area=lsoa:E01034271&bset=beats', OPTS);
  assert.deepEqual([s.area, s.bset], ['lsoa:E01034271', 'beats']);
  assert.match(urlQuery(s, map, { defaultBset: 'lsoa' }), /&area=lsoa:E01034271&bset=beats&layers=/);
  assert.doesNotMatch(urlQuery({ ...s, bset: 'lsoa' }, map, { defaultBset: 'lsoa' }), /bset=/);
  assert.deepEqual([...changedKeys(s, { ...s, bset: 'ward' })], ['bset']);
});
