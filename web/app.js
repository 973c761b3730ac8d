// hexwatch front end: H3 incident density tiles over ward outlines, with filters kept
// in the URL. Plain ES module, no build step; MapLibre comes from node_modules (npm ci).
import * as maplibregl from './node_modules/maplibre-gl/dist/maplibre-gl.mjs';

// Fixed logarithmic classes in incidents per km² per month. The unit is already
// normalised by cell area and months, so one scale is valid at every zoom/resolution;
// never rescale to the data in view, or colours would stop being comparable.
const DENSITY_BREAKS = [1, 3, 10, 30, 100, 300, 1000, 3000, 10000];
// Reversed "magma": pale yellow → orange → red → purple; perceptually uniform and
// readable with the common colour-vision deficiencies. One colour per class (breaks + 1).
const DENSITY_COLOURS = ['#fcfdbf', '#fecf92', '#fea16e', '#fa7d5e', '#e95462',
  '#cf4070', '#ad347c', '#832681', '#5f187f', '#3b0f70'];

const DEFAULT_CATEGORY_SLUGS = ['anti-social-behaviour', 'violent-crime'];
const DEFAULT_CATEGORY_NAMES = ['Anti-social behaviour', 'Violence and sexual offences'];
const INITIAL_VIEW = { center: [-1.86, 50.74], zoom: 11.5 };
const CELLS_MINZOOM = 5;
const CELLS_MAXZOOM = 18; // tiles are over-zoomed beyond this, so the grid stops refining
const PINNABLE_RES = [5, 6, 7, 8, 9, 10, 11, 12];
const FALLBACK_ZOOM_RES = [[0, 5], [8, 6], [10, 7], [11, 8], [13, 9], [14, 10], [16, 11], [17, 12]]
  .map(([min_zoom, res]) => ({ min_zoom, res }));
const ATTRIBUTION = 'Contains public sector information licensed under the Open Government Licence v3.0. '
  + 'Ward boundaries: Source: Office for National Statistics licensed under the Open Government Licence v.3.0. '
  + 'Contains OS data © Crown copyright and database right 2020.';
const MAPLIBRE_ATTRIBUTION = '<a href="https://maplibre.org/" target="_blank" rel="noopener">MapLibre</a>';

const $ = (id) => document.getElementById(id);
const fmtInt = new Intl.NumberFormat('en-GB');
const fmt1 = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

// ---------------------------------------------------------------- status bar
function showStatus(message, kind = 'error') {
  $('status-text').textContent = message;
  $('status').className = kind;
  $('status').hidden = false;
}
function clearStatus() { $('status').hidden = true; }
$('status-close').addEventListener('click', clearStatus);

/** Turns the server's `{"error", "parameter"}` body (if any) into one readable line. */
function describeServerError(status, statusText, body, what) {
  if (body && typeof body.error === 'string') {
    return `Server rejected ${what}: ${body.error}` + (body.parameter ? ` (parameter “${body.parameter}”)` : '');
  }
  if (status === 0) return `Cannot reach the server for ${what}.`;
  return `Server error for ${what}: HTTP ${status} ${statusText || ''}`.trim();
}

async function fetchJson(url, what) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/json' } });
  } catch {
    throw new Error(describeServerError(0, '', null, what));
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(describeServerError(response.status, response.statusText, body, what));
  if (body === null) throw new Error(`Server sent invalid JSON for ${what}.`);
  return body;
}

// ---------------------------------------------------------------- state <-> URL
// Keep ',', ':' and '/' literal (legal in a query) so URLs stay readable: category=a,b&area=ward:E05….
const enc = (v) => encodeURIComponent(v).replace(/%(2C|3A|2F)/gi, (m) => decodeURIComponent(m));
const queryString = (pairs) => pairs.map(([k, v]) => `${k}=${enc(v)}`).join('&');

/** Filter parameters shared by the tile URL and the page URL. */
function filterPairs(state) {
  const pairs = [['category', state.categories.join(',')], ['from', state.from], ['to', state.to]];
  pairs.push(['area', state.area || 'all']);
  if (state.res !== null) pairs.push(['res', String(state.res)]);
  return pairs;
}

function defaultCategories(meta) {
  const picked = meta.categories
    .filter((c) => DEFAULT_CATEGORY_SLUGS.includes(c.slug) || DEFAULT_CATEGORY_NAMES.includes(c.name))
    .map((c) => c.slug);
  return picked.length ? picked : meta.categories.map((c) => c.slug);
}

