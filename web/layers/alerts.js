// Layer "Alert areas" and the alerts panel: the server's hotspot alerts (/api/alerts), kept
// up to date by the live connection (the SSE `alert` event adds one at once, marked "new";
// `data-version` reloads the list, whose statuses may have moved on).
//
// The panel (section #alerts) lists the alerts matching its filters (status, period, test),
// newest first; choosing one selects it (sel=alert:<id>): the map flies to it, its polygon
// is highlighted and the details card shows its figures with the place's monthly counts of
// the alert's category. The map layer outlines every OPEN alert's cell or ward, whatever
// the panel's filters. Alerts are kept for the panel even while the layer is switched off.

import { apiUrl } from '../lib/api.js';
import {
  alertType, categoryName, countBy, describeAlert, filterAlerts, fmtFirstRaised, fmtObserved, fmtProbability, fmtRatio,
  ringCentre, STATUS_LABELS, STATUSES, TYPE_LABELS, TYPES, wardAt, wardName,
} from '../lib/alerts.js';
import { $, el, fmtInt, monthLabel, rangeLabel } from '../lib/util.js';

const LINE = '#22c7c7'; // bright cyan: apart from the magma, PuBu and hot/cold ramps
const CASING = '#0d3b40'; // dark edge, so the outline shows on pale and dark fills alike
const SELECTED = '#0b57d0'; // the page's selection blue
const EMPTY = { type: 'FeatureCollection', features: [] };
const LIST_LIMIT = 25; // items shown before "Show all"

/** id → { props, geometry } of every alert the page knows (all statuses). */
const alerts = new Map();
/** Ids received through the live connection since the page opened and not yet looked at. */
const fresh = new Set();
/** Alerts that came through the live connection while a reload was on its way: kept if the reload lacks them. */
const arrivedDuring = new Map();
const filters = { status: 'open', period: '', type: '' };
let showAll = false;
let selectedId = null;
let loadGeneration = 0;
let loading = null; // the reload in flight (a promise), if any
let failure = null;
let reloadTimer = null;
/** Ward names of cell alerts (cell id → name or null), from the ward outlines. */
const cellWards = new Map();

const featureOf = (id) => {
  const a = alerts.get(id);
  return a?.geometry ? { type: 'Feature', geometry: a.geometry, properties: { ...a.props, fresh: fresh.has(id) } } : null;
};

function cellWard(ctx, a) {
  if (a.props.kind !== 'cell') return null;
  if (!cellWards.has(a.props.unit)) {
    if (!a.geometry) return null;
    cellWards.set(a.props.unit, wardAt(ctx.wardOutlines, ringCentre(a.geometry)));
  }
  return cellWards.get(a.props.unit);
}

// ---------------------------------------------------------------- data

/** Fetches every alert (all statuses, all periods) and redraws the panel and the layer. */
function reload(ctx) {
  const generation = ++loadGeneration;
  arrivedDuring.clear();
  const request = (async () => {
    try {
      const body = await ctx.fetchJson('/api/alerts', 'the alerts');
      if (generation !== loadGeneration) return;
      alerts.clear();
      for (const f of body.features || []) {
        const props = f.properties || {};
        if (props.id) alerts.set(props.id, { props, geometry: f.geometry || null });
      }
      // An alert event that overtook this answer is newer than it: keep it.
      for (const [id, props] of arrivedDuring) if (!alerts.has(id)) alerts.set(id, { props, geometry: null });
      failure = null;
    } catch (err) {
      if (generation !== loadGeneration) return;
      failure = err.message;
    }
    if (generation !== loadGeneration) return;
    loading = null;
    redraw(ctx);
  })();
  loading = request;
  return request;
}

/** A reload shortly after a burst of events (one request for many alerts). */
function scheduleReload(ctx) {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => reload(ctx), 300);
}

/** An `alert` event: shown at once, marked new; its polygon follows with the next reload. */
function receive(ctx, data) {
  if (!data || typeof data.id !== 'string') return;
  const known = alerts.get(data.id);
  alerts.set(data.id, { props: data, geometry: known?.geometry ?? geometryFromWards(ctx, data) });
  if (loading) arrivedDuring.set(data.id, data);
  fresh.add(data.id);
  announce(ctx, data);
  redraw(ctx);
  if (!alerts.get(data.id).geometry) scheduleReload(ctx);
}

