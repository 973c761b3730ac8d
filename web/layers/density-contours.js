// Layer "Density contours": the kernel density surface as isobands, vector tiles from the
// server (/tiles/density-contours/{z}/{x}/{y}?<filters>, source layer `density_contours`).
// Off by default. Each polygon is the area where the density lies in one legend class:
// `class` 1…7 from the first break upwards (nothing is drawn below the first break), with
// `lower_per_km2_month`, `upper_per_km2_month` (absent for the top class) and `label`
// ("100–300", "≥ 300"). The classes and colours are the kernel density raster's (fixed
// breaks, reversed magma), so the two layers read alike: translucent fills, and outlines in
// the class colour. The TileJSON (/tiles/density-contours?<filters>) gives the tile template,
// the breaks and the kernel's parameters; its first request for a selection computes the
// surface (a few seconds), which the server caches for both density layers.

import { classLabels, MAGMA_8, stepExpression } from '../lib/scale.js';
import { tileJsonSource } from '../lib/tilejson-source.js';
import { el } from '../lib/util.js';
import { DENSITY_UNIT, densityBreaks, surfaceNotes } from './density.js';

const SOURCE = 'density-contours';
const SOURCE_LAYER = 'density_contours';
// The bands come from a grid of tens of metres: finer tiles than this add nothing, so
// MapLibre over-zooms them.
const MAXZOOM = 16;
const FILL_OPACITY = 0.22;
const FILL_OPACITY_HOVER = 0.45;
// Class k (1…7) takes the raster's colour for the same class, MAGMA_8[k].
const CLASS_STEPS = MAGMA_8.slice(1).map((_, i) => i + 1);
const classColour = () => stepExpression('class', CLASS_STEPS, MAGMA_8);


const source = tileJsonSource({ layerId: 'density-contours', sourceId: SOURCE, path: '/tiles/density-contours', what: 'the density contours' });
const fallbackTiles = source.fallbackTiles;

function popupNode(p) {
  const cls = Math.round(Number(p.class));
  const colour = MAGMA_8[cls] ?? MAGMA_8.at(-1);
  const label = String(p.label ?? '');
  return el('div', { className: 'map-popup stat-popup' },
    el('p', { className: 'popup-kind', textContent: 'Kernel density contour band' }),
    el('p', { className: 'popup-stat' },
      el('span', { className: 'swatch', style: `background:${colour}`, attrs: { 'aria-hidden': 'true' } }),
      el('strong', { attrs: { 'data-testid': 'popup-band' }, textContent: label })),
    el('p', { className: 'popup-rate', textContent: DENSITY_UNIT }),
    el('p', { className: 'popup-explain', textContent: 'The smoothed density here lies in this legend class.' }));
}

export default {
  id: 'density-contours',
  label: 'Density contours',
  description: 'The kernel density surface as bands between the legend’s classes, with their outlines (incidents per km² per month).',
  defaultVisible: false,
  available: (ctx) => ctx.state.categories.length > 0,

  sources: (ctx) => ({
    [SOURCE]: {
      type: 'vector',
      // Replaced by the TileJSON's template before the layer is first shown (no fetch while hidden).
      tiles: [fallbackTiles(ctx)],
      minzoom: 0,
      maxzoom: MAXZOOM,
      // One id per class, so hovering a band lights up every polygon of that class.
      promoteId: { [SOURCE_LAYER]: 'class' },
    },
  }),

  layers: () => [
    {
      slot: 'data', id: 'density-contours-fill', type: 'fill', source: SOURCE, 'source-layer': SOURCE_LAYER,
      paint: {
        'fill-color': classColour(),
        'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], FILL_OPACITY_HOVER, FILL_OPACITY],
      },
    },
    // Above the cells, so the isolines show through them. A band's outline is both its lower
    // isoline and (its holes) its upper one; the sort key draws the higher class last, so
    // each isoline takes the colour of the class it opens.
    {
      slot: 'outline', id: 'density-contours-line', type: 'line', source: SOURCE, 'source-layer': SOURCE_LAYER,
      layout: { 'line-join': 'round', 'line-sort-key': ['to-number', ['get', 'class'], 0] },
      paint: {
        'line-color': classColour(),
        'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 14, 1.8, 17, 2.5],
        'line-opacity': 0.95,
      },
    },
  ],

  setup(ctx) {
    const { map } = ctx;
    let hovered = null;
    const setHover = (id, on) => id !== null && map.setFeatureState({ source: SOURCE, sourceLayer: SOURCE_LAYER, id }, { hover: on });
    map.on('mousemove', 'density-contours-fill', (e) => {
      const id = e.features[0]?.id ?? null;
      if (id === hovered) return;
      setHover(hovered, false);
      hovered = id;
      setHover(hovered, true);
    });
    map.on('mouseleave', 'density-contours-fill', () => { setHover(hovered, false); hovered = null; });
  },

  refresh: (ctx, changed) => source.refresh(ctx, changed),

  legend(ctx) {
    const { tilejson, failure, loading } = source.state;
    const breaks = densityBreaks(tilejson);
    const labels = classLabels(breaks);
    let status = null;
    if (!ctx.state.categories.length) status = 'No category selected.';
    else if (failure) status = 'Density contours unavailable.';
    else if (loading || !tilejson) status = 'Computing the density surface…';
    const notes = [`Bands between the kernel density classes; below ${labels[0].replace('< ', '')} no band is drawn.`];
    if (tilejson && !loading) notes.push(...surfaceNotes(tilejson));
    notes.push('Fixed classes: the same for every selection, zoom and month.');
    return {
      id: 'density-contours',
      title: 'Density contours',
      unit: tilejson?.unit || DENSITY_UNIT,
      // Classes 1…7 (class 0, below the first break, has no band), top class first.
      classes: CLASS_STEPS.map((c) => ({ colour: MAGMA_8[c], label: labels[c] })).reverse(),
      notes,
      status,
    };
  },

  // Below the cells (30) and the statistics, above ward density (20) and ward outlines (10),
  // as drawn. A band has no details card: the click shows its popup only.
  click: {
    priority: 25,
    layers: ['density-contours-fill'],
    handle: (ctx, feature) => ({ popup: popupNode(feature.properties) }),
  },
};