/** Reads filters and view from the page URL, dropping anything /api/meta does not know. */
function stateFromUrl(meta) {
  const p = new URLSearchParams(location.search);
  const months = meta.months.list;
  const slugs = new Set(meta.categories.map((c) => c.slug));
  const state = {
    categories: p.has('category')
      ? p.get('category').split(',').filter((s) => slugs.has(s))
      : defaultCategories(meta),
    from: months.includes(p.get('from')) ? p.get('from') : meta.months.first,
    to: months.includes(p.get('to')) ? p.get('to') : meta.months.last,
    // BCP is the partnership's study area, so it is the default; 'all' keeps every incident.
    area: p.get('area') === 'all' || meta.areas.some((a) => a.id === p.get('area'))
      ? p.get('area')
      : (meta.areas.some((a) => a.id === 'bcp') ? 'bcp' : 'all'),
    res: PINNABLE_RES.includes(Number(p.get('res'))) ? Number(p.get('res')) : null,
    view: null,
  };
  if (state.from > state.to) [state.from, state.to] = [state.to, state.from];
  const view = (p.get('map') || '').split('/').map(Number);
  if (view.length === 3 && view.every(Number.isFinite)) {
    state.view = { zoom: view[0], center: [view[2], view[1]] };
  }
  return state;
}

function writeUrl(state, map) {
  const c = map.getCenter();
  const view = `${map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`;
  const qs = queryString([...filterPairs(state), ['map', view]]);
  history.replaceState(null, '', `${location.pathname}?${qs}`);
}

const tileUrl = (state) => `${location.origin}/tiles/cells/{z}/{x}/{y}?${queryString(filterPairs(state))}`;

// ---------------------------------------------------------------- helpers
function monthLabel(ym) {
  const [y, m] = ym.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1)).toLocaleDateString('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });
}
const monthsBetween = (meta, from, to) => meta.months.list.indexOf(to) - meta.months.list.indexOf(from) + 1;
const categoryProperty = (c) => c.property || `count_${c.slug.replaceAll('-', '_')}`;

/** H3 resolution the server uses for the tiles now on screen (see /api/meta zoom_resolution). */
function displayedResolution(meta, state, zoom) {
  if (state.res !== null) return state.res;
  // A 512 px source is requested at floor(zoom), and never beyond the source maxzoom.
  const z = Math.min(Math.floor(zoom), CELLS_MAXZOOM);
  const table = [...(meta.zoom_resolution || FALLBACK_ZOOM_RES)].sort((a, b) => a.min_zoom - b.min_zoom);
  return table.filter((e) => e.min_zoom <= z).at(-1)?.res ?? table[0].res;
}

function bounds(features) {
  const b = new maplibregl.LngLatBounds();
  const walk = (c) => (typeof c[0] === 'number' ? b.extend(c) : c.forEach(walk));
  features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
  return b.isEmpty() ? null : b;
}

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

// ---------------------------------------------------------------- page furniture
function renderSummary(meta) {
  const n = meta.months.list.length;
  const counts = meta.counts || {};
  const parts = [
    `Data version ${meta.data_version}`,
    `${n} month${n === 1 ? '' : 's'}: ${monthLabel(meta.months.first)} – ${monthLabel(meta.months.last)}`,
    `time precision: ${meta.time_precision}`,
  ];
  if (Number.isFinite(counts.incidents)) {
    parts.push(`${fmtInt.format(counts.incidents)} incidents in the store (all categories and months)`);
  }
  $('summary').textContent = parts.join(' · ');
}

function renderFilters(meta, state) {
  $('categories').replaceChildren(...meta.categories.map((c) => el('label', {},
    el('input', { type: 'checkbox', value: c.slug, checked: state.categories.includes(c.slug) }),
    el('span', { textContent: c.name }),
    el('span', { className: 'n', textContent: Number.isFinite(c.count) ? fmtInt.format(c.count) : '' }))));

  for (const id of ['month-from', 'month-to']) {
    $(id).replaceChildren(...meta.months.list.map((m) => el('option', { value: m, textContent: monthLabel(m) })));
  }
  $('month-from').value = state.from;
  $('month-to').value = state.to;

  const wards = meta.areas.filter((a) => a.id.startsWith('ward:'))
    .sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
  const others = meta.areas.filter((a) => a.id !== 'bcp' && !a.id.startsWith('ward:'));
  $('area').replaceChildren(
    el('option', { value: 'all', textContent: 'All data (incl. outside BCP)' }),
    ...(meta.areas.some((a) => a.id === 'bcp') ? [el('option', { value: 'bcp', textContent: 'BCP (all wards)' })] : []),
    ...others.map((a) => el('option', { value: a.id, textContent: a.name })),
    el('optgroup', { label: 'Wards' }, ...wards.map((a) => el('option', { value: a.id, textContent: a.name }))));
  $('area').value = state.area;

  $('res').replaceChildren(...PINNABLE_RES.map((r) => el('option', { value: r, textContent: `Resolution ${r}` })));
  $('pin-res').checked = state.res !== null;
  $('res').disabled = state.res === null;
  $('res').value = String(state.res ?? 9);

  // police.uk publishes month and approximate location only, so there is nothing to filter on.
  $('time-note').textContent = meta.time_precision === 'month'
    ? 'police.uk data has month precision'
    : `Hour and weekday filters are not available (time precision: ${meta.time_precision}).`;
  updateMonthNote(meta, state);
}

