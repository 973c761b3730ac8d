// Layer "Clusters (DBSCAN)": the server's DBSCAN clusters of the selection as vector tiles
// (/tiles/clusters/{z}/{x}/{y}?<filters>&method=dbscan&eps_m=100&min_points=10, source layer
// `clusters`): each cluster's convex hull, filled lightly and outlined, with properties
// `cluster` (rank, 1 = most incidents), `count`, `core_count`, `share`, `area_km2` and
// `buffered_m` (hulls of incidents on one spot or a line are drawn as a 10 m buffer). Off by
// default. The TileJSON (/tiles/clusters?<same>) gives the tile template and the clustering's
// figures (clusters, clustered, noise, eps_m, min_points) for the legend; its first request
// for a selection runs the clustering (well under a second on the shipped data), which the
// server then caches.

import { tileJsonSource } from '../lib/tilejson-source.js';
import { el, fmt1, fmtInt } from '../lib/util.js';

const SOURCE = 'clusters';
const SOURCE_LAYER = 'clusters';
const EPS_M = 100;
const MIN_POINTS = 10;
const FILL = '#1b9e77';
const LINE = '#0b4f3c';
// Outlines are convex hulls of incidents: finer tiles than this add nothing.
const MAXZOOM = 16;

const source = tileJsonSource({
  layerId: 'clusters',
  sourceId: SOURCE,
  path: '/tiles/clusters',
  what: 'the clusters',
  params: [['method', 'dbscan'], ['eps_m', String(EPS_M)], ['min_points', String(MIN_POINTS)]],
});

const pct = (share) => `${fmt1.format(100 * Number(share))} %`;

/** "eps 100 m · min points 10" from the TileJSON (the server's values), else the layer's own. */
export function parametersLine(tilejson) {
  const eps = Number(tilejson?.eps_m ?? EPS_M);
  const min = Number(tilejson?.min_points ?? MIN_POINTS);
  return `eps ${fmtInt.format(eps)} m · min points ${fmtInt.format(min)}`;
}

function popupNode(p) {
  const core = p.core_count !== undefined ? ` (${fmtInt.format(p.core_count)} core)` : '';
  const area = Number(p.buffered_m) > 0
    ? `incidents on one spot or line (drawn ${fmtInt.format(p.buffered_m)} m wide)`
    : `hull ${Number(p.area_km2).toFixed(3)} km²`;
  return el('div', { className: 'map-popup' },
    el('p', { className: 'popup-kind', textContent: 'DBSCAN cluster' }),
    el('p', { className: 'popup-name', attrs: { 'data-testid': 'popup-cluster' }, textContent: `Cluster ${p.cluster}` }),
    el('p', { className: 'popup-count' },
      el('strong', { attrs: { 'data-testid': 'popup-cluster-count' }, textContent: fmtInt.format(p.count) }),
      ` incidents${core}, ${pct(p.share)} of the selection`),
    el('p', { className: 'popup-rate', textContent: area }));
}

export default {
  id: 'clusters',
  label: 'Clusters (DBSCAN)',
  description: `Where incidents cluster by DBSCAN (${EPS_M} m, ${MIN_POINTS} incidents): each cluster's outline (convex hull).`,
  defaultVisible: false,
  available: (ctx) => ctx.state.categories.length > 0,

  sources: (ctx) => ({
    [SOURCE]: {
      type: 'vector',
      // Replaced by the TileJSON's template before the layer is first shown (no fetch while hidden).
      tiles: [source.fallbackTiles(ctx)],
      minzoom: 0,
      maxzoom: MAXZOOM,
    },
  }),

  layers: () => [
    {
      slot: 'data', id: 'clusters-fill', type: 'fill', source: SOURCE, 'source-layer': SOURCE_LAYER,
      paint: { 'fill-color': FILL, 'fill-opacity': 0.28 },
    },
    {
      slot: 'outline', id: 'clusters-line', type: 'line', source: SOURCE, 'source-layer': SOURCE_LAYER,
      layout: { 'line-join': 'round' },
      paint: { 'line-color': LINE, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1.2, 15, 2.5] },
    },
  ],

  refresh: (ctx, changed) => source.refresh(ctx, changed),

  legend(ctx) {
    const { tilejson, failure, loading } = source.state;
    let status = null;
    if (!ctx.state.categories.length) status = 'No category selected.';
    else if (failure) status = 'Clusters unavailable.';
    else if (loading || !tilejson) status = 'Finding the clusters…';
    const ready = tilejson && !loading && !failure;
    const notes = [
      parametersLine(tilejson),
      `A core incident has at least ${fmtInt.format(Number(tilejson?.min_points ?? MIN_POINTS))} incidents within `
        + `${fmtInt.format(Number(tilejson?.eps_m ?? EPS_M))} m (itself included); core incidents within that distance `
        + 'of each other form one cluster, with the incidents they reach.',
    ];
    if (ready) notes.push(`${fmtInt.format(tilejson.noise)} incidents are in no cluster (noise).`);
    return {
      id: 'clusters',
      title: 'Clusters (DBSCAN)',
      unit: ready
        ? `${fmtInt.format(tilejson.clusters)} clusters · ${fmtInt.format(tilejson.clustered)} of ${fmtInt.format(tilejson.incidents)} incidents (${pct(tilejson.clustered_share)})`
        : 'incidents in clusters',
      classes: [{ colour: FILL, label: 'Cluster (convex hull of its incidents)' }],
      notes,
      status,
    };
  },

  // Above the cells (30): with the layer on, a click inside a cluster tells about the cluster.
  click: {
    priority: 31,
    layers: ['clusters-fill'],
    handle: (ctx, feature) => ({ popup: popupNode(feature.properties) }),
  },
};
