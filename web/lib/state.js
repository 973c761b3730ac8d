// The page state and the URL. Everything a person can change lives in the query string,
// so a link reproduces the view:
//   ?category=anti-social-behaviour,violent-crime&from=2025-01&to=2025-12&area=bcp&res=9
//    &k=2&bset=ward&layers=cells,wards,gistar&sel=cell:891959710bbffff&map=13.50/50.72095/-1.87688
// Unknown or invalid values are dropped in favour of the defaults, never sent to the server.

import { queryString } from './api.js';

export const PINNABLE_RES = [5, 6, 7, 8, 9, 10, 11, 12];
/** Neighbourhood rings for the hotspot statistics (server parameter k); 1 is the default. */
export const STAT_K = [1, 2, 3];
const DEFAULT_CATEGORY_SLUGS = ['anti-social-behaviour', 'violent-crime'];

export function defaultCategories(meta) {
  const picked = meta.categories.filter((c) => DEFAULT_CATEGORY_SLUGS.includes(c.slug)).map((c) => c.slug);
  return picked.length ? picked : meta.categories.map((c) => c.slug);
}

/** The area the page opens on: BCP (the partnership's study area) when the server knows it. */
export const defaultArea = (meta) => (meta.areas.some((a) => a.id === 'bcp') ? 'bcp' : 'all');

/** The boundary sets the server has (`ward`, `lsoa`, custom set names), from /api/meta. */
export const boundarySets = (meta) => (meta.area_sets || []).map((s) => s.set);

/** The boundary set the area outlines open on: LSOAs when the server has them. */
export function defaultBoundarySet(meta) {
  const sets = boundarySets(meta);
  return sets.includes('lsoa') ? 'lsoa' : (sets[0] ?? null);
}

/**
 * Reads the state from `search` (location.search). `layerIds` are the registry's layer ids
 * and `defaultLayers` those on by default; `selKinds` the detail kinds (cell, ward).
 */
export function stateFromUrl(meta, search, { layerIds, defaultLayers, selKinds }) {
  const p = new URLSearchParams(search);
  const months = meta.months.list;
  const slugs = meta.categories.map((c) => c.slug);
  const state = {
    // Keep the server's order (by count) whatever order the link had.
    categories: p.has('category')
      ? slugs.filter((s) => p.get('category').split(',').includes(s))
      : defaultCategories(meta),
    from: months.includes(p.get('from')) ? p.get('from') : meta.months.first,
    to: months.includes(p.get('to')) ? p.get('to') : meta.months.last,
    area: p.get('area') === 'all' || meta.areas.some((a) => a.id === p.get('area')) ? p.get('area') : defaultArea(meta),
    res: PINNABLE_RES.includes(Number(p.get('res'))) && p.get('res') !== '' ? Number(p.get('res')) : null,
    k: STAT_K.includes(Number(p.get('k'))) && p.get('k') !== '' ? Number(p.get('k')) : 1,
    bset: boundarySets(meta).includes(p.get('bset')) ? p.get('bset') : defaultBoundarySet(meta),
    layers: p.has('layers')
      ? layerIds.filter((id) => p.get('layers').split(',').includes(id))
      : [...defaultLayers],
    sel: null,
    view: null,
  };
  if (state.from > state.to) [state.from, state.to] = [state.to, state.from];
  const sel = p.get('sel') || '';
  const colon = sel.indexOf(':');
  if (colon > 0 && selKinds.includes(sel.slice(0, colon)) && /^[0-9A-Za-z]+$/.test(sel.slice(colon + 1))) state.sel = sel;
  const view = (p.get('map') || '').split('/').map(Number);
  if (view.length === 3 && view.every(Number.isFinite) && Math.abs(view[1]) <= 85 && Math.abs(view[2]) <= 180) {
    state.view = { zoom: view[0], center: [view[2], view[1]] };
  }
  return state;
}

/** The query string (without '?') for `state` and the map's current view. */
export function urlQuery(state, map, { defaultBset = null } = {}) {
  const pairs = filterPairs(state, { res: true });
  // The page URL (never sent to the server) keeps an empty category: "none ticked" must
  // survive a reload rather than fall back to the default categories.
  if (!state.categories.length) pairs.unshift(['category', '']);
  if (state.k && state.k !== 1) pairs.push(['k', String(state.k)]);
  if (state.bset && state.bset !== defaultBset) pairs.push(['bset', state.bset]);
  pairs.push(['layers', state.layers.join(',')]);
  if (state.sel) pairs.push(['sel', state.sel]);
  if (map) {
    const c = map.getCenter();
    pairs.push(['map', `${map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`]);
  }
  return queryString(pairs);
}

/**
 * Filter parameters for a server request. The server refuses empty parameters, so callers
 * must not ask for data with no category (check `state.categories.length` first).
 * `area: false` leaves the area out (ward routes have none); `res: true` adds a pinned res.
 */
export function filterPairs(state, { area = true, res = false } = {}) {
  const pairs = [];
  if (state.categories.length) pairs.push(['category', state.categories.join(',')]);
  pairs.push(['from', state.from], ['to', state.to]);
  if (area) pairs.push(['area', state.area || 'all']);
  if (res && state.res !== null) pairs.push(['res', String(state.res)]);
  return pairs;
}

/** Names of the state fields that differ between `a` and `b` (arrays compared by value). */
export function changedKeys(a, b) {
  const keys = new Set();
  for (const k of ['categories', 'from', 'to', 'area', 'res', 'k', 'bset', 'layers', 'sel']) {
    const same = Array.isArray(a[k]) ? a[k].join(',') === b[k].join(',') : a[k] === b[k];
    if (!same) keys.add(k === 'from' || k === 'to' ? 'months' : k);
  }
  return keys;
}

/** True when `keys` holds a change to the data filters (not layers or selection). */
export const filtersChanged = (keys) => ['categories', 'months', 'area', 'res', 'k'].some((k) => keys.has(k));
