// Hotspot statistics layers (Gi*, local Moran's I, emerging hot spots): one factory shared by
// layers/gistar.js, layers/moran.js and layers/emerging.js.
//
// Each layer has its own vector source, /tiles/cells/{z}/{x}/{y}?method=…&k=…&<filters>, which
// carries EVERY cell of the study area (empty ones included) with the statistic's properties.
// The resolution follows the zoom exactly as for the H3 cells layer (or the pinned one). The
// classes are the server's: significance bins, cluster types or Esri's patterns, never
// breaks chosen from the data in view, so the colours mean the same everywhere.
//
// For the legend each layer asks /api/hotspots?method=…&limit=1 for the class counts of the
// resolution on screen (that request also starts the computation, which at a fine
// resolution can take a while the first time; the server caches it).

import { apiUrl, queryString } from './api.js';
import { filterPairs } from './state.js';
import { el, fmtInt } from './util.js';

/** Statistics follow the zoom only up to this resolution (the server caps its tiles the same
 * way: finer study areas take minutes for permutations); a pinned resolution is kept. */
const MAX_AUTO_STAT_RES = 10;
const statRes = (ctx) => (ctx.state.res !== null ? ctx.state.res : Math.min(ctx.displayedRes(), MAX_AUTO_STAT_RES));


export const K_VALUES = [1, 2, 3];
/** Cells in the k ring around a cell (the cell itself excluded): 6, 18, 36. */
export const neighbours = (k) => 3 * k * (k + 1);
export const TRANSPARENT = 'rgba(0, 0, 0, 0)';
const MINZOOM = 5;
const MAXZOOM = 18; // as the H3 cells layer: over-zoomed beyond this
const FEW_CELLS = 30; // below this many study-area cells the statistics say little

// ---------------------------------------------------------------- formatting
const fix2 = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
/** A statistic: two decimals with a real minus sign, or '–' when absent (NaN is sent as null). */
export const fmtStat = (x) => (x === null || x === undefined || !Number.isFinite(Number(x)) ? '–' : fix2.format(Number(x)).replace('-', '−'));
/** A p value alone: "< 0.001" or "0.042". */
export function fmtPValue(p) {
  if (p === null || p === undefined || !Number.isFinite(Number(p))) return '–';
  const v = Number(p);
  return v < 0.001 ? '< 0.001' : v.toFixed(3);
}
/** A p value in a sentence: "p < 0.001" or "p = 0.042". */
export const fmtP = (p) => (fmtPValue(p).startsWith('<') || fmtPValue(p) === '–' ? `p ${fmtPValue(p)}` : `p = ${fmtPValue(p)}`);

// ---------------------------------------------------------------- the factory
/**
 * A registry entry for one statistic. `spec`:
 *   id, method, label, description, title, unit, priority (clicks), kindLabel (popup),
 *   fillColour: MapLibre expression, significant: expression (true when the cell is in a class),
 *   legendClasses(classes, summary): [{ colour, label, count }]  (classes: the server's counts or null),
 *   notes(ctx, summary): [string], popupRows(p): [[label, value]], headline(p): { colour, text },
 *   facts(p): [[label, value]] for the details card.
 */
