// Layer "H3 cells": incident density on the H3 grid, from the server's vector tiles.
// The colour classes are chosen once per selection (categories, flags and area) from the
// peak resolution-9 density over every month, hour and weekday in the data, so they hold at
// every zoom, resolution, month range and time-of-day filter, and while the month player runs.

import { apiUrl, queryString } from '../lib/api.js';
import { classLabels, ladderBreaks, MAGMA_8, stepExpression } from '../lib/scale.js';
import { filterPairs, scalePairs } from '../lib/state.js';
import { el, fmtInt, fmtRate } from '../lib/util.js';

const MINZOOM = 5;
const MAXZOOM = 18; // tiles are over-zoomed beyond this, so the grid stops refining
const REFERENCE_RES = 9;
const BREAKS = MAGMA_8.length - 1;

let breaks = ladderBreaks(300, BREAKS);
let scaleGeneration = 0;

const tileUrl = (ctx) => `${location.origin}/tiles/cells/{z}/{x}/{y}?${queryString(filterPairs(ctx.state, { res: true }))}`;
// Public map: a cell whose count is withheld (fewer than 5, or one that would reveal such a
// count) carries `withheld` and no count; it is drawn grey.
const WITHHELD = '#b8b8b8';
const fillColour = () => ['case', ['has', 'withheld'], WITHHELD, stepExpression('density_per_km2_month', breaks, MAGMA_8)];
const isPublic = (ctx) => ctx.meta.disclosure?.role === 'public';

/** The peak density of the selection at the reference resolution, over all months, hours and weekdays. */
async function selectionPeak(ctx) {
  // The hotspot list is partner data: the public map keeps the default classes.
  if (isPublic(ctx)) return 300;
  const pairs = [['method', 'count'], ['res', String(REFERENCE_RES)], ['limit', '1'], ...scalePairs(ctx.meta, ctx.state)];
  const body = await ctx.fetchJson(apiUrl('/api/hotspots', pairs), 'the colour classes');
  return Number(body.features?.[0]?.properties?.density_per_km2_month) || 0;
}

function popupNode(ctx, p) {
  const known = new Map(ctx.meta.categories.map((c) => [c.property || `count_${c.slug.replaceAll('-', '_')}`, c.name]));
  const byCategory = Object.entries(p)
    .filter(([k, v]) => k.startsWith('count_') && Number(v) > 0)
    .map(([k, v]) => [known.get(k) || k.slice(6).replaceAll('_', ' '), Number(v)])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const row = (k, v) => el('tr', {}, el('th', { scope: 'row', textContent: k }), el('td', { textContent: v }));
  if (p.withheld !== undefined) {
    const k = ctx.meta.disclosure?.k ?? 5;
    return el('div', { className: 'map-popup' },
      el('p', { className: 'popup-kind', textContent: `H3 cell · resolution ${p.res}` }),
      el('p', { className: 'popup-id', textContent: String(p.h3) }),
      el('p', { className: 'popup-count', attrs: { 'data-testid': 'popup-withheld' }, textContent: `Count withheld: fewer than ${k}, or it would reveal one that is.` }));
  }
  return el('div', { className: 'map-popup' },
    el('p', { className: 'popup-kind', textContent: `H3 cell · resolution ${p.res}` }),
    el('p', { className: 'popup-id', textContent: String(p.h3) }),
    el('p', { className: 'popup-count' }, el('strong', { attrs: { 'data-testid': 'popup-count' }, textContent: fmtInt.format(Number(p.count)) }), ' incidents'),
    el('p', { className: 'popup-rate', textContent: `${fmtRate(Number(p.density_per_km2_month))} per km² per month` }),
    byCategory.length > 1 ? el('table', {}, byCategory.map(([name, n]) => row(name, fmtInt.format(n)))) : null);
}

