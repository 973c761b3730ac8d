// Layer "Patrol areas": the server's patrol plan for the selection (/api/patrol-plan): five
// non-overlapping areas (an H3 res-9 cell and its ring) covering the most incidents, numbered
// by rank, with the plan's guarantee and the Koper-curve guidance in the legend. Exports the
// printable patrol sheet (HTML) and the plan as GeoJSON.

import { apiUrl } from '../lib/api.js';
import { filterPairs } from '../lib/state.js';
import { el, fmtInt } from '../lib/util.js';

const FILL = '#b2182b';
const AREAS = 5;
const EMPTY = { type: 'FeatureCollection', features: [] };

let plan = EMPTY;
let loadedKey = null;
let generation = 0;

const planPairs = (ctx) => [...filterPairs(ctx.state), ['areas', String(AREAS)]];

export default {
  id: 'patrol',
  label: 'Patrol areas',
  description: `The ${AREAS} non-overlapping areas (a cell and its ring) that cover the most incidents of the selection.`,
  defaultVisible: false,
  available: (ctx) => ctx.state.categories.length > 0,

  sources: () => ({ patrol: { type: 'geojson', data: EMPTY } }),

  layers: () => [
    { slot: 'data', id: 'patrol-fill', type: 'fill', source: 'patrol', paint: { 'fill-color': FILL, 'fill-opacity': ['interpolate', ['linear'], ['get', 'rank'], 1, 0.55, AREAS, 0.25] } },
    { slot: 'outline', id: 'patrol-line', type: 'line', source: 'patrol', paint: { 'line-color': '#67000d', 'line-width': 2 } },
  ],

  // Fetched only while shown; a hidden layer's plan is marked stale and fetched when shown.
  async refresh(ctx, changed) {
    if (changed.has('data')) loadedKey = null;
    if (!ctx.isOn('patrol') || !ctx.state.categories.length) return;
    const key = JSON.stringify(planPairs(ctx));
    if (key === loadedKey) return;
    loadedKey = key;
    const mine = ++generation;
    const data = await ctx.fetchJson(apiUrl('/api/patrol-plan', planPairs(ctx)), 'the patrol plan');
    if (mine !== generation) return;
    plan = data;
    ctx.map.getSource('patrol').setData(plan);
    ctx.updateLegend();
  },

  legend: () => {
    const notes = [];
    if (plan.windows_note) notes.push(`Note: ${plan.windows_note}.`);
    if (plan.koper_guidance) notes.push(plan.koper_guidance);
    if (plan.guarantee) notes.push(`Areas never overlap; ${plan.guarantee}.`);
    const covered = plan.features.reduce((n, f) => n + (f.properties.incidents || 0), 0);
    return {
      id: 'patrol',
      title: 'Patrol areas',
      unit: plan.total_incidents ? `${fmtInt.format(covered)} of ${fmtInt.format(plan.total_incidents)} incidents in ${plan.features.length} areas` : 'incidents covered',
      classes: plan.features.map((f) => ({
        colour: FILL,
        label: `Area ${f.properties.rank}: ${(100 * f.properties.share_of_incidents).toFixed(1)} % of incidents`,
        count: fmtInt.format(f.properties.incidents),
      })),
      notes,
    };
  },

  click: {
    priority: 28,
    layers: ['patrol-fill'],
    handle: (ctx, feature) => {
      const p = feature.properties;
      return {
        popup: el('div', { className: 'map-popup' },
          el('p', { className: 'popup-kind', textContent: 'Patrol area' }),
          el('p', { className: 'popup-name', textContent: `Area ${p.rank}` }),
          el('p', { className: 'popup-count' }, el('strong', { textContent: fmtInt.format(p.incidents) }), ` incidents (${(100 * p.share_of_incidents).toFixed(1)} %)`),
          el('p', { textContent: `${Number(p.expected_per_shift).toFixed(2)} expected per shift` })),
      };
    },
  },

  exports: [
    { label: 'Patrol sheet (HTML, A4)', format: 'html', ext: 'html' },
    { label: 'Patrol plan GeoJSON', format: 'geojson', ext: 'geojson' },
  ].map(({ label, format, ext }) => ({
    label,
    description: `The patrol plan for the selection as ${format === 'html' ? 'a printable A4 sheet with a map and table' : 'GeoJSON'}`,
    async run(ctx) {
      if (!ctx.state.categories.length) throw new Error('Tick at least one category for a patrol plan.');
      const blob = await ctx.fetchBlob(apiUrl('/api/patrol-plan', [...planPairs(ctx), ['format', format]]), 'the patrol plan');
      return { blob, filename: `${ctx.fileStem('patrol')}.${ext}` };
    },
  })),
};
