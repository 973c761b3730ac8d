// The page state and the URL. Everything a person can change lives in the query string,
// so a link reproduces the view:
//   ?category=anti-social-behaviour,violent-crime&from=2025-01&to=2025-12&area=bcp&res=9
//    &k=2&bset=ward&layers=cells,wards,gistar&sel=cell:891959710bbffff&map=13.50/50.72095/-1.87688
// Timestamped (partner) data add hours=22-3, weekdays=fri,sat and flag=residence.
// Unknown or invalid values are dropped in favour of the defaults, never sent to the server.

import { queryString } from './api.js';

export const PINNABLE_RES = [5, 6, 7, 8, 9, 10, 11, 12];
/** Neighbourhood rings for the hotspot statistics (server parameter k); 1 is the default. */
export const STAT_K = [1, 2, 3];
const DEFAULT_CATEGORY_SLUGS = ['anti-social-behaviour', 'violent-crime'];

/** True when the server serves this page as the public role (see lib/auth.js). */
export const isPublicRole = (meta) => meta.disclosure?.role === 'public';

export function defaultCategories(meta) {
  // The public map shows fixed category groups: it opens on all crime.
  if (isPublicRole(meta)) return meta.categories.map((c) => c.slug);
  const picked = meta.categories.filter((c) => DEFAULT_CATEGORY_SLUGS.includes(c.slug)).map((c) => c.slug);
  return picked.length ? picked : meta.categories.map((c) => c.slug);
}

/**
 * True when the data have incidents in the BCP wards. Partner data from elsewhere (Chicago)
 * are served with the shipped wards too, but none of their points lies in one: then the
 * page offers no area filter.
 */
export const hasWardData = (meta) => meta.areas.some((a) => a.id === 'bcp') && meta.counts?.in_bcp !== 0;

/** Sets of BCP areas, shipped with the server: offered only when the data lie in BCP. */
const BCP_SETS = ['ward', 'lsoa'];

/**
 * The areas the page offers besides `all`, from /api/meta: BCP, its wards and its LSOAs when
 * the data lie there; areas of custom sets (added with `hexwatch areas add`) always.
 */
export const areaChoices = (meta) => meta.areas.filter((a) => hasWardData(meta) || (a.id !== 'bcp' && a.set && !BCP_SETS.includes(a.set)));

/** The area choices the page offers: `all`, plus those of areaChoices. */
export const areaIds = (meta) => ['all', ...areaChoices(meta).map((a) => a.id)];

/** The area the page opens on: BCP (the partnership's study area) when the data lie in it. */
export const defaultArea = (meta) => (hasWardData(meta) ? 'bcp' : 'all');

/** The boundary sets the server has (`ward`, `lsoa`, custom set names), from /api/meta `area_sets`. */
export const boundarySets = (meta) => (meta.area_sets || []).map((s) => s.set);

/** The boundary set the area outlines open on: the LSOAs when the server has them, else its first set (null: none). */
export function defaultBoundarySet(meta) {
  const sets = boundarySets(meta);
  return sets.includes('lsoa') ? 'lsoa' : (sets[0] ?? null);
}

// ---------------------------------------------------------------- time of day, weekday, flags
/** Weekday tokens of the server's `weekdays=` parameter, Monday first (bin order). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const PRECISION_RANK = { month: 0, day: 1, hour: 2, minute: 3 };

/** "22:00"; hour 24 is the end of the day. */
export const clock = (h) => `${String(h).padStart(2, '0')}:00`;

/**
 * The `hours=` value for the hours from `from` (0–23) up to `to` (1–24, excluded): "22-3",
 * "8-24"; null for the whole day (0–24, or `to` equal to `from`, which also spans 24 hours).
 */
export function hoursParam(from, to) {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || from > 23 || to < 1 || to > 24) return null;
  if (to % 24 === from) return null;
  return `${from}-${to}`;
}

/** The { from, to } of an `hours=` value made by hoursParam (also "5", one hour), or null. */
export function parseHours(text) {
  const m = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(String(text ?? '').trim());
  if (!m) return null;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from + 1 : Number(m[2]);
  return hoursParam(from, to) === null ? null : { from, to };
}