function updateMonthNote(meta, state) {
  const n = monthsBetween(meta, state.from, state.to);
  $('month-note').textContent = `${n} month${n === 1 ? '' : 's'} selected; density is averaged per month.`;
}

/** Reads the form back into a new state object. */
function stateFromForm(state) {
  return {
    ...state,
    categories: [...$('categories').querySelectorAll('input:checked')].map((i) => i.value),
    from: $('month-from').value,
    to: $('month-to').value,
    area: $('area').value,
    res: $('pin-res').checked ? Number($('res').value) : null,
  };
}

function renderLegend() {
  const label = (i) => {
    if (i === 0) return `< ${fmtInt.format(DENSITY_BREAKS[0])}`;
    if (i === DENSITY_BREAKS.length) return `≥ ${fmtInt.format(DENSITY_BREAKS.at(-1))}`;
    return `${fmtInt.format(DENSITY_BREAKS[i - 1])} – ${fmtInt.format(DENSITY_BREAKS[i])}`;
  };
  $('legend-classes').replaceChildren(...DENSITY_COLOURS.map((colour, i) => el('li', {},
    el('span', { className: 'swatch', style: `background:${colour}` }), label(i))));
}

function updateResolutionLine(meta, state, map) {
  const zoom = map.getZoom();
  let text;
  if (zoom < CELLS_MINZOOM) text = `Zoom in to see cells (from zoom ${CELLS_MINZOOM}).`;
  else if (state.res !== null) text = `H3 resolution ${state.res} (pinned)`;
  else text = `H3 resolution ${displayedResolution(meta, state, zoom)} at zoom ${Math.floor(zoom)}`;
  $('legend-res').textContent = text;
}

// ---------------------------------------------------------------- map style
// With no category ticked there is nothing to ask the server for: hide the cells instead.
const cellsVisibility = (state) => (state.categories.length ? 'visible' : 'none');
function noCategoryNotice(state) {
  if (!state.categories.length) showStatus('No category selected: tick at least one category to see cells.', 'info');
}

function buildStyle(state) {
  const densityColour = ['step', ['to-number', ['get', 'density_per_km2_month'], 0], DENSITY_COLOURS[0]];
  DENSITY_BREAKS.forEach((b, i) => densityColour.push(b, DENSITY_COLOURS[i + 1]));
  const SELECTED = ['boolean', ['feature-state', 'selected'], false];
  return {
    version: 8,
    sources: {
      cells: {
        type: 'vector',
        tiles: [tileUrl(state)],
        tileSize: 512,
        minzoom: CELLS_MINZOOM,
        maxzoom: CELLS_MAXZOOM,
        // H3 ids exceed 2^53, so they travel as a string property, never as the feature id.
        promoteId: { cells: 'h3' },
      },
      wards: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#eceee9' } },
      // Faint fill: context for where wards are, and the hit-test layer for popups.
      { id: 'wards-fill', type: 'fill', source: 'wards', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.55 } },
      {
        id: 'cells-fill', type: 'fill', source: 'cells', 'source-layer': 'cells',
        layout: { visibility: cellsVisibility(state) },
        paint: {
          'fill-color': densityColour,
          'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 0.92, 0.72],
        },
      },
      {
        id: 'cells-line', type: 'line', source: 'cells', 'source-layer': 'cells',
        layout: { visibility: cellsVisibility(state) },
        paint: {
          'line-color': ['case', SELECTED, '#111111', 'rgba(60, 30, 70, 0.35)'],
          // A zoom curve must be the outermost expression, so the selection test goes inside.
          'line-width': ['interpolate', ['linear'], ['zoom'],
            6, ['case', SELECTED, 2, 0.2], 12, ['case', SELECTED, 2.5, 0.5], 16, ['case', SELECTED, 3, 1]],
        },
      },
      { id: 'wards-line', type: 'line', source: 'wards', paint: { 'line-color': '#35506b', 'line-width': 1.2, 'line-opacity': 0.8 } },
      {
        id: 'wards-selected', type: 'line', source: 'wards', filter: ['==', ['get', 'code'], ''],
        paint: { 'line-color': '#1d3550', 'line-width': 3 },
      },
    ],
  };
}

