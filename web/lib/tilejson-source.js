// A layer whose tiles come from the server's TileJSON for the current filters (the density
// raster and its contours): the TileJSON is fetched only while the layer is shown, once per
// filter set (again after new data), an answer for an older selection is dropped, and the
// source's tiles are pointed at the template the TileJSON gives.

import { apiUrl } from './api.js';
import { filterPairs } from './state.js';

/**
 * @param {{ layerId: string, sourceId: string, path: string, what: string, params?: [string, string][] }} options
 *   `path` is the TileJSON route (`/tiles/density`); tiles are `${path}/{z}/{x}/{y}`;
 *   `what` names the data in error messages; `params` are the layer's own parameters, sent
 *   after the filters (`[['method', 'dbscan'], ['eps_m', '100']]`).
 * @returns {{ state: { tilejson: object|null, failure: string|null, loading: boolean },
 *   refresh: (ctx: object, changed: Set<string>) => Promise<void>, fallbackTiles: (ctx: object) => string }}
 */
export function tileJsonSource({ layerId, sourceId, path, what, params = [] }) {
  const state = { tilejson: null, failure: null, loading: false };
  let loadedKey = null; // the filters `state.tilejson` is for
  let generation = 0;
  const pairs = (ctx) => [...filterPairs(ctx.state), ...params];
  const fallbackTiles = (ctx) => `${location.origin}${apiUrl(`${path}/{z}/{x}/{y}`, pairs(ctx))}`;

  async function refresh(ctx, changed) {
    if (changed.has('data')) loadedKey = null; // new data: new tiles, asked for when shown
    // Fetch only while shown; switching the layer on (a 'layers' change) catches up.
    if (!ctx.isOn(layerId) || !ctx.state.categories.length) return;
    const key = JSON.stringify(pairs(ctx));
    if (key === loadedKey) return;
    const gen = ++generation;
    state.loading = true;
    state.failure = null;
    ctx.updateLegend();
    try {
      const body = await ctx.fetchJson(apiUrl(path, pairs(ctx)), what);
      if (gen !== generation) return;
      state.tilejson = body;
      loadedKey = key;
      ctx.map.getSource(sourceId).setTiles(Array.isArray(body.tiles) && body.tiles.length ? body.tiles : [fallbackTiles(ctx)]);
    } catch (err) {
      if (gen === generation) state.failure = err.message;
      throw err;
    } finally {
      if (gen === generation) state.loading = false;
    }
  }

  return { state, refresh, fallbackTiles };
}