export default {
  id: 'cells',
  label: 'H3 cells',
  description: 'Incident density on the H3 hexagon grid; the resolution follows the zoom unless pinned.',
  defaultVisible: true,
  // With no category ticked there is nothing to ask the server for.
  available: (ctx) => ctx.state.categories.length > 0,

  sources: (ctx) => ({
    cells: {
      type: 'vector',
      tiles: [tileUrl(ctx)],
      tileSize: 512,
      minzoom: MINZOOM,
      maxzoom: MAXZOOM,
      // H3 ids exceed 2^53, so they travel as a string property, never as the feature id.
      promoteId: { cells: 'h3' },
    },
  }),

  layers: () => [
    {
      slot: 'data', id: 'cells-fill', type: 'fill', source: 'cells', 'source-layer': 'cells',
      paint: {
        'fill-color': fillColour(),
        'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 0.95, 0.78],
      },
    },
    {
      slot: 'data', id: 'cells-line', type: 'line', source: 'cells', 'source-layer': 'cells',
      paint: {
        'line-color': 'rgba(50, 25, 60, 0.35)',
        'line-width': ['interpolate', ['linear'], ['zoom'], 6, 0.2, 12, 0.5, 16, 1],
      },
    },
    {
      slot: 'highlight', id: 'cells-selected', type: 'line', source: 'cells', 'source-layer': 'cells',
      filter: ['==', ['get', 'h3'], ''],
      paint: { 'line-color': '#0b57d0', 'line-width': 3.5 },
    },
  ],

  setup(ctx) {
    const { map } = ctx;
    let hovered = null;
    const setHover = (id, on) => id !== null && map.setFeatureState({ source: 'cells', sourceLayer: 'cells', id }, { hover: on });
    map.on('mousemove', 'cells-fill', (e) => {
      const id = e.features[0]?.id ?? null;
      if (id === hovered) return;
      setHover(hovered, false);
      hovered = id;
      setHover(hovered, true);
    });
    map.on('mouseleave', 'cells-fill', () => { setHover(hovered, false); hovered = null; });
  },

  async refresh(ctx, changed) {
    if (!ctx.state.categories.length) return;
    const { map } = ctx;
    if (['init', 'categories', 'flags', 'area'].some((k) => changed.has(k))) {
      const generation = ++scaleGeneration;
      const peak = await selectionPeak(ctx);
      if (generation !== scaleGeneration) return; // a newer selection is on its way
      breaks = ladderBreaks(peak, BREAKS);
      map.setPaintProperty('cells-fill', 'fill-color', fillColour());
    }
    // Change the tiles only once the classes for the new selection are in place. New data
    // (a live write: 'data') reload the same tiles; the classes stay as they are, so colours
    // keep their meaning while the page is open.
    if (['init', 'categories', 'months', 'time', 'flags', 'area', 'res', 'data'].some((k) => changed.has(k))) {
      map.getSource('cells').setTiles([tileUrl(ctx)]);
    }
  },

  legend(ctx) {
    const labels = classLabels(breaks);
    const zoom = ctx.map.getZoom();
    let status;
    if (!ctx.state.categories.length) status = 'No category selected.';
    else if (zoom < MINZOOM) status = `Zoom in to see cells (from zoom ${MINZOOM}).`;
    else if (ctx.state.res !== null) status = `H3 resolution ${ctx.state.res} (pinned)`;
    else status = `H3 resolution ${ctx.displayedRes()} at zoom ${Math.floor(zoom)}`;
    const classes = MAGMA_8.map((colour, i) => ({ colour, label: labels[i] })).reverse();
    const notes = ['Fixed classes for this selection: the same at every zoom, resolution and month.'];
    if (isPublic(ctx)) {
      const k = ctx.meta.disclosure?.k ?? 5;
      classes.push({ colour: WITHHELD, label: `Fewer than ${k} (withheld)` });
      notes.push(`Public view: counts under ${k} are withheld, and so is any count that would reveal one; finest cells at resolution ${ctx.meta.disclosure?.max_resolution ?? 9} (violence and sexual offences: ${ctx.meta.disclosure?.max_sensitive_resolution ?? 7}).`);
    }
    return {
      id: 'cells',
      title: 'H3 cells',
      unit: 'Incidents per km² per month',
      classes,
      notes,
      status,
    };
  },

  click: {
    priority: 30,
    layers: ['cells-fill'],
    handle: (ctx, feature) => ({ sel: `cell:${feature.properties.h3}`, popup: popupNode(ctx, feature.properties) }),
  },

  details: {
    cell: {
      async load(ctx, h3) {
        const data = await ctx.fetchJson(apiUrl(`/api/cells/${h3}`, filterPairs(ctx.state)), `cell ${h3}`);
        const top = data.top_locations?.[0]?.location;
        return {
          kind: `H3 cell · resolution ${data.res}`,
          title: h3,
          mono: true,
          subtitle: top ? `Busiest point: ${top}` : null,
          data,
        };
      },
      popup: (ctx, data) => popupNode(ctx, { ...data, ...Object.fromEntries((data.by_category || []).map((c) => [`count_${c.slug.replaceAll('-', '_')}`, c.count])) }),
      highlight(ctx, h3) {
        ctx.map.setFilter('cells-selected', ['==', ['get', 'h3'], h3 || '']);
      },
    },
  },

  exports: [
    { label: 'Cells CSV', format: 'csv' },
    { label: 'Cells GeoJSON', format: 'geojson' },
  ].map(({ label, format }) => ({
    label,
    description: `Every cell with incidents in the selection at the resolution on screen, as ${format === 'csv' ? 'CSV' : 'GeoJSON'}`,
    async run(ctx) {
      if (!ctx.state.categories.length) throw new Error('Tick at least one category to export cells.');
      const res = ctx.displayedRes();
      const pairs = [['method', 'count'], ['res', String(res)], ['limit', '10000'], ...filterPairs(ctx.state)];
      if (format === 'csv') pairs.push(['format', 'csv']);
      const blob = await ctx.fetchBlob(apiUrl('/api/hotspots', pairs), 'the cells export');
      return { blob, filename: `${ctx.fileStem('cells')}-res${res}.${format}` };
    },
  })),
};
