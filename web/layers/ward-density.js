// Layer "Ward density": a choropleth of the wards in incidents per km² per month, from
// /api/wards?format=geojson. Off by default. Its classes, like the cells', are chosen once
// per category and flag selection (peak ward density over every month, hour and weekday).

import { apiUrl } from '../lib/api.js';
import { classLabels, ladderBreaks, PUBU_6, stepExpression } from '../lib/scale.js';
import { filterPairs, scalePairs } from '../lib/state.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const BREAKS = PUBU_6.length - 1;

const WARD_FIT = { minTop: 1, fit: 'below' };
let breaks = ladderBreaks(30, BREAKS, WARD_FIT);
let dataGeneration = 0;
let stale = true; // data not fetched for the current filters (the layer was hidden)
let scaleKey = null; // the categories and flags the classes were chosen for

// Public map: a ward whose count is withheld has no density and is drawn grey.
const fillColour = () => ['case', ['has', 'density_per_km2_month'], stepExpression('density_per_km2_month', breaks, PUBU_6), '#b8b8b8'];

export default {
  id: 'ward-density',
  label: 'Ward density',
  description: 'Each ward coloured by its incidents per km² per month.',
  defaultVisible: false,
  available: (ctx) => ctx.state.categories.length > 0,

  sources: () => ({ 'ward-density': { type: 'geojson', data: EMPTY } }),

  layers: () => [
    {
      slot: 'data', id: 'ward-density-fill', type: 'fill', source: 'ward-density',
      paint: { 'fill-color': fillColour(), 'fill-opacity': 0.8 },
    },
  ],

  async refresh(ctx, changed) {
    if (['init', 'categories', 'months', 'time', 'flags', 'data'].some((k) => changed.has(k))) stale = true;
    // Fetch only while shown; switching the layer on (a 'layers' change) catches up.
    if (!stale || !ctx.isOn('ward-density') || !ctx.state.categories.length) return;
    const generation = ++dataGeneration;
    const key = JSON.stringify([ctx.state.categories, ctx.state.flags]);
    const scaleNeeded = key !== scaleKey;
    const [data, all] = await Promise.all([
      ctx.fetchJson(apiUrl('/api/wards', [...filterPairs(ctx.state, { area: false }), ['format', 'geojson']]), 'the ward densities'),
      scaleNeeded
        ? ctx.fetchJson(apiUrl('/api/wards', scalePairs(ctx.meta, ctx.state, { area: false })), 'the ward colour classes')
        : null,
    ]);
    if (generation !== dataGeneration) return;
    if (all) {
      scaleKey = key;
      const peak = Math.max(0, ...(all.wards || []).map((w) => Number(w.density_per_km2_month) || 0));
      breaks = ladderBreaks(peak, BREAKS, WARD_FIT);
      ctx.map.setPaintProperty('ward-density-fill', 'fill-color', fillColour());
    }
    ctx.map.getSource('ward-density').setData(data);
    stale = false;
  },

  legend() {
    const labels = classLabels(breaks);
    return {
      id: 'ward-density',
      title: 'Ward density',
      unit: 'Incidents per km² per month',
      classes: PUBU_6.map((colour, i) => ({ colour, label: labels[i] })).reverse(),
      notes: ['Fixed classes for this selection of categories (and flags).'],
    };
  },

  click: {
    priority: 20,
    layers: ['ward-density-fill'],
    handle: (ctx, feature) => ({ sel: `ward:${feature.properties.code}` }),
  },
};