// ---------------------------------------------------------------- popup
function popupContent(meta, props, wardNames) {
  const row = (k, v) => el('tr', {}, el('th', { textContent: k }), el('td', { textContent: v }));
  const known = new Map(meta.categories.map((c) => [categoryProperty(c), c.name]));
  const byCategory = Object.entries(props)
    .filter(([k, v]) => k.startsWith('count_') && Number(v) > 0)
    .map(([k, v]) => [known.get(k) || k.slice(6).replaceAll('_', ' '), Number(v)])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const density = Number(props.density_per_km2_month);
  return el('div', { className: 'cell-popup' },
    el('h3', { textContent: String(props.h3) }),
    el('table', {},
      row('H3 resolution', String(props.res)),
      row('Incidents', fmtInt.format(Number(props.count))),
      row('Density', `${fmt1.format(density)} per km² per month`),
      ...(Number.isFinite(Number(props.area_km2)) ? [row('Cell area', `${Number(props.area_km2).toFixed(3)} km²`)] : [])),
    el('p', { className: 'sub', textContent: 'By category' }),
    el('table', {}, ...(byCategory.length ? byCategory.map(([name, n]) => row(name, fmtInt.format(n)))
      : [row('none reported', '')])),
    el('p', { className: 'sub', textContent: wardNames.length > 1 ? 'Wards' : 'Ward' }),
    el('div', { textContent: wardNames.length ? wardNames.join(', ') : 'Outside every ward' }));
}

