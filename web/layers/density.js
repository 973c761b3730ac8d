// Layer "Kernel density": the server's kernel density surface as raster tiles
// (/tiles/density/{z}/{x}/{y}?<filters>). Off by default. The server colours each pixel (the
// mean density over its footprint) on FIXED classes, the TileJSON's `legend_breaks`, in the same
// reversed-magma ramp as the H3 cells, so the legend is built from the TileJSON
// (/tiles/density?<filters>), which also states the kernel, bandwidth and cell size. The first
// TileJSON request for a selection computes the surface (a few seconds); the server caches it.

import { classLabels, MAGMA_8 } from '../lib/scale.js';
import { tileJsonSource } from '../lib/tilejson-source.js';
import { fmt1, fmtRate } from '../lib/util.js';

// The server's fixed class breaks (the TileJSON's `legend_breaks`) until a TileJSON says
// otherwise; with MAGMA_8 (lib/scale.js) they make the classes of the raster and of the
// `density-contours` isobands (layers/density-contours.js).
export const DENSITY_BREAKS = [0.3, 1, 3, 10, 30, 100, 300];
export const DENSITY_UNIT = 'incidents per km² per month';
export const DENSITY_OPACITY = 0.85;

const source = tileJsonSource({ layerId: 'density', sourceId: 'density', path: '/tiles/density', what: 'the kernel density surface' });
const fallbackTiles = source.fallbackTiles;
const metres = (m) => `${fmt1.format(Number(m))} m`;
/** "ArcGIS default: 0.9·min(…)…" → "ArcGIS default". */
const ruleName = (rule) => (typeof rule === 'string' && rule ? rule.split(':')[0].trim() : null);
const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** The class breaks of a density TileJSON (`legend_breaks`), or the fixed defaults. */
export const densityBreaks = (tilejson) => (Array.isArray(tilejson?.legend_breaks) && tilejson.legend_breaks.length === MAGMA_8.length - 1
  ? tilejson.legend_breaks : DENSITY_BREAKS);

/** Legend notes describing the surface of a density TileJSON: kernel, bandwidth, cell size, peak, warning. */
export function surfaceNotes(tilejson) {
  const bw = [metres(tilejson.bandwidth_m), ruleName(tilejson.bandwidth_rule)].filter(Boolean).join(', ');
  const cell = [metres(tilejson.cell_size_m), ruleName(tilejson.cell_size_rule)].filter(Boolean).join(', ');
  const notes = [
    `${capitalise(String(tilejson.kernel || 'quartic'))} kernel · bandwidth ${bw} · cell size ${cell}.`,
    `Peak ${fmtRate(Number(tilejson.peak_density_per_km2_month))} per km² per month; `
      + `${Number(tilejson.incidents).toLocaleString('en-GB')} incidents over ${tilejson.months} month${tilejson.months === 1 ? '' : 's'}.`,
  ];
  if (tilejson.warning) notes.push(`Warning: ${tilejson.warning}`);
  return notes;
}

export default {
  id: 'density',
  label: 'Kernel density',
  description: 'A smooth surface of incidents per km² per month (kernel density estimate), drawn beneath the cells.',
  defaultVisible: false,
  available: (ctx) => ctx.state.categories.length > 0,

  sources: (ctx) => ({
    density: {
      type: 'raster',
      // Replaced by the TileJSON's template before the layer is first shown (no fetch while hidden).
      tiles: [fallbackTiles(ctx)],
      tileSize: 256,
      minzoom: 0,
      maxzoom: 22,
    },
  }),

  layers: () => [
    {
      slot: 'data', id: 'density-raster', type: 'raster', source: 'density',
      paint: { 'raster-opacity': DENSITY_OPACITY, 'raster-fade-duration': 0 },
    },
  ],

  refresh: (ctx, changed) => source.refresh(ctx, changed),

  legend(ctx) {
    const { tilejson, failure, loading } = source.state;
    const labels = classLabels(densityBreaks(tilejson));
    const notes = [];
    let status = null;
    if (!ctx.state.categories.length) status = 'No category selected.';
    else if (failure) status = 'Density surface unavailable.';
    else if (loading || !tilejson) status = 'Computing the density surface…';
    if (tilejson && !loading) notes.push(...surfaceNotes(tilejson));
    notes.push('Fixed classes: the same for every selection, zoom and month.');
    return {
      id: 'density',
      title: 'Kernel density',
      unit: tilejson?.unit || DENSITY_UNIT,
      classes: MAGMA_8.map((colour, i) => ({ colour, label: labels[i] })).reverse(),
      notes,
      status,
    };
  },
};