/** The canonical form of an `hours=` value ("5" → "5-6"), or null when invalid or the whole day. */
export const canonicalHours = (text) => {
  const r = parseHours(text);
  return r ? hoursParam(r.from, r.to) : null;
};

/** Hours an `hours=` value spans (5 for "22-3"), 24 for null. */
export const hoursSpanned = (text) => {
  const r = parseHours(text);
  return r ? (r.to - r.from + 24) % 24 || 24 : 24;
};

/** Weekday indexes (Monday = 0) of a `weekdays=` value: "fri,sat", "fri-sun", "friday"; null if invalid. */
export function parseWeekdays(text) {
  const day = (t) => {
    const s = t.trim().toLowerCase();
    return s.length >= 3 && /^[a-z]+$/.test(s) ? WEEKDAYS.findIndex((d, i) => WEEKDAY_NAMES[i].toLowerCase().startsWith(s) || d === s) : -1;
  };
  const days = new Set();
  const pieces = String(text ?? '').split(',').filter((p) => p.trim());
  if (!pieces.length) return null;
  for (const piece of pieces) {
    const [a, b, extra] = piece.split('-');
    if (extra !== undefined) return null;
    const i = day(a);
    const j = b === undefined ? i : day(b);
    if (i < 0 || j < 0) return null;
    for (let d = i; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === j) break;
    }
  }
  return [...days].sort((x, y) => x - y);
}

/** The `weekdays=` value of weekday indexes, or null when none or all seven are chosen (no filter). */
export const weekdaysParam = (days) => (days.length && days.length < 7 ? days.map((d) => WEEKDAYS[d]).join(',') : null);

/**
 * Whether the hour and weekday filters can be used with `categories` (slugs), and why not.
 * The server refuses them (400) unless every selected category has times to the hour
 * (hours) or dates (weekdays); its /api/meta gives each category's time_precision, and the
 * coarsest over all categories (used when no category is ticked, or by an older server).
 */
export function timeFilters(meta, categories) {
  const chosen = meta.categories.filter((c) => categories.includes(c.slug) && typeof c.time_precision === 'string');
  const ranks = chosen.map((c) => PRECISION_RANK[c.time_precision]).filter((r) => r !== undefined);
  const overall = PRECISION_RANK[meta.time_precision] ?? 0;
  const rank = ranks.length ? Math.min(...ranks) : overall;
  const precision = Object.keys(PRECISION_RANK).find((k) => PRECISION_RANK[k] === rank);
  const subject = categories.length ? 'the selected categories' : 'these data';
  const month = `Unavailable for ${subject}: police.uk data has month precision (police.uk gives the month only, not the day or time).`;
  return {
    precision,
    hours: rank >= PRECISION_RANK.hour,
    weekdays: rank >= PRECISION_RANK.day,
    reason: rank === PRECISION_RANK.month ? month
      : rank === PRECISION_RANK.day ? `Hours unavailable for ${subject}: they are known to the day only, not the time of day.`
        : null,
  };
}

/** `state` without the time filters its categories do not allow. */
export function allowedTime(meta, state) {
  const allowed = timeFilters(meta, state.categories);
  return {
    ...state,
    hours: allowed.hours ? state.hours : null,
    weekdays: allowed.weekdays ? state.weekdays : [],
  };
}

/** "Fri, Sat · 22:00–03:00 · flag residence", or '' when no time or flag filter is set. */
export function timeLabel(state) {
  const parts = [];
  if (state.weekdays?.length) parts.push(state.weekdays.map((d) => WEEKDAY_NAMES[d].slice(0, 3)).join(', '));
  const h = parseHours(state.hours);
  if (h) parts.push(`${clock(h.from)}–${clock(h.to)}`);
  if (state.flags?.length) parts.push(`${state.flags.length === 1 ? 'flag' : 'flags'} ${state.flags.join(' or ')}`);
  return parts.join(' · ');
}

/**
 * The months the page opens on: every month of the data; for the public role, which sees
 * calendar months, quarters and years only, the calendar year of the last month when the
 * data hold its January and December.
 */