// ---------------------------------------------------------------- main
async function main() {
  renderLegend();
  const wardsRequest = fetchJson('/api/areas/wards', 'the ward boundaries').catch((err) => err);
  let meta;
  try {
    meta = await fetchJson('/api/meta', 'the data description (/api/meta)');
  } catch (err) {
    showStatus(`${err.message.replace(/\.?$/, '.')} The map cannot be shown.`);
    return;
  }
  let wards = await wardsRequest;
  if (wards instanceof Error) {
    showStatus(wards.message); // not fatal: the cells still work without outlines
    wards = { type: 'FeatureCollection', features: [] };
  }

  let state = stateFromUrl(meta);
  renderSummary(meta);
  renderFilters(meta, state);
  noCategoryNotice(state);

  const map = new maplibregl.Map({
    container: 'map',
    style: buildStyle(state),
    center: state.view?.center ?? INITIAL_VIEW.center,
    zoom: state.view?.zoom ?? INITIAL_VIEW.zoom,
    maxZoom: 19,
    // A flat, north-up map: hexagon areas and densities are compared by eye.
    maxPitch: 0,
    dragRotate: false,
    pitchWithRotate: false,
    attributionControl: false,
  });
  window.hexwatchMap = map;
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  // Licence terms require the attribution to stay visible, so never let it collapse.
  map.addControl(new maplibregl.AttributionControl({ compact: false, customAttribution: [ATTRIBUTION, MAPLIBRE_ATTRIBUTION] }));
  // Bottom corners stack upwards: the scale bar sits just above the attribution.
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.addControl({ onAdd: () => $('legend'), onRemove: () => {} }, 'bottom-left');

  const wardBounds = new Map(wards.features.map((f) => [`ward:${f.properties?.code}`, bounds([f])]));
  // Style calls throw before the style has loaded, so filter changes made earlier wait for it.
  let loaded = false;
  const pending = [];
  map.on('load', () => {
    loaded = true;
    map.getSource('wards').setData(wards);
    setWardHighlight();
    pending.splice(0).forEach((run) => run());
    document.body.dataset.mapLoaded = '1';
  });

  function setWardHighlight() {
    const code = state.area.startsWith('ward:') ? state.area.slice(5) : '';
    map.setFilter('wards-selected', ['==', ['get', 'code'], code]);
  }

  // ---- filters
  let popup = null;
  // Every failing tile fires its own error event: report each distinct status once per filter state.
  const reportedErrors = new Set();
  function applyFilters(next, { moveToArea = false } = {}) {
    if (!loaded) return void pending.push(() => applyFilters(next, { moveToArea }));
    const areaChanged = next.area !== state.area;
    state = next;
    clearStatus();
    reportedErrors.clear();
    popup?.remove();
    map.removeFeatureState({ source: 'cells', sourceLayer: 'cells' });
    updateMonthNote(meta, state);
    const visibility = cellsVisibility(state);
    map.setLayoutProperty('cells-fill', 'visibility', visibility);
    map.setLayoutProperty('cells-line', 'visibility', visibility);
    if (visibility === 'visible') map.getSource('cells').setTiles([tileUrl(state)]);
    noCategoryNotice(state);
    setWardHighlight();
    updateResolutionLine(meta, state, map);
    writeUrl(state, map);
    if (moveToArea && areaChanged && state.area) {
      const b = state.area === 'bcp' ? bounds(wards.features) : wardBounds.get(state.area);
      // Extra room on the left so the legend does not hide part of the area.
      if (b) map.fitBounds(b, { padding: { top: 40, right: 60, bottom: 40, left: $('legend').offsetWidth + 30 }, maxZoom: 15 });
    }
  }

  $('filters').addEventListener('change', (e) => {
    const id = e.target.id;
    // Keep the range ordered by dragging the other end along.
    if (id === 'month-from' && $('month-from').value > $('month-to').value) $('month-to').value = $('month-from').value;
    if (id === 'month-to' && $('month-to').value < $('month-from').value) $('month-from').value = $('month-to').value;
    if (id === 'pin-res') $('res').disabled = !$('pin-res').checked;
    applyFilters(stateFromForm(state), { moveToArea: id === 'area' });
  });
  const setCategories = (slugs) => {
    $('categories').querySelectorAll('input').forEach((i) => { i.checked = slugs.includes(i.value); });
    applyFilters(stateFromForm(state));
  };
  $('cat-all').addEventListener('click', () => setCategories(meta.categories.map((c) => c.slug)));
  $('cat-none').addEventListener('click', () => setCategories([]));
  $('cat-default').addEventListener('click', () => setCategories(defaultCategories(meta)));

  // ---- view
  updateResolutionLine(meta, state, map);
  map.on('zoom', () => updateResolutionLine(meta, state, map));
  map.on('moveend', () => writeUrl(state, map));
  writeUrl(state, map);

  map.on('dataloading', (e) => { if (e.sourceId === 'cells') $('loading').hidden = false; });
  map.on('idle', () => { $('loading').hidden = true; });

  // ---- server errors
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
        : err.status >= 400 && err.url ? await (await fetch(err.url)).text() : '';
      body = text ? JSON.parse(text) : null;
    } catch { /* body not JSON: fall back to the status line */ }
    const what = err.url && err.url.includes('/tiles/') ? 'the map tiles' : 'a map request';
    showStatus(describeServerError(err.status, err.statusText, body, what));
  });

  // ---- hover and click
  let hovered = null;
  const setState = (id, s) => id !== null && map.setFeatureState({ source: 'cells', sourceLayer: 'cells', id }, s);
  map.on('mousemove', 'cells-fill', (e) => {
    const id = e.features[0]?.id ?? null;
    if (id === hovered) return;
    setState(hovered, { hover: false });
    hovered = id;
    setState(hovered, { hover: true });
    map.getCanvas().style.cursor = 'pointer';
  });
  map.on('mouseleave', 'cells-fill', () => {
    setState(hovered, { hover: false });
    hovered = null;
    map.getCanvas().style.cursor = '';
  });

  let selected = null;
  map.on('click', 'cells-fill', (e) => {
    const feature = e.features[0];
    if (!feature) return;
    const wardNames = [...new Set(map.queryRenderedFeatures(e.point, { layers: ['wards-fill'] })
      .map((w) => w.properties.name).filter(Boolean))].sort();
    setState(selected, { selected: false });
    selected = feature.id ?? null;
    setState(selected, { selected: true });
    const thisPopup = new maplibregl.Popup({ maxWidth: '320px' })
      .setLngLat(e.lngLat)
      .setDOMContent(popupContent(meta, feature.properties, wardNames))
      .addTo(map);
    popup = thisPopup;
    // The previous popup closes after this handler has run (same click); it must not
    // clear the selection that now belongs to the new popup.
    thisPopup.on('close', () => {
      if (popup !== thisPopup) return;
      setState(selected, { selected: false });
      selected = null;
    });
  });
}

main().catch((err) => {
  console.error(err);
  showStatus(`Unexpected error: ${err.message}`);
});