/** A ward alert's polygon is the ward outline the page already has. */
function geometryFromWards(ctx, a) {
  if (a.kind !== 'ward') return null;
  return ctx.wardOutlines.features.find((f) => f.properties?.code === a.unit)?.geometry ?? null;
}

// A write often raises several alerts at once: one announcement for the burst.
let toAnnounce = [];
let announceTimer = null;
function announce(ctx, a) {
  toAnnounce.push(a);
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    const first = describeAlert(ctx.meta, toAnnounce.find((x) => alertType(x) === 'count') || toAnnounce[0]);
    const what = `${first.title}, ${first.where}, ${first.figures}`;
    $('alerts-announce').textContent = toAnnounce.length === 1 ? `New alert: ${what}.`
      : `${toAnnounce.length} new alerts, among them: ${what}.`;
    toAnnounce = [];
  }, 500);
}

// ---------------------------------------------------------------- map

function redraw(ctx) {
  renderPanel(ctx);
  const { map } = ctx;
  if (!map.getSource('alerts')) return;
  const open = [...alerts.keys()].filter((id) => alerts.get(id).props.status === 'open').map(featureOf).filter(Boolean);
  // Fresh alerts last, so they draw over older ones.
  open.sort((a, b) => Number(a.properties.fresh) - Number(b.properties.fresh));
  map.getSource('alerts').setData({ type: 'FeatureCollection', features: open });
  highlight(ctx, selectedId);
  ctx.updateLegend();
}

function highlight(ctx, id) {
  selectedId = id;
  const f = id ? featureOf(id) : null;
  ctx.map.getSource('alert-selected')?.setData(f ? { type: 'FeatureCollection', features: [f] } : EMPTY);
}

/** Flies to the alert's polygon (once it is known). */
function flyTo(ctx, id) {
  const f = featureOf(id);
  if (!f) return false;
  const bounds = ctx.boundsOf([f]);
  if (bounds) ctx.fitBounds(bounds, { maxZoom: f.properties.kind === 'cell' ? 15 : 14 });
  return Boolean(bounds);
}

// ---------------------------------------------------------------- panel

function optionsFor(select, entries, value) {
  select.replaceChildren(...entries.map(([v, label]) => el('option', { value: v, textContent: label })));
  select.value = entries.some(([v]) => v === value) ? value : entries[0][0];
  return select.value;
}

function renderFilters() {
  const list = [...alerts.values()].map((a) => a.props);
  const byStatus = countBy(list, (a) => a.status);
  filters.status = optionsFor($('alert-status'), [
    ...STATUSES.map((s) => [s, `${STATUS_LABELS[s]} (${fmtInt.format(byStatus.get(s) || 0)})`]),
    ['', `Any status (${fmtInt.format(list.length)})`],
  ], filters.status);
  const ofStatus = list.filter((a) => !filters.status || a.status === filters.status);
  const byPeriod = countBy(ofStatus, (a) => a.period);
  const periods = [...new Set(list.map((a) => a.period))].sort().reverse();
  filters.period = optionsFor($('alert-period'), [
    ['', 'All periods'],
    ...periods.map((p) => [p, `${monthLabel(p, 'long')} (${fmtInt.format(byPeriod.get(p) || 0)})`]),
  ], filters.period);
  const byType = countBy(ofStatus.filter((a) => !filters.period || a.period === filters.period), alertType);
  filters.type = optionsFor($('alert-type'), [
    ['', 'Both tests'],
    ...TYPES.map((t) => [t, `${TYPE_LABELS[t]} (${fmtInt.format(byType.get(t) || 0)})`]),
  ], filters.type);
}

