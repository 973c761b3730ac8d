// hexwatch front end: H3 incident density tiles over ward outlines, a summary of the
// selection, details of a clicked cell or ward, a month player and exports. Filters, view,
// layers and selection live in the URL. Plain ES modules, no build step: MapLibre and uPlot
// come from node_modules (npm ci). The map's layers come from the registry below.
import * as maplibregl from './node_modules/maplibre-gl/dist/maplibre-gl.mjs';
import { apiUrl, fetchBlob, fetchJson, pendingWork, track } from './lib/api.js';
import { authHeaders, partnerToken, signIn, signOut, transformRequest } from './lib/auth.js';
import { monthlyChart } from './lib/chart.js';
import { renderDetail, renderDetailMessage } from './lib/detail.js';
import { mapPng, saveBlob } from './lib/export.js';
import { legendNodes } from './lib/legend.js';
import {
  allowedTime, areaChoices, changedKeys, clock, DATA_KEYS, defaultBoundarySet, defaultCategories, filterPairs, filtersChanged, hasWardData,
  hoursParam, hoursSpanned, parseHours, PINNABLE_RES, stateFromUrl, timeFilters, timeLabel, urlQuery, WEEKDAY_NAMES,
} from './lib/state.js';
import { $, el, fmt1, fmtInt, fmtSigned, listNames, monthLabel, rangeLabel, sleep } from './lib/util.js';
import { connectLive } from './lib/live.js';
import { hourOfWeekChart } from './lib/week.js';
import alertsLayer from './layers/alerts.js';
import boundariesLayer, { areaLabel, setLabel } from './layers/boundaries.js';
import cellsLayer from './layers/cells.js';
import clustersLayer from './layers/clusters.js';
import densityContoursLayer from './layers/density-contours.js';
import densityLayer from './layers/density.js';
import emergingLayer from './layers/emerging.js';
import gistarLayer from './layers/gistar.js';
import moranLayer from './layers/moran.js';
import patrolLayer from './layers/patrol.js';
import wardDensityLayer from './layers/ward-density.js';
import wardsLayer from './layers/wards.js';

// ---------------------------------------------------------------- the layer registry
// One entry per layer (see web/README.md, "Adding a layer"). Within each drawing slot
// (base, data, outline, highlight) later entries draw on top; the layer switcher, the
// legend (top layer first), map clicks, detail kinds and exports are all built from it.
export const LAYERS = [wardsLayer, boundariesLayer, wardDensityLayer, densityLayer, densityContoursLayer, cellsLayer, clustersLayer, patrolLayer, emergingLayer, moranLayer, gistarLayer, alertsLayer];
const SLOTS = ['base', 'data', 'outline', 'highlight'];

const INITIAL_VIEW = { center: [-1.875, 50.735], zoom: 11 }; // all of BCP, at H3 resolution 8
const FALLBACK_ZOOM_RES = [[0, 5], [8, 6], [10, 7], [11, 8], [13, 9], [14, 10], [16, 11], [17, 12]]
  .map(([min_zoom, res]) => ({ min_zoom, res }));
// Average H3 hexagon edge length by resolution (H3 v4 tables), for the resolution menu.
const EDGE = { 5: '8.5 km', 6: '3.2 km', 7: '1.2 km', 8: '460 m', 9: '174 m', 10: '66 m', 11: '25 m', 12: '9 m' };
const FALLBACK_ATTRIBUTION = 'Contains public sector information licensed under the Open Government Licence v3.0 (data.police.uk). '
  + 'Ward boundaries: Source: Office for National Statistics licensed under the Open Government Licence v.3.0. '
  + 'Contains OS data © Crown copyright and database right 2020. '
  + 'LSOA boundaries: Source: Office for National Statistics licensed under the Open Government Licence v.3.0. '
  + 'Contains OS data © Crown copyright and database right.';
const MAPLIBRE_ATTRIBUTION = '<a href="https://maplibre.org/" target="_blank" rel="noopener">MapLibre</a>';
const PLAY_STEP_MS = 1200; // at least this long on each month (longer while tiles load)
const CELL_MAXZOOM_TILES = 18;

// ---------------------------------------------------------------- status bar
function showStatus(message, kind = 'error') {
  $('status-text').textContent = message;
  $('status').className = kind;
  $('status').hidden = false;
}
function clearStatus() { $('status').hidden = true; }
$('status-close').addEventListener('click', clearStatus);

// ---------------------------------------------------------------- helpers
/** H3 resolution of the tiles on screen (see /api/meta zoom_resolution). */
function displayedResolution(meta, state, zoom) {
  if (state.res !== null) return state.res;
  // A 512 px source is requested at floor(zoom), and never beyond the source maxzoom.
  const z = Math.min(Math.floor(zoom), CELL_MAXZOOM_TILES);
  const table = [...(meta.zoom_resolution || FALLBACK_ZOOM_RES)].sort((a, b) => a.min_zoom - b.min_zoom);
  const res = table.filter((e) => e.min_zoom <= z).at(-1)?.res ?? table[0].res;
  // The public map stops at its finest resolution, coarser for a sensitive category alone.
  const d = meta.disclosure;
  if (d?.role !== 'public') return res;
  const sensitive = state.categories.length > 0 && state.categories.every((s) => meta.categories.find((c) => c.slug === s)?.sensitive);
  return Math.min(res, sensitive ? d.max_sensitive_resolution : d.max_resolution);
}

/** A zoom at which `res` is what the automatic resolution shows. */
function zoomForRes(meta, res) {
  const entry = (meta.zoom_resolution || FALLBACK_ZOOM_RES).find((e) => e.res === res);
  return entry ? entry.min_zoom + 0.5 : 13.5;
}

function bounds(features) {
  const b = new maplibregl.LngLatBounds();
  const walk = (c) => (typeof c[0] === 'number' ? b.extend(c) : c.forEach(walk));
  features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
  return b.isEmpty() ? null : b;
}

function areaName(meta, area) {
  if (area === 'all') return hasWardData(meta) ? 'all data (inside and outside BCP)' : 'all data';
  if (area === 'bcp') return 'Bournemouth, Christchurch and Poole';
  const found = meta.areas.find((a) => a.id === area);
  return found ? areaLabel(found) : area;
}