export function defaultPeriod(meta) {
  const { first, last, list } = meta.months;
  if (isPublicRole(meta) && last) {
    const year = last.slice(0, 4);
    if (list.includes(`${year}-01`) && list.includes(`${year}-12`)) return [`${year}-01`, `${year}-12`];
  }
  return [first, last];
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
    from: months.includes(p.get('from')) ? p.get('from') : defaultPeriod(meta)[0],
    to: months.includes(p.get('to')) ? p.get('to') : defaultPeriod(meta)[1],
    area: areaIds(meta).includes(p.get('area')) ? p.get('area') : defaultArea(meta),
    hours: canonicalHours(p.get('hours')),
    weekdays: p.has('weekdays') ? (parseWeekdays(p.get('weekdays')) || []).filter((d, _, all) => all.length < 7) : [],
    flags: p.has('flag') ? (meta.flags || []).filter((f) => p.get('flag').split(',').includes(f)) : [],
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
  Object.assign(state, allowedTime(meta, state));
  const sel = p.get('sel') || '';
  const colon = sel.indexOf(':');
  // Ids: H3 cells and ward codes are alphanumeric; alert ids add ':', '-' and '_'
  // (`8919590d2c3ffff:anti-social-behaviour:2025-12`).
  if (colon > 0 && selKinds.includes(sel.slice(0, colon)) && /^[0-9A-Za-z][0-9A-Za-z:_-]*$/.test(sel.slice(colon + 1))) state.sel = sel;
  const view = (p.get('map') || '').split('/').map(Number);
  if (view.length === 3 && view.every(Number.isFinite) && Math.abs(view[1]) <= 85 && Math.abs(view[2]) <= 180) {
    state.view = { zoom: view[0], center: [view[2], view[1]] };
  }
  return state;
}

/**
 * The query string (without '?') for `state` and the map's current view. `defaultBset` (see
 * defaultBoundarySet) is left out of the URL.
 */
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
  if (state.hours) pairs.push(['hours', state.hours]);
  const weekdays = weekdaysParam(state.weekdays || []);
  if (weekdays) pairs.push(['weekdays', weekdays]);
  if (state.flags?.length) pairs.push(['flag', state.flags.join(',')]);
  if (area) pairs.push(['area', state.area || 'all']);
  if (res && state.res !== null) pairs.push(['res', String(state.res)]);
  return pairs;
}

/**
 * Filter parameters for choosing a layer's colour classes: the selection (categories, flags,
 * area) over every month in the data and every hour and weekday, so that the classes do
 * not change with the month range or the time-of-day filters.
 */
export const scalePairs = (meta, state, options = {}) => filterPairs(
  { ...state, from: meta.months.first, to: meta.months.last, hours: null, weekdays: [] }, options);

// A change of from/to is reported as 'months', of hours/weekdays as 'time'.
const CHANGE_KEY = { from: 'months', to: 'months', hours: 'time', weekdays: 'time' };

/**
 * Names of the state fields that differ between `a` and `b` (arrays compared by value):
 * 'categories', 'months', 'time' (hours or weekdays), 'flags', 'area', 'res', 'k', 'bset' (the
 * set the area outlines show), 'layers', 'sel'. (A live data change reaches the layers as 'data',
 * which no state comparison gives: see app.js.)
 */
export function changedKeys(a, b) {
  const keys = new Set();
  for (const k of ['categories', 'from', 'to', 'hours', 'weekdays', 'flags', 'area', 'res', 'k', 'bset', 'layers', 'sel']) {
    const [x, y] = [a[k] ?? null, b[k] ?? null];
    const same = Array.isArray(x) || Array.isArray(y) ? (x || []).join(',') === (y || []).join(',') : x === y;
    if (!same) keys.add(CHANGE_KEY[k] || k);
  }
  return keys;
}

/** The changes that alter which incidents are selected (every count and tile). */
export const DATA_KEYS = ['categories', 'months', 'time', 'flags', 'area'];

/** True when `keys` holds a change to the data filters (not layers or selection). */
export const filtersChanged = (keys) => [...DATA_KEYS, 'res', 'k'].some((k) => keys.has(k));