export function statLayer(spec) {
  const { id, method } = spec;
  const source = `stats-${id}`;
  const fill = `${id}-fill`;
  const line = `${id}-line`;
  const selected = `${id}-selected`;

  let summary = null; // the /api/hotspots?limit=1 answer for `summaryKey`
  let summaryKey = null;
  let pendingKey = null;
  let failure = null;
  let generation = 0;

  const tileUrl = (ctx) => `${location.origin}/tiles/cells/{z}/{x}/{y}?${queryString(
    [['method', method], ['k', String(ctx.state.k)], ...filterPairs(ctx.state, { res: true })])}`;
  const keyOf = (ctx) => JSON.stringify([filterPairs(ctx.state), statRes(ctx), ctx.state.k]);

  /** Fetches the class counts for what is on screen, once per selection, resolution and k. */
  async function loadSummary(ctx) {
    if (!ctx.isOn(id) || !ctx.state.categories.length || ctx.map.getZoom() < MINZOOM) return;
    const key = keyOf(ctx);
    if (key === summaryKey || key === pendingKey) return;
    const gen = ++generation;
    pendingKey = key;
    failure = null;
    ctx.updateLegend();
    const res = statRes(ctx);
    try {
      const pairs = [['method', method], ['res', String(res)], ['k', String(ctx.state.k)], ['limit', '1'], ...filterPairs(ctx.state)];
      const body = await ctx.fetchJson(apiUrl('/api/hotspots', pairs), `the ${spec.label} statistics`);
      if (gen !== generation) return;
      summary = body;
      summaryKey = key;
    } catch (err) {
      if (gen === generation) failure = err.message;
    } finally {
      if (gen === generation) {
        pendingKey = null;
        ctx.updateLegend();
      }
    }
  }

  /** The statistic's properties of cell `h3` from the tiles loaded, or null. */
  function cellProperties(ctx, h3) {
    if (!ctx.map.getSource(source)) return null;
    const found = ctx.map.querySourceFeatures(source, { sourceLayer: 'cells', filter: ['==', ['get', 'h3'], h3] });
    return found[0]?.properties ?? null;
  }

  function popupNode(ctx, p) {
    const head = spec.headline(p);
    const row = (k, v) => el('tr', {}, el('th', { scope: 'row', textContent: k }), el('td', { textContent: v }));
    return el('div', { className: 'map-popup stat-popup' },
      el('p', { className: 'popup-kind', textContent: `${spec.kindLabel} · H3 resolution ${p.res}` }),
      el('p', { className: 'popup-id', textContent: String(p.h3) }),
      el('p', { className: 'popup-stat', attrs: { 'data-testid': 'popup-stat' } },
        el('span', { className: head.colour === TRANSPARENT ? 'swatch empty' : 'swatch', style: `background:${head.colour}`, attrs: { 'aria-hidden': 'true' } }),
        el('strong', { textContent: head.text })),
      head.explain ? el('p', { className: 'popup-explain', textContent: head.explain }) : null,
      el('table', {}, [...spec.popupRows(p), ['Incidents', fmtInt.format(Number(p.count) || 0)], ['Neighbourhood', `k = ${ctx.state.k}`]]
        .map(([k, v]) => row(k, v))));
  }

  return {
    id,
    label: spec.label,
    description: spec.description,
    defaultVisible: false,
    available: (ctx) => ctx.state.categories.length > 0,

    sources: (ctx) => ({
      [source]: {
        type: 'vector',
        tiles: [tileUrl(ctx)],
        tileSize: 512,
        minzoom: MINZOOM,
        maxzoom: MAXZOOM,
        promoteId: { cells: 'h3' },
      },
    }),

    layers: () => [
      {
        slot: 'data', id: fill, type: 'fill', source, 'source-layer': 'cells',
        paint: {
          'fill-color': spec.fillColour,
          'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 0.97, 0.82],
        },
      },
      {
        // A faint outline on every tested cell shows the study area; classed cells get a firmer edge.
        slot: 'data', id: line, type: 'line', source, 'source-layer': 'cells',
        paint: {
          'line-color': ['case', ['boolean', ['feature-state', 'hover'], false], 'rgba(20, 30, 40, 0.9)',
            spec.significant, 'rgba(70, 35, 30, 0.4)', 'rgba(70, 85, 100, 0.2)'],
          'line-width': ['interpolate', ['linear'], ['zoom'],
            ...[[8, 0.2], [12, 0.45], [16, 0.9]].flatMap(([z, w]) => [z, ['case', ['boolean', ['feature-state', 'hover'], false], 1.6, w]])],
        },
      },
      {
        slot: 'highlight', id: selected, type: 'line', source, 'source-layer': 'cells',
        filter: ['==', ['get', 'h3'], ''],
        paint: { 'line-color': '#0b57d0', 'line-width': 3.5 },
      },
    ],

    setup(ctx) {
      const { map } = ctx;
      let hovered = null;
      const setHover = (h3, on) => h3 !== null && map.setFeatureState({ source, sourceLayer: 'cells', id: h3 }, { hover: on });
      map.on('mousemove', fill, (e) => {
        const h3 = e.features[0]?.id ?? null;
        if (h3 === hovered) return;
        setHover(hovered, false);
        hovered = h3;
        setHover(hovered, true);
      });
      map.on('mouseleave', fill, () => { setHover(hovered, false); hovered = null; });
      // The automatic resolution changes with the zoom: the legend's counts follow it.
      map.on('moveend', () => { loadSummary(ctx); });
    },

    async refresh(ctx, changed) {
      if (!ctx.state.categories.length) return;
      if (changed.has('data')) summaryKey = null; // new data: the class counts are asked again
      if (['init', 'categories', 'months', 'time', 'flags', 'area', 'res', 'k', 'data'].some((k) => changed.has(k))) {
        ctx.map.getSource(source).setTiles([tileUrl(ctx)]);
      }
      await loadSummary(ctx);
    },

    legend(ctx) {
      const zoom = ctx.map.getZoom();
      const res = statRes(ctx);
      const current = summaryKey === keyOf(ctx) ? summary : null;
      let status;
      if (!ctx.state.categories.length) status = 'No category selected.';
      else if (zoom < MINZOOM) status = `Zoom in to see cells (from zoom ${MINZOOM}).`;
      else if (failure) status = `Statistics unavailable: ${failure}`;
      else if (!current) status = `Computing at H3 resolution ${res}… (the first time at a resolution can take a while)`;
      else {
        const n = Number(current.study_area_cells) || 0;
        status = `H3 resolution ${res}${ctx.state.res === null ? '' : ' (pinned)'} · k = ${ctx.state.k} · ${fmtInt.format(n)} cells tested`;
        if (n < FEW_CELLS) status += ': too few for a reliable result, zoom in';
      }
      return {
        id,
        title: spec.title,
        unit: typeof spec.unit === 'function' ? spec.unit(ctx, current) : spec.unit,
        classes: spec.legendClasses(current?.classes ?? null, current),
        notes: spec.notes(ctx, current),
        status,
      };
    },

    click: {
      priority: spec.priority,
      layers: [fill],
      handle: (ctx, feature) => ({ sel: `cell:${feature.properties.h3}`, popup: popupNode(ctx, feature.properties) }),
    },

    select(ctx, sel) {
      const h3 = sel?.startsWith('cell:') ? sel.slice(5) : '';
      ctx.map.setFilter(selected, ['==', ['get', 'h3'], h3]);
    },

    detailFacts(ctx, sel) {
      if (!sel?.startsWith('cell:')) return [];
      const p = cellProperties(ctx, sel.slice(5));
      return p ? spec.facts(p, ctx) : [];
    },
  };
}

/** Legend rows from `defs` ([{ key, colour, label }]) with the server's `classes` counts. */
export function classRows(defs, classes) {
  return defs.map((d) => ({
    colour: d.colour,
    label: d.label,
    count: classes ? fmtInt.format(Number(classes[d.key]) || 0) : null,
  }));
}