// ---------------------------------------------------------------- static page parts
function renderDataLine(meta) {
  const n = meta.months.list.length;
  const counts = meta.counts || {};
  const policeUk = meta.time_precision === 'month';
  $('data-line').replaceChildren(
    el('p', {}, `${policeUk ? 'police.uk street-level data' : 'Incident data'}, ${rangeLabel(meta.months.first, meta.months.last)} (${n} month${n === 1 ? '' : 's'})`,
      Number.isFinite(counts.incidents) ? `: ${fmtInt.format(counts.incidents)} incidents, all categories.` : '.'),
    el('p', {}, el('span', { id: 'data-version', textContent: `Data version ${meta.data_version}` }), `. Time precision: ${meta.time_precision}`
      + (policeUk ? ". Locations are police.uk's anonymised map points." : ' (local wall-clock time).')));
}

function renderControls(meta) {
  renderDataLine(meta);

  $('categories').replaceChildren(...meta.categories.map((c) => el('label', { className: 'check' },
    el('input', { type: 'checkbox', value: c.slug, name: 'category' }),
    el('span', { className: 'check-label', textContent: c.name }),
    el('span', { className: 'n', textContent: Number.isFinite(c.count) ? fmtInt.format(c.count) : '', attrs: { 'aria-hidden': 'true' } }))));

  const last = Math.max(0, meta.months.list.length - 1);
  for (const id of ['month-from', 'month-to']) Object.assign($(id), { min: 0, max: last, step: 1 });
  $('range-first').textContent = monthLabel(meta.months.first);
  $('range-last').textContent = monthLabel(meta.months.last);

  // Data from elsewhere (no incident in the BCP wards) get no BCP areas (BCP, wards, LSOAs):
  // all data, and the areas of any custom set.
  const areas = areaChoices(meta);
  const wards = areas.filter((a) => a.id.startsWith('ward:')).sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
  // Areas of the other sets (LSOAs, custom sets), one group per set in the server's order.
  const groups = (meta.area_sets || []).filter((s) => s.set !== 'ward').map((s) => ({
    set: s.set,
    areas: areas.filter((a) => a.set === s.set).sort((a, b) => areaLabel(a).localeCompare(areaLabel(b), 'en-GB')),
  })).filter((g) => g.areas.length);
  const others = areas.filter((a) => a.id !== 'bcp' && !a.id.startsWith('ward:') && !a.set);
  $('area').replaceChildren(
    ...(areas.some((a) => a.id === 'bcp') ? [el('option', { value: 'bcp', textContent: 'BCP: all 33 wards' })] : []),
    el('option', { value: 'all', textContent: hasWardData(meta) ? 'All data (incl. outside BCP)' : 'All data' }),
    ...others.map((a) => el('option', { value: a.id, textContent: a.name })),
    ...(wards.length ? [el('optgroup', { label: 'Wards' }, ...wards.map((a) => el('option', { value: a.id, textContent: a.name })))] : []),
    ...groups.map((g) => el('optgroup', { label: setLabel(meta, g.set) },
      ...g.areas.map((a) => el('option', { value: a.id, textContent: areaLabel(a) })))));
  if (wards.length) $('area').options[0].textContent = `BCP: all ${wards.length} wards`;

  // The set the "Area outlines" layer draws (hidden when the server has none).
  const sets = meta.area_sets || [];
  $('boundary-set').replaceChildren(...sets.map((s) => el('option', { value: s.set, textContent: `${setLabel(meta, s.set)} (${fmtInt.format(s.areas)})` })));
  $('boundary-set-box').hidden = !sets.length;

  $('res').replaceChildren(
    el('option', { value: 'auto', textContent: 'Automatic (follows the zoom)' }),
    ...PINNABLE_RES.map((r) => el('option', { value: String(r), textContent: `Resolution ${r}: edge ≈ ${EDGE[r]}` })));

  // Hours from 00:00…23:00 until 01:00…24:00 (the end excluded, as the server's hours=a-b).
  $('hour').replaceChildren(...Array.from({ length: 24 }, (_, h) => el('option', { value: String(h), textContent: clock(h) })));
  $('hour-to').replaceChildren(...Array.from({ length: 24 }, (_, i) => el('option', { value: String(i + 1), textContent: clock(i + 1) })));
  $('weekdays').replaceChildren(...WEEKDAY_NAMES.map((name, d) => el('button', {
    type: 'button', className: 'day', textContent: name.slice(0, 3),
    // The visible abbreviation is the accessible name (axe: label-content-name-mismatch); the title spells it out.
    title: name, attrs: { 'data-day': String(d), 'aria-pressed': 'false' },
  })));
  const flags = Array.isArray(meta.flags) ? meta.flags : [];
  $('fs-flags').hidden = flags.length === 0;
  $('flags').replaceChildren(...flags.map((f) => el('label', { className: 'check' },
    el('input', { type: 'checkbox', value: f, name: 'flag' }),
    el('span', { className: 'check-label', textContent: f }))));

  $('layer-list').replaceChildren(...LAYERS.slice().reverse().map((l) => el('div', { className: 'layer-item' },
    el('label', { className: 'check' },
      el('input', { type: 'checkbox', id: `layer-${l.id}`, value: l.id, name: 'layer', attrs: { 'aria-describedby': `layer-${l.id}-note` } }),
      el('span', { className: 'check-label', textContent: l.label })),
    el('p', { className: 'note layer-note', id: `layer-${l.id}-note`, textContent: l.description || '' }))));
  // No boundary sets on the server (e.g. the dev mock): no area outlines to switch on.
  $('layer-boundaries').closest('.layer-item').hidden = !sets.length;
}

// ---------------------------------------------------------------- role
// Registry layers only a partner may use: alerts, clusters and patrol plans are
// incident-level or operational; Moran and emerging hot spots are not published to the
// public (Gi* is, as bins).
const PARTNER_LAYERS = new Set(['alerts', 'clusters', 'patrol', 'emerging', 'moran']);

/** The role badge, sign-in form and sign-out button, from /api/meta's `disclosure`. */
function renderRole(meta) {
  const d = meta.disclosure || {};
  const partner = d.role !== 'public'; // a server without the rule (the dev mock) shows everything
  $('role').dataset.role = partner ? 'partner' : 'public';
  $('role-badge').textContent = partner
    ? `Partner view${d.partner ? ` (${d.partner})` : ''}: exact counts`
    : `Public view — counts under ${d.k ?? 5} withheld`;
  $('signin-form').hidden = partner;
  $('signout').hidden = !partner;
  $('alerts').hidden = !partner;
  $('top-cells-box').hidden = !partner;
  $('public-note').hidden = partner;
  $('cat-default').hidden = !partner; // "ASB and violence" is not a public category group
  if (!partner) for (let i = LAYERS.length - 1; i >= 0; i -= 1) if (PARTNER_LAYERS.has(LAYERS[i].id)) LAYERS.splice(i, 1);
}