function renderPanel(ctx) {
  renderFilters();
  const shown = filterAlerts([...alerts.values()].map((a) => a.props), filters);
  const newCount = [...fresh].filter((id) => alerts.has(id)).length;
  $('alerts-new').hidden = newCount === 0;
  $('alerts-new').textContent = `${fmtInt.format(newCount)} new`;
  const what = [filters.status ? STATUS_LABELS[filters.status].toLowerCase() : null, filters.type ? TYPE_LABELS[filters.type].toLowerCase() : null]
    .filter(Boolean).join(', ');
  $('alerts-count').textContent = failure ? ''
    : `${fmtInt.format(shown.length)} ${shown.length === 1 ? 'alert' : 'alerts'}${what ? ` (${what})` : ''}`
      + (filters.period ? ` for ${monthLabel(filters.period, 'long')}` : ', all periods');
  $('alerts-count').dataset.count = String(shown.length);
  if (failure) {
    $('alerts-list').replaceChildren(el('li', { className: 'note error', textContent: `Alerts unavailable. ${failure}` }));
    $('alerts-more').hidden = true;
    return;
  }
  const visible = showAll ? shown : shown.slice(0, LIST_LIMIT);
  // Live updates redraw the list: keep the keyboard focus on the alert it was on.
  const focused = document.activeElement?.closest?.('#alerts-list li')?.dataset.id ?? null;
  $('alerts-list').replaceChildren(...(visible.length ? visible.map((a) => alertItem(ctx, a))
    : [el('li', { className: 'note', textContent: loading && !alerts.size ? 'Loading…' : 'No alert matches these filters.' })]));
  if (focused !== null) [...$('alerts-list').children].find((li) => li.dataset.id === focused)?.querySelector('button')?.focus();
  $('alerts-more').hidden = shown.length <= LIST_LIMIT;
  $('alerts-more').textContent = showAll ? `Show the first ${LIST_LIMIT}` : `Show all ${fmtInt.format(shown.length)}`;
}

function alertItem(ctx, a) {
  const d = describeAlert(ctx.meta, a, { cellWard: cellWard(ctx, alerts.get(a.id)) });
  const isNew = fresh.has(a.id);
  const button = el('button', { type: 'button', className: 'alert-open', attrs: { 'aria-current': a.id === selectedId ? 'true' : null } },
    el('span', { className: 'alert-title' },
      isNew ? el('span', { className: 'alert-new', textContent: 'New' }) : null,
      isNew ? ' ' : null,
      d.title),
    el('span', { className: 'alert-where', textContent: d.where }),
    el('span', { className: 'alert-figures', textContent: `${d.figures} · ${d.evidence}` }),
    el('span', { className: 'alert-meta' },
      `${d.raised} · `,
      el('span', { className: `alert-status status-${a.status}`, textContent: a.status })));
  button.addEventListener('click', () => openAlert(ctx, a.id));
  return el('li', { className: `alert-item${isNew ? ' is-new' : ''}`, attrs: { 'data-id': a.id, 'data-type': d.type, 'data-status': a.status } }, button);
}

/** Opens an alert from the list: selects it (details card, highlight) and flies to it. */
async function openAlert(ctx, id) {
  fresh.delete(id);
  if (!ctx.isOn('alerts')) await ctx.setLayerVisible('alerts', true);
  const selecting = ctx.select(`alert:${id}`);
  redraw(ctx);
  // A live alert's polygon may still be on its way: fly once it is known.
  if (!flyTo(ctx, id) && loading) loading.then(() => flyTo(ctx, id));
  // Opened from a list (often by keyboard): take focus to the details so they are read out.
  $('detail-title').focus();
  await selecting;
}

function setupPanel(ctx) {
  for (const [id, key] of [['alert-status', 'status'], ['alert-period', 'period'], ['alert-type', 'type']]) {
    $(id).addEventListener('change', () => {
      filters[key] = $(id).value;
      showAll = false;
      renderPanel(ctx);
    });
  }
  $('alerts-more').addEventListener('click', () => {
    showAll = !showAll;
    renderPanel(ctx);
  });
  setupAckDialog(ctx);
}

// ---------------------------------------------------------------- acknowledging (needs the write token)

let ackTarget = null;

function setupAckDialog(ctx) {
  const dialog = $('ack-dialog');
  const form = $('ack-form');
  const clearSecrets = () => { $('ack-token').value = ''; };
  dialog.addEventListener('close', () => {
    clearSecrets();
    ackTarget = null;
  });
  $('ack-cancel').addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!ackTarget) return;
    // Read once, used for this request only: never stored, never put in the URL.
    const token = $('ack-token').value.trim();
    clearSecrets();
    if (!token) {
      $('ack-error').textContent = 'The write token is needed to change an alert.';
      $('ack-token').focus();
      return;
    }
    const id = ackTarget;
    const status = form.elements['ack-status'].value;
    const note = $('ack-note').value.trim();
    $('ack-error').textContent = '';
    $('ack-submit').setAttribute('aria-busy', 'true');
    try {
      const response = await fetch(`/api/alerts/${encodeURIComponent(id)}/ack`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(note ? { note, status } : { status }),
      });
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        const why = body?.error || `HTTP ${response.status}`;
        $('ack-error').textContent = response.status === 401 ? `Not accepted: ${why}. Check the token.` : `Not saved: ${why}.`;
        return;
      }
      const a = alerts.get(id);
      if (a) a.props = { ...a.props, status: body?.status || status, note: note || a.props.note };
      dialog.close();
      redraw(ctx);
      ctx.reloadDetail();
      reload(ctx);
    } catch {
      $('ack-error').textContent = 'Cannot reach the server.';
    } finally {
      $('ack-submit').removeAttribute('aria-busy');
    }
  });
}

function openAckDialog(ctx, id) {
  const a = alerts.get(id)?.props;
  if (!a) return;
  ackTarget = id;
  const d = describeAlert(ctx.meta, a);
  $('ack-what').textContent = `${d.title} · ${d.where}`;
  $('ack-note').value = a.note || '';
  $('ack-form').elements['ack-status'].value = a.status === 'acknowledged' ? 'closed' : 'acknowledged';
  $('ack-error').textContent = '';
  $('ack-token').value = '';
  $('ack-dialog').showModal();
  $('ack-note').focus();
}

// ---------------------------------------------------------------- the layer