function wireSignIn() {
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('partner-token').value.trim();
    $('partner-token').value = '';
    if (!token) {
      $('signin-error').textContent = 'Enter the partner token your partnership gave you.';
      return;
    }
    signIn(token);
    location.reload();
  });
  $('signout').addEventListener('click', () => {
    signOut();
    location.reload();
  });
}

// ---------------------------------------------------------------- main
async function main() {
  let meta;
  try {
    meta = await fetchJson('/api/meta', 'the data description (/api/meta)');
  } catch (err) {
    if (err.status === 401 && partnerToken()) {
      // A stale or mistyped token: back to the public map, saying why.
      signOut();
      $('signin-error').textContent = 'The partner token was not accepted; showing the public map.';
      return main();
    }
    showStatus(`${err.message.replace(/\.?$/, '.')} The map cannot be shown.`);
    return;
  }
  renderRole(meta);
  const wardsRequest = fetchJson('/api/areas/wards', 'the ward boundaries').catch((err) => err);
  let wardOutlines = await wardsRequest;
  if (wardOutlines instanceof Error) {
    showStatus(wardOutlines.message); // not fatal: the cells still work without outlines
    wardOutlines = { type: 'FeatureCollection', features: [] };
  }

  const kinds = {};
  for (const layer of LAYERS) Object.assign(kinds, layer.details || {});
  let state = stateFromUrl(meta, location.search, {
    layerIds: LAYERS.map((l) => l.id),
    defaultLayers: LAYERS.filter((l) => l.defaultVisible).map((l) => l.id),
    selKinds: Object.keys(kinds),
  });
  renderControls(meta);

  // Data outside BCP (partner data from elsewhere): open on the data's extent, from
  // /api/meta `bounds` when the server gives it, else from the cells TileJSON's `bounds`.
  let dataBounds = null;
  if (!state.view && !hasWardData(meta)) {
    const b = meta.bounds ?? (await fetchJson('/tiles/cells', 'the data extent').catch(() => null))?.bounds;
    const wsen = Array.isArray(b) ? b : b && [b.west, b.south, b.east, b.north];
    if (wsen?.length === 4 && wsen.every(Number.isFinite)) dataBounds = [[wsen[0], wsen[1]], [wsen[2], wsen[3]]];
  }

  const basemap = typeof meta.basemap_style_url === 'string' && meta.basemap_style_url !== '';
  const map = new maplibregl.Map({
    container: 'map',
    // Without a basemap the page needs nothing beyond its own server: a plain background,
    // with ward outlines for context. No symbol layers, so no glyphs are needed.
    style: basemap ? meta.basemap_style_url
      : { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#dfe3dc' } }] },
    center: state.view?.center ?? INITIAL_VIEW.center,
    zoom: state.view?.zoom ?? INITIAL_VIEW.zoom,
    ...(dataBounds ? { bounds: dataBounds, fitBoundsOptions: { padding: 30 } } : {}),
    maxZoom: 19,
    // A flat, north-up map: hexagon areas and densities are compared by eye.
    maxPitch: 0,
    dragRotate: false,
    pitchWithRotate: false,
    attributionControl: false,
    // Lets the PNG export copy the canvas at any moment.
    canvasContextAttributes: { preserveDrawingBuffer: true },
    // A signed-in partner's tiles carry the token (to this server only).
    transformRequest,
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  // Licence terms require the attribution to stay visible, so never let it collapse.
  map.addControl(new maplibregl.AttributionControl({ compact: false, customAttribution: [meta.attribution || FALLBACK_ATTRIBUTION, MAPLIBRE_ATTRIBUTION] }));
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.addControl({ onAdd: () => $('legend'), onRemove: () => {} }, 'bottom-left');
  map.getCanvas().setAttribute('aria-label', 'Map of incident density. Arrow keys pan, plus and minus zoom.');

  // The details card sits above the attribution and scale bar, whatever their height.
  const bottomRight = document.querySelector('.maplibregl-ctrl-bottom-right');
  new ResizeObserver(() => document.documentElement.style.setProperty('--attrib-h', `${bottomRight.offsetHeight}px`)).observe(bottomRight);

  const ctx = {
    meta,
    map,
    wardOutlines,
    basemap,
    get state() { return state; },
    isOn: (id) => state.layers.includes(id),
    displayedRes: () => displayedResolution(meta, state, map.getZoom()),
    fetchJson,
    fetchBlob,
    boundsOf: bounds,
    /** Redraws the legend (for a layer whose legend changed outside a refresh). */
    updateLegend: () => { if (ready) renderLegend(); },
    setArea: (area) => applyState({ ...state, area }, { moveToArea: true }),
    /** Selects a place or thing (`cell:<h3>`, `ward:<code>`, `alert:<id>` …): details card and highlight. */
    select: (sel, options) => select(sel, options),
    /** Loads the open details card again (e.g. after its subject changed on the server). */
    reloadDetail: () => loadDetail(),
    /** Switches a registry layer on or off, as the layer switcher does. */
    setLayerVisible: (id, on) => applyState({ ...state, layers: LAYERS.map((l) => l.id).filter((x) => (x === id ? on : state.layers.includes(x))) }),
    /** Moves the map to `bounds`, clear of the legend and the details card. */
    fitBounds: (b, options) => fitTo(b, options),
    /** File name stem for exports: hexwatch-<what>-<from>-<to>[-<area>]. */
    fileStem: (what, { area = true } = {}) => ['hexwatch', what, state.from, state.to, area ? state.area.replace(/[^0-9A-Za-z_-]+/g, '-') : null]
      .filter(Boolean).join('-'),
  };

  // Which MapLibre layers belong to which registry entry.
  const mapLayers = new Map(LAYERS.map((l) => [l.id, []]));
  const isVisible = (layer) => state.layers.includes(layer.id) && (layer.available?.(ctx) ?? true);
  let ready = false;

  // ---- URL and form
  function writeUrl() {
    history.replaceState(null, '', `${location.pathname}?${urlQuery(state, map, { defaultBset: defaultBoundarySet(meta) })}`);
    packLink();
  }

  // The partnership pack of the last month selected, for the area (all categories: the pack
  // reports each one).
  function packLink() {
    const q = new URLSearchParams({ period: state.to || meta.months.last, area: state.area || 'bcp' });
    $('pack-link').href = `/api/report?${q}`;
  }

  function syncForm() {
    const list = meta.months.list;
    $('categories').querySelectorAll('input').forEach((i) => { i.checked = state.categories.includes(i.value); });
    $('month-from').value = String(list.indexOf(state.from));
    $('month-to').value = String(list.indexOf(state.to));
    $('area').value = state.area;
    const hours = parseHours(state.hours) || { from: 0, to: 24 };
    $('hour').value = String(hours.from);
    $('hour-to').value = String(hours.to);
    $('weekdays').querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(state.weekdays.includes(Number(b.dataset.day)))));
    $('flags').querySelectorAll('input').forEach((i) => { i.checked = state.flags.includes(i.value); });
    $('res').value = state.res === null ? 'auto' : String(state.res);
    $('stat-k').value = String(state.k);
    if (state.bset) $('boundary-set').value = state.bset;
    for (const l of LAYERS) $(`layer-${l.id}`).checked = state.layers.includes(l.id);
    updateMonthUi();
    updateTimeUi();
  }

  /** Hour and weekday controls: inert (aria-disabled, still focusable) with the reason when the categories' precision does not allow them. */
  function updateTimeUi() {
    const allowed = timeFilters(meta, state.categories);
    const inert = (e, off) => (off ? e.setAttribute('aria-disabled', 'true') : e.removeAttribute('aria-disabled'));
    inert($('hour'), !allowed.hours);
    inert($('hour-to'), !allowed.hours);
    $('weekdays').querySelectorAll('button').forEach((b) => inert(b, !allowed.weekdays));
    $('weekday-note').hidden = !allowed.weekdays;
    $('time-note').textContent = allowed.reason || `Local wall-clock time of the incidents (known to the ${allowed.precision}).`;
    const n = hoursSpanned(state.hours);
    const h = parseHours(state.hours);
    $('hour-range-label').textContent = !allowed.hours ? 'All hours (no hour filter)'
      : !h ? 'All hours'
        : `${clock(h.from)} – ${clock(h.to)}${h.to < h.from ? ' (over midnight)' : ''} · ${n} hour${n === 1 ? '' : 's'}`;
  }

  function updateMonthUi() {
    const list = meta.months.list;
    const a = Number($('month-from').value);
    const b = Number($('month-to').value);
    const span = Math.max(1, list.length - 1);
    const wrap = $('month-from').parentElement;
    wrap.style.setProperty('--a', String(a / span));
    wrap.style.setProperty('--b', String(b / span));
    // When the thumbs meet, keep the one that can still move on top.
    $('month-from').classList.toggle('on-top', a === b && b > span / 2);
    $('month-from').setAttribute('aria-valuetext', monthLabel(list[a], 'long'));
    $('month-to').setAttribute('aria-valuetext', monthLabel(list[b], 'long'));
    const n = b - a + 1;
    $('month-range-label').textContent = `${rangeLabel(list[a], list[b])} · ${n} month${n === 1 ? '' : 's'}`;
  }

  function stateFromForm() {
    const list = meta.months.list;
    return {
      ...state,
      categories: [...$('categories').querySelectorAll('input:checked')].map((i) => i.value),
      from: list[Number($('month-from').value)],
      to: list[Number($('month-to').value)],
      area: $('area').value,
      hours: hoursParam(Number($('hour').value), Number($('hour-to').value)),
      flags: [...$('flags').querySelectorAll('input:checked')].map((i) => i.value),
      res: $('res').value === 'auto' ? null : Number($('res').value),
      k: Number($('stat-k').value),
      bset: $('boundary-set').value || state.bset,
      layers: LAYERS.map((l) => l.id).filter((id) => $(`layer-${id}`).checked),
    };
  }

  // ---- layers
  async function refreshLayers(changed) {
    const results = await track(Promise.allSettled(LAYERS.map((l) => l.refresh?.(ctx, changed))));
    for (const r of results) if (r.status === 'rejected') showStatus(r.reason?.message || String(r.reason));
    for (const layer of LAYERS) {
      for (const id of mapLayers.get(layer.id)) map.setLayoutProperty(id, 'visibility', isVisible(layer) ? 'visible' : 'none');
    }
    renderLegend();
  }

  const legendModels = () => LAYERS.slice().reverse().filter(isVisible).map((l) => l.legend?.(ctx)).filter(Boolean);
  let legendKey = '';
  function renderLegend() {
    const models = legendModels();
    const key = JSON.stringify(models);
    if (key === legendKey) return;
    legendKey = key;
    $('legend-body').replaceChildren(...(models.length ? legendNodes(models)
      : [el('p', { className: 'legend-note', textContent: state.categories.length ? 'No layer shown.' : 'No category selected.' })]));
  }

  function noCategoryNotice() {
    if (!state.categories.length) showStatus('No category selected: tick at least one category to see data.', 'info');
  }

  // ---- applying a new state
  async function applyState(wanted, { moveToArea = false } = {}) {
    // Categories known only to the month drop any hour or weekday filter (the server would refuse it).
    const next = allowedTime(meta, wanted);
    const dropped = (wanted.hours && !next.hours) || (wanted.weekdays?.length && !next.weekdays.length);
    const changed = changedKeys(state, next);
    if (!changed.size) {
      syncForm(); // e.g. "from 05:00 until 05:00" is every hour: show 00:00–24:00
      return;
    }
    state = next;
    syncForm();
    writeUrl();
    if (!ready) return; // the map's load handler picks up the latest state
    if (filtersChanged(changed)) {
      clearStatus();
      reportedErrors.clear();
      noCategoryNotice();
      if (dropped) showStatus(`Hour and weekday filters removed. ${timeFilters(meta, state.categories).reason}`, 'info');
    }
    if (changed.has('area') && moveToArea) fitArea();
    const work = [refreshLayers(changed)];
    if (DATA_KEYS.some((k) => changed.has(k))) {
      work.push(loadSummary());
      if (state.sel) work.push(loadDetail());
    }
    if ([...DATA_KEYS, 'res'].some((k) => changed.has(k))) work.push(loadTopCells());
    await Promise.all(work);
  }

  function fitArea() {
    if (state.area === 'all') return;
    const features = state.area === 'bcp' ? wardOutlines.features
      : wardOutlines.features.filter((f) => `ward:${f.properties?.code}` === state.area);
    let b = bounds(features);
    // Other areas (LSOAs, custom areas) come with their box in /api/meta.
    const box = meta.areas.find((a) => a.id === state.area)?.bbox;
    if (!b && Array.isArray(box) && box.length === 4 && box.every(Number.isFinite)) b = new maplibregl.LngLatBounds([box[0], box[1]], [box[2], box[3]]);
    fitTo(b);
  }
  /** Fits the map to `b` (LngLatBounds), leaving the legend and the details card clear. */
  function fitTo(b, { maxZoom = 15 } = {}) {
    if (!b) return;
    const drawer = $('detail').hidden ? 0 : $('detail').offsetWidth;
    map.fitBounds(b, { padding: { top: 50, bottom: 50, left: $('legend').offsetWidth + 30, right: drawer + 40 }, maxZoom, duration: 500 });
  }

  $('filters').addEventListener('submit', (e) => e.preventDefault());
  $('filters').addEventListener('change', (e) => {
    const id = e.target.id;
    if (e.target.getAttribute('aria-disabled') === 'true') { // cannot happen by hand; undo if it does
      syncForm();
      return;
    }
    if (id === 'month-from' || id === 'month-to') stopPlay();
    const next = stateFromForm();
    // Picking a boundary set means wanting to see it.
    if (id === 'boundary-set' && !next.layers.includes('boundaries')) {
      next.layers = LAYERS.map((l) => l.id).filter((l) => l === 'boundaries' || next.layers.includes(l));
    }
    applyState(next, { moveToArea: id === 'area' });
  });
  // Dragging a month thumb past the other pushes it along; the map changes on release.
  for (const id of ['month-from', 'month-to']) {
    $(id).addEventListener('input', () => {
      const a = $('month-from');
      const b = $('month-to');
      if (Number(a.value) > Number(b.value)) (id === 'month-from' ? b : a).value = $(id).value;
      updateMonthUi();
    });
  }
  for (const id of ['hour', 'hour-to']) {
    // While unavailable (aria-disabled) the selects stay focusable, so the reason is read
    // out, but cannot change.
    const inert = () => $(id).getAttribute('aria-disabled') === 'true';
    $(id).addEventListener('mousedown', (e) => { if (inert()) e.preventDefault(); });
    $(id).addEventListener('keydown', (e) => { if (inert() && e.key !== 'Tab') e.preventDefault(); });
  }
  // Weekday toggles: none pressed is every day; pressing the seventh goes back to that.
  $('weekdays').addEventListener('click', (e) => {
    const button = e.target.closest('button[data-day]');
    if (!button || button.getAttribute('aria-disabled') === 'true') return;
    const d = Number(button.dataset.day);
    const days = state.weekdays.includes(d) ? state.weekdays.filter((x) => x !== d) : [...state.weekdays, d].sort((a, b) => a - b);
    applyState({ ...state, weekdays: days.length === 7 ? [] : days });
  });
  const setCategories = (slugs) => applyState({ ...state, categories: meta.categories.map((c) => c.slug).filter((s) => slugs.includes(s)) });
  $('cat-all').addEventListener('click', () => setCategories(meta.categories.map((c) => c.slug)));
  $('cat-none').addEventListener('click', () => setCategories([]));
  $('cat-default').addEventListener('click', () => setCategories(defaultCategories(meta)));

  // ---- summary of the selection
  let summaryGeneration = 0;
  let destroySummaryChart = () => {};
  let lastSummary = null;
  function renderSummaryHeader() {
    const names = meta.categories.filter((c) => state.categories.includes(c.slug)).map((c) => c.name);
    $('sum-desc').textContent = [listNames(names, { all: meta.categories.length }), rangeLabel(state.from, state.to), timeLabel(state), areaName(meta, state.area)]
      .filter(Boolean).join(' · ');
  }
  function changeLine(s) {
    const prev = s.previous || {};
    const period = prev.from && prev.to ? ` (${rangeLabel(prev.from, prev.to)})` : '';
    if (!prev.available || prev.incidents === null || prev.incidents === undefined || !s.change) {
      return el('span', { className: 'change none' }, `No data for the previous period${period}.`);
    }
    const { absolute, percent } = s.change;
    const dir = absolute > 0 ? 'up' : absolute < 0 ? 'down' : 'same';
    const arrow = { up: '▲', down: '▼', same: '■' }[dir];
    const word = { up: 'Up', down: 'Down', same: 'No change' }[dir];
    const pct = percent === null || percent === undefined ? '' : ` ${fmt1.format(Math.abs(percent))}%`;
    return el('span', { className: `change ${dir}` },
      el('span', { attrs: { 'aria-hidden': 'true' } }, `${arrow} `),
      `${word}${dir === 'same' ? '' : pct} (${fmtSigned(absolute)}) on the previous ${s.months_selected === 1 ? 'month' : `${s.months_selected} months`}${period}: ${fmtInt.format(prev.incidents)}.`);
  }
  async function loadSummary() {
    const generation = ++summaryGeneration;
    renderSummaryHeader();
    if (!state.categories.length) {
      $('sum-incidents').textContent = '0';
      $('sum-change').textContent = 'No category selected.';
      destroySummaryChart();
      destroySummaryChart = () => {};
      $('sum-chart').replaceChildren();
      $('sum-week').replaceChildren(el('p', { className: 'note', textContent: 'No category selected.' }));
      return;
    }
    try {
      const s = await fetchJson(apiUrl('/api/summary', filterPairs(state)), 'the selection summary');
      if (generation !== summaryGeneration) return;
      lastSummary = s;
      // Public view: a withheld total has no number.
      $('sum-incidents').textContent = s.withheld ? `fewer than ${meta.disclosure?.k ?? 5} (withheld)` : fmtInt.format(s.incidents);
      $('sum-change').replaceChildren(changeLine(s));
      destroySummaryChart();
      // While playing, the chart keeps the whole range with the month on show picked out.
      destroySummaryChart = monthlyChart($('sum-chart'), playing?.byMonth || s.by_month,
        { label: 'Incidents per month in the selection', height: 86, highlight: playing ? state.from : null });
      hourOfWeekChart($('sum-week'), s.hour_of_week, { label: 'Incidents in the selection by hour of the week' });
    } catch (err) {
      if (generation !== summaryGeneration) return;
      $('sum-incidents').textContent = '–';
      $('sum-change').textContent = 'Summary unavailable.';
      $('sum-week').replaceChildren();
      showStatus(err.message);
    }
  }

  // ---- busiest cells (a keyboard route to the details of the hottest places)
  let topGeneration = 0;
  let topRes = null;
  async function loadTopCells() {
    if (meta.disclosure?.role === 'public') return; // the hotspot list is partner data
    const generation = ++topGeneration;
    const res = ctx.displayedRes();
    topRes = res;
    $('top-cells-box').querySelector('summary').textContent = `Busiest cells (resolution ${res})`;
    if (!state.categories.length) {
      $('top-cells').replaceChildren(el('li', { className: 'note', textContent: 'No category selected.' }));
      return;
    }
    try {
      const pairs = [['method', 'count'], ['res', String(res)], ['limit', '5'], ...filterPairs(state)];
      const body = await fetchJson(apiUrl('/api/hotspots', pairs), 'the busiest cells');
      if (generation !== topGeneration) return;
      $('top-cells').replaceChildren(...(body.features.length ? body.features.map((f) => el('li', {},
        el('button', { type: 'button', className: 'link-button', onclick: () => goToCell(f) },
          el('span', { className: 'top-count', textContent: `${fmtInt.format(f.properties.count)} incidents` }),
          el('span', { className: 'mono', textContent: f.properties.h3 }))))
        : [el('li', { className: 'note', textContent: 'No incidents in this selection.' })]));
    } catch (err) {
      if (generation === topGeneration) showStatus(err.message);
    }
  }
  function goToCell(feature) {
    const ring = feature.geometry.coordinates.flat(2);
    const lng = ring.reduce((s, c) => s + c[0], 0) / ring.length;
    const lat = ring.reduce((s, c) => s + c[1], 0) / ring.length;
    const zoom = state.res === null ? zoomForRes(meta, feature.properties.res) : Math.max(map.getZoom(), 12);
    map.jumpTo({ center: [lng, lat], zoom });
    select(`cell:${feature.properties.h3}`, { lngLat: { lng, lat } });
    // Opened from a list (often by keyboard): take focus to the details so they are read out.
    $('detail-title').focus();
  }

  // ---- details of one place
  let popup = null;
  let detailGeneration = 0;
  function select(sel, { lngLat = null, popupNode = null } = {}) {
    state = { ...state, sel };
    writeUrl();
    for (const [kind, d] of Object.entries(kinds)) d.highlight?.(ctx, sel?.startsWith(`${kind}:`) ? sel.slice(kind.length + 1) : null);
    for (const layer of LAYERS) layer.select?.(ctx, sel);
    popup?.remove();
    popup = null;
    if (!sel) {
      $('detail').hidden = true;
      return Promise.resolve();
    }
    if (lngLat) {
      openPopup(lngLat, popupNode || el('p', { className: 'map-popup', textContent: 'Loading…' }));
      popup.needsContent = !popupNode;
    }
    const id = sel.slice(sel.indexOf(':') + 1);
    $('detail-kind').textContent = '';
    $('detail-title').textContent = id;
    $('detail-sub').textContent = '';
    renderDetailMessage($('detail-body'), 'Loading…');
    $('detail').hidden = false;
    if (lngLat) keepClearOfDetail(lngLat);
    return loadDetail();
  }
  /** Opens the map's one popup at `lngLat` with `node`, closing any other. */
  function openPopup(lngLat, node) {
    popup?.remove();
    popup = new maplibregl.Popup({ maxWidth: '280px', focusAfterOpen: false })
      .setLngLat(lngLat)
      .setDOMContent(node)
      .addTo(map);
    popup.needsContent = false;
  }
  /** Pans the map so that `lngLat` is not hidden under the details card. */
  function keepClearOfDetail(lngLat) {
    const p = map.project(lngLat);
    const free = map.getContainer().clientWidth - $('detail').offsetWidth - 20;
    if (p.x > free - 40) map.panBy([p.x - free / 2, 0], { duration: 300 });
  }
  async function loadDetail() {
    const sel = state.sel;
    if (!sel) return;
    const kindName = sel.slice(0, sel.indexOf(':'));
    const id = sel.slice(kindName.length + 1);
    const kind = kinds[kindName];
    const generation = ++detailGeneration;
    if (!state.categories.length) {
      renderDetailMessage($('detail-body'), 'No category selected: tick at least one category.');
      return;
    }
    $('detail').setAttribute('aria-busy', 'true');
    try {
      const view = await kind.load(ctx, id);
      if (generation !== detailGeneration) return;
      $('detail-kind').textContent = view.kind || '';
      $('detail-title').textContent = view.title;
      $('detail-title').classList.toggle('mono', Boolean(view.mono));
      $('detail-sub').textContent = view.subtitle || '';
      // Visible layers may add what they know of the place (e.g. a cell's statistics).
      const extra = LAYERS.filter((l) => l.detailFacts && isVisible(l)).flatMap((l) => l.detailFacts(ctx, sel));
      // A kind whose counts ignore the page's filters (an alert) states its own months and filters.
      const when = view.filters !== undefined ? view.filters : timeLabel(state);
      renderDetail($('detail-body'), {
        ...view,
        facts: [['Months', view.months ?? rangeLabel(state.from, state.to)], ...(when ? [['Filters', when]] : []), ...(view.facts || []), ...extra],
        locationNote: meta.time_precision === 'month' ? undefined : null,
      });
      if (popup?.needsContent && kind.popup) popup.setDOMContent(kind.popup(ctx, view.data, id));
    } catch (err) {
      if (generation === detailGeneration) renderDetailMessage($('detail-body'), err.message, 'error');
    } finally {
      if (generation === detailGeneration) $('detail').removeAttribute('aria-busy');
    }
  }
  $('detail-close').addEventListener('click', () => {
    select(null);
    map.getCanvas().focus();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('detail').hidden && ($('detail').contains(e.target) || e.target === map.getCanvas())) {
      select(null);
      map.getCanvas().focus();
    }
  });

  // ---- month player
  let playing = null;
  function setPlayButton(on) {
    $('play').setAttribute('aria-pressed', String(on));
    $('play-text').textContent = on ? 'Stop' : 'Play';
    $('play').querySelector('.play-icon').textContent = on ? '■' : '▶';
  }
  function stopPlay(message = null) {
    if (!playing) return;
    playing = null;
    setPlayButton(false);
    $('play-status').textContent = message || `Stopped at ${monthLabel(state.from, 'long')}.`;
  }
  async function startPlay() {
    const list = meta.months.list;
    if (list.length < 2) return;
    let i0 = list.indexOf(state.from);
    let i1 = list.indexOf(state.to);
    let start = i0;
    if (i0 === i1) { // one month shown: play on through every month from the next one
      start = i0 + 1 < list.length ? i0 + 1 : 0;
      i0 = 0;
      i1 = list.length - 1;
    }
    const token = { byMonth: null };
    playing = token;
    setPlayButton(true);
    try {
      const s = await fetchJson(apiUrl('/api/summary', filterPairs({ ...state, from: list[i0], to: list[i1] })), 'the selection summary');
      token.byMonth = s.by_month;
    } catch { /* the chart then shows the single month */ }
    for (let i = start; i <= i1 && playing === token; i++) {
      const t0 = performance.now();
      $('play-status').textContent = `Showing ${monthLabel(list[i], 'long')} (${i - i0 + 1} of ${i1 - i0 + 1})`;
      await applyState({ ...state, from: list[i], to: list[i] });
      await settled();
      await sleep(Math.max(0, PLAY_STEP_MS - (performance.now() - t0)));
    }
    if (playing !== token) return;
    playing = null;
    setPlayButton(false);
    await applyState({ ...state, from: list[i0], to: list[i1] });
    $('play-status').textContent = `Played ${rangeLabel(list[i0], list[i1])}; showing the whole range again.`;
  }
  $('play').addEventListener('click', () => (playing ? stopPlay() : startPlay()));

  // ---- evaluation: the backtest chart, fetched when its box is opened (for the categories
  // and area selected, over every month: the backtest makes its own training/test split).
  $('evaluation-box').addEventListener('toggle', async () => {
    if (!$('evaluation-box').open) return;
    const pairs = filterPairs({ ...state, from: meta.months.first, to: meta.months.last, hours: null, weekdays: [] });
    const area = state.area === 'all' ? 'bcp' : state.area;
    const withArea = [...pairs.filter(([k]) => k !== 'area'), ['area', area]];
    $('evaluation-text').textContent = 'Computing the backtest…';
    try {
      const data = await fetchJson(apiUrl('/api/evaluation', withArea), 'the evaluation');
      const at3 = data.summary.filter((s) => Math.abs(s.share - 0.03) < 1e-9 && s.pai !== null).sort((a, b) => b.pai - a.pai);
      const img = $('evaluation-chart');
      // Fetched with the partner's token (an <img src> cannot send it), shown as a blob: URL.
      const svg = await fetchBlob(apiUrl('/api/evaluation', [...withArea, ['format', 'svg']]), 'the evaluation chart');
      if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(svg);
      img.alt = `PAI at 3 % of the area by test month; highest mean: ${at3.map((s) => `${s.method} ${s.pai.toFixed(1)}`).join(', ')}`;
      img.hidden = false;
      $('evaluation-text').textContent = at3.length
        ? `Mean PAI at 3 % over ${data.test_months.length} test months: ${at3.map((s) => `${s.method} ${s.pai.toFixed(2)}`).join(' · ')}.`
        : 'Not enough months to backtest.';
    } catch (err) {
      $('evaluation-text').textContent = err.message;
    }
  });

  // ---- exports
  const exportItems = [
    {
      label: 'Map image (PNG)',
      description: 'The map as shown, with its legend, title and attribution',
      async run() {
        const names = meta.categories.filter((c) => state.categories.includes(c.slug)).map((c) => c.name);
        const res = ctx.displayedRes();
        const title = [
          'hexwatch · incident hotspots',
          [listNames(names, { max: 4, all: meta.categories.length }), rangeLabel(state.from, state.to), timeLabel(state), areaName(meta, state.area)]
            .filter(Boolean).join(' · '),
          [lastSummary && state.categories.length ? `${fmtInt.format(lastSummary.incidents)} incidents` : null,
            `H3 resolution ${res}${state.res === null ? '' : ' (pinned)'}`, `data version ${meta.data_version}`].filter(Boolean).join(' · '),
        ];
        const attribution = document.querySelector('.maplibregl-ctrl-attrib-inner')?.textContent || meta.attribution || FALLBACK_ATTRIBUTION;
        const blob = await track(mapPng(map, { title, models: legendModels(), attribution }));
        return { blob, filename: `${ctx.fileStem('map')}.png` };
      },
    },
    ...LAYERS.flatMap((l) => l.exports || []),
  ];
  $('export-buttons').replaceChildren(...exportItems.map((item) => {
    const button = el('button', { type: 'button', className: 'btn', textContent: item.label, title: item.description });
    button.addEventListener('click', async () => {
      button.setAttribute('aria-busy', 'true');
      $('export-status').textContent = `Preparing ${item.label}…`;
      try {
        const { blob, filename } = await item.run(ctx);
        saveBlob(blob, filename);
        $('export-status').textContent = `Saved ${filename}.`;
      } catch (err) {
        $('export-status').textContent = '';
        showStatus(err.message);
      } finally {
        button.removeAttribute('aria-busy');
      }
    });
    return button;
  }));

  // ---- the map
  map.on('load', async () => {
    for (const layer of LAYERS) {
      for (const [id, spec] of Object.entries(layer.sources?.(ctx) || {})) map.addSource(id, spec);
    }
    const specs = LAYERS.flatMap((layer, order) => (layer.layers?.(ctx) || []).map((spec) => ({ layer, order, spec })));
    specs.sort((a, b) => SLOTS.indexOf(a.spec.slot ?? 'data') - SLOTS.indexOf(b.spec.slot ?? 'data') || a.order - b.order);
    for (const { layer, spec } of specs) {
      const { slot, ...rest } = spec;
      // Hidden until the first refresh: no tiles are fetched before the colour classes are known.
      map.addLayer({ ...rest, layout: { ...(rest.layout || {}), visibility: 'none' } });
      mapLayers.get(layer.id).push(rest.id);
    }
    for (const layer of LAYERS) layer.setup?.(ctx);
    ready = true;
    startLive();
    noCategoryNotice();
    await Promise.all([refreshLayers(new Set(['init'])), loadSummary(), loadTopCells(), state.sel ? select(state.sel) : null]);
    document.body.dataset.mapLoaded = '1';
  });

  let lastLegendZoom = Math.floor(map.getZoom());
  map.on('zoom', () => {
    if (Math.floor(map.getZoom()) !== lastLegendZoom) {
      lastLegendZoom = Math.floor(map.getZoom());
      if (ready) renderLegend();
    }
  });
  map.on('moveend', () => {
    writeUrl();
    if (ready && ctx.displayedRes() !== topRes) loadTopCells();
  });

  map.on('dataloading', () => { $('loading').hidden = false; });
  map.on('idle', () => { $('loading').hidden = true; });

  // Clicks go to the topmost clickable layer that has a feature under the pointer.
  const clickable = () => LAYERS.filter((l) => l.click && isVisible(l)).sort((a, b) => b.click.priority - a.click.priority);
  map.on('click', (e) => {
    for (const layer of clickable()) {
      const feature = map.queryRenderedFeatures(e.point, { layers: layer.click.layers })[0];
      const hit = feature && layer.click.handle(ctx, feature, e);
      if (hit?.sel) {
        select(hit.sel, { lngLat: e.lngLat, popupNode: hit.popup || null });
        return;
      }
      if (hit?.popup) { // a layer without details (e.g. density contours): a popup only
        openPopup(e.lngLat, hit.popup);
        return;
      }
    }
  });
  map.on('mousemove', (e) => {
    if (!ready) return;
    const layers = clickable().flatMap((l) => l.click.layers);
    const over = layers.length && map.queryRenderedFeatures(e.point, { layers }).length > 0;
    map.getCanvas().style.cursor = over ? 'pointer' : '';
  });

  // Server errors: every failing tile fires its own event, so report each status once per state.
  const reportedErrors = new Set();
  map.on('error', async (e) => {
    const err = e.error || {};
    if (typeof err.status !== 'number') {
      console.error(err);
      showStatus(`Map error: ${err.message || err}`);
      return;
    }
    const key = `${err.status}`;
    if (reportedErrors.has(key)) return;
    reportedErrors.add(key);
    let body = null;
    try {
      // The 400 body may not survive the hop from the tile worker; re-fetch it if so.
      const text = err.body instanceof Blob && err.body.size ? await err.body.text()
        : err.status >= 400 && err.url ? await (await fetch(err.url, { headers: authHeaders() })).text() : '';
      body = text ? JSON.parse(text) : null;
    } catch { /* body not JSON: fall back to the status line */ }
    const what = err.url && err.url.includes('/tiles/') ? 'the map tiles' : 'a map request';
    const message = body && typeof body.error === 'string'
      ? `Server rejected ${what}: ${body.error}` + (body.parameter ? ` (parameter “${body.parameter}”)` : '')
      : `Server error for ${what}: HTTP ${err.status}`;
    showStatus(message);
  });

  $('skip-to-map').addEventListener('click', (e) => {
    e.preventDefault();
    map.getCanvas().focus();
  });

  // ---- live updates (server-sent events)
  // `data-version`: the data changed (a POST to /api/incidents): the visible layers reload
  // their tiles and answers (each layer's refresh gets the change key 'data'), as do the
  // summary, the busiest cells, the open details card and the data line. Bursts collapse
  // into one refresh at a time, plus one more if anything arrived meanwhile. Other events
  // (`alert`) go to the layers that handle them (`events: { alert(ctx, data) }`).
  let liveVersion = meta.data_version;
  let dataRefresh = null;
  let refreshAgain = false;
  let lastUpdate = null;
  const liveStates = {
    connecting: 'Live updates: connecting…',
    connected: 'Live updates on',
    disconnected: 'Live updates off: no connection to the server; reconnecting…',
  };
  function showLive(live) {
    $('live').dataset.state = live;
    if ($('live-text').textContent !== liveStates[live]) $('live-text').textContent = liveStates[live]; // a live region: only changes are read out
    $('live-updated').textContent = live === 'connected' && lastUpdate ? ` · updated ${lastUpdate}` : '';
  }
  async function onDataVersion(version) {
    if (!(Number(version) > liveVersion)) return; // replayed, or already seen
    liveVersion = Number(version);
    if (dataRefresh) {
      refreshAgain = true;
      return;
    }
    do {
      refreshAgain = false;
      dataRefresh = refreshData();
      await dataRefresh;
    } while (refreshAgain);
    dataRefresh = null;
  }
  async function refreshData() {
    const fresh = await fetchJson('/api/meta', 'the data description (/api/meta)').catch(() => null);
    if (fresh) updateMeta(fresh);
    await Promise.all([refreshLayers(new Set(['data'])), loadSummary(), loadTopCells(), state.sel ? loadDetail() : null]);
    lastUpdate = new Date().toLocaleTimeString('en-GB');
    if ($('live').dataset.state === 'connected') showLive('connected');
  }
  /** Takes a newer /api/meta: the data line and counts, and the controls only if the months or categories changed. */
  function updateMeta(fresh) {
    const shape = (m) => JSON.stringify([m.months?.list, (m.categories || []).map((c) => [c.slug, c.time_precision]), m.flags, (m.areas || []).map((a) => a.id), (m.area_sets || []).map((x) => [x.set, x.areas])]);
    const rebuild = shape(fresh) !== shape(meta);
    Object.assign(meta, fresh);
    liveVersion = Math.max(liveVersion, Number(meta.data_version) || 0);
    if (rebuild) {
      renderControls(meta);
      syncForm();
      return;
    }
    renderDataLine(meta);
    for (const label of $('categories').querySelectorAll('label.check')) {
      const c = meta.categories.find((x) => x.slug === label.querySelector('input').value);
      if (c && Number.isFinite(c.count)) label.querySelector('.n').textContent = fmtInt.format(c.count);
    }
  }
  function startLive() {
    connectLive('/api/events', {
      onState(live) {
        showLive(live);
        // Connected (again): a write may have happened while nobody listened.
        if (live === 'connected') {
          fetchJson('/api/meta', 'the data description (/api/meta)')
            .then((m) => onDataVersion(m.data_version))
            .catch(() => {});
        }
      },
      onEvent(name, data) {
        if (name === 'data-version') {
          onDataVersion(data?.data_version);
          return;
        }
        for (const layer of LAYERS) {
          try {
            layer.events?.[name]?.(ctx, data);
          } catch (err) {
            console.error(err);
          }
        }
      },
    });
  }

  /** Resolves once nothing is loading and the map has drawn what it loaded. */
  function settled() {
    return new Promise((resolve) => {
      const check = () => {
        if (ready && pendingWork() === 0 && map.loaded() && !map.isMoving() && map.areTilesLoaded()) {
          map.once('idle', () => (pendingWork() === 0 ? resolve() : setTimeout(check, 50)));
          map.triggerRepaint();
        } else setTimeout(check, 50);
      };
      check();
    });
  }

  syncForm();
  renderSummaryHeader();
  writeUrl();
  // For the browser tests and the console: the map, the state and a settle signal.
  window.hexwatchMap = map;
  window.hexwatch = { map, LAYERS, get state() { return state; }, settled, select, applyState };
}

wireSignIn();
main().catch((err) => {
  console.error(err);
  showStatus(`Unexpected error: ${err.message}`);
});