export default {
  id: 'alerts',
  label: 'Alert areas',
  description: 'Outlines of the cells and wards with an open hotspot alert (any period); the list is under "Alerts".',
  defaultVisible: true,

  sources: () => ({
    alerts: { type: 'geojson', data: EMPTY },
    'alert-selected': { type: 'geojson', data: EMPTY },
  }),

  layers: () => [
    {
      slot: 'outline', id: 'alerts-casing', type: 'line', source: 'alerts',
      layout: { 'line-join': 'round' },
      paint: { 'line-color': CASING, 'line-width': ['case', ['boolean', ['get', 'fresh'], false], 6, 4.5], 'line-opacity': 0.9 },
    },
    {
      slot: 'outline', id: 'alerts-line', type: 'line', source: 'alerts',
      layout: { 'line-join': 'round' },
      paint: { 'line-color': LINE, 'line-width': ['case', ['boolean', ['get', 'fresh'], false], 3.5, 2.2] },
    },
    // The chosen alert: a thick blue line on a white edge, no fill (the cells' colours stay true).
    {
      slot: 'highlight', id: 'alert-selected-casing', type: 'line', source: 'alert-selected',
      layout: { 'line-join': 'round' },
      paint: { 'line-color': '#ffffff', 'line-width': 7.5 },
    },
    {
      slot: 'highlight', id: 'alert-selected-line', type: 'line', source: 'alert-selected',
      layout: { 'line-join': 'round' },
      paint: { 'line-color': SELECTED, 'line-width': 4.5 },
    },
  ],

  setup(ctx) {
    setupPanel(ctx);
  },

  // The alerts do not depend on the page's filters: loaded at start and after each change
  // of the data (a `data-version` event).
  async refresh(ctx, changed) {
    if (changed.has('init') || changed.has('data')) await reload(ctx);
  },

  events: {
    alert: receive,
  },

  legend(ctx) {
    const open = [...alerts.values()].filter((a) => a.props.status === 'open');
    const cells = open.filter((a) => a.props.kind === 'cell').length;
    const newOnes = open.filter((a) => fresh.has(a.props.id)).length;
    const wards = open.length - cells;
    const lines = [{
      colour: LINE, casing: CASING, width: 2.5,
      label: open.length ? `Open alert: ${fmtInt.format(cells)} ${cells === 1 ? 'cell' : 'cells'}, ${fmtInt.format(wards)} ${wards === 1 ? 'ward' : 'wards'}` : 'Open alert (none at present)',
    }];
    if (newOnes) lines.push({ colour: LINE, casing: CASING, width: 4, label: `New since the page opened: ${fmtInt.format(newOnes)}` });
    if (selectedId) lines.push({ colour: SELECTED, width: 4, label: 'Alert chosen in the list' });
    const method = 'a month’s count significantly above its trailing baseline (Benjamini–Hochberg across each month’s tests)';
    return {
      id: 'alerts',
      title: 'Alert areas',
      lines,
      notes: [`H3 cells (resolution 9) and wards with an open alert of any month: ${method}, or a cell turning into an emerging hot spot.`],
      status: failure ? 'Alerts unavailable.' : null,
    };
  },

  details: {
    alert: {
      async load(ctx, id) {
        if (!alerts.has(id) && loading) await loading;
        if (!alerts.has(id)) await reload(ctx);
        const entry = alerts.get(id);
        if (!entry) throw new Error(`No alert ${id} on the server (see the alerts list).`);
        const a = entry.props;
        const d = describeAlert(ctx.meta, a, { cellWard: cellWard(ctx, entry) });
        const { first, last } = ctx.meta.months;
        const pairs = [['category', a.category], ['from', first], ['to', last]];
        const data = a.kind === 'cell'
          ? await ctx.fetchJson(apiUrl(`/api/cells/${a.unit}`, pairs), `cell ${a.unit}`)
          : await ctx.fetchJson(apiUrl(`/api/wards/${a.unit}`, pairs), `ward ${wardName(ctx.meta, a.unit)}`);
        const canChange = a.status === 'open' || a.status === 'acknowledged';
        return {
          kind: `Alert · ${d.type === 'emerging' ? TYPE_LABELS.emerging : TYPE_LABELS.count}`,
          title: d.title,
          subtitle: d.where,
          mono: false,
          data,
          // The counts above are the alert's category over every month, whatever the filters.
          months: `${rangeLabel(first, last)}, ${categoryName(ctx.meta, a.category)}`,
          filters: null,
          facts: [
            ['Observed', fmtObserved(a)],
            ['Ratio', fmtRatio(a.ratio)],
            ...(d.type === 'count' ? [['p', fmtProbability(a.p)], ['q (FDR)', fmtProbability(a.q)]] : []),
            ['First raised', fmtFirstRaised(a.first_raised)],
            ['Status', a.status + (a.note ? ` — ${a.note}` : '')],
            ['Baseline', a.seasonality || '–'],
          ],
          note: a.method,
          actions: canChange ? [{ label: 'Acknowledge or close…', run: () => openAckDialog(ctx, id) }] : [],
        };
      },
      highlight: (ctx, id) => highlight(ctx, id),
    },
  },

  select(ctx, sel) {
    const id = sel?.startsWith('alert:') ? sel.slice(6) : null;
    for (const li of $('alerts-list').children) {
      const button = li.querySelector('button');
      if (!button) continue;
      if (id !== null && li.dataset.id === id) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
  },

  // A cell or ward chosen on the map: its alerts, whatever their status.
  detailFacts(ctx, sel) {
    const [kind, unit] = [sel.slice(0, sel.indexOf(':')), sel.slice(sel.indexOf(':') + 1)];
    if (kind !== 'cell' && kind !== 'ward') return [];
    return [...alerts.values()].map((a) => a.props)
      .filter((a) => a.kind === kind && a.unit === unit)
      .sort((x, y) => String(y.period).localeCompare(String(x.period)))
      .slice(0, 3)
      .map((a) => ['Alert', `${categoryName(ctx.meta, a.category)}, ${monthLabel(a.period)}: ${fmtObserved(a)} (${a.status})`]);
  },
};
