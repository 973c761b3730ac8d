// Layer "Ward outlines": the BCP ward boundaries, for context without a basemap. Also owns
// the "ward" details (click a ward away from the cells) and the wards export.

import { apiUrl } from '../lib/api.js';
import { filterPairs } from '../lib/state.js';
import { el, fmtInt, fmtRate } from '../lib/util.js';

const LINE = '#35506b';
const AREA = '#0f2a44';

const wardName = (ctx, code) => ctx.wardOutlines.features.find((f) => f.properties?.code === code)?.properties.name || code;

export default {
  id: 'wards',
  label: 'Ward outlines',
  description: 'Electoral wards of Bournemouth, Christchurch and Poole (2020).',
  defaultVisible: true,

  sources: (ctx) => ({ wards: { type: 'geojson', data: ctx.wardOutlines } }),

  layers: (ctx) => [
    // A pale land fill without a basemap, transparent with one; either way the hit area for clicks.
    {
      slot: 'base', id: 'wards-hit', type: 'fill', source: 'wards',
      paint: { 'fill-color': '#ffffff', 'fill-opacity': ctx.basemap ? 0 : 0.6 },
    },
    {
      slot: 'outline', id: 'wards-line', type: 'line', source: 'wards',
      paint: { 'line-color': LINE, 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.8, 14, 1.6], 'line-opacity': 0.85 },
    },
    {
      slot: 'highlight', id: 'wards-area', type: 'line', source: 'wards', filter: ['==', ['get', 'code'], ''],
      paint: { 'line-color': AREA, 'line-width': 3.5 },
    },
    {
      slot: 'highlight', id: 'wards-selected', type: 'line', source: 'wards', filter: ['==', ['get', 'code'], ''],
      paint: { 'line-color': '#0b57d0', 'line-width': 3, 'line-dasharray': [2, 1] },
    },
  ],

  async refresh(ctx, changed) {
    if (changed.has('init') || changed.has('area')) {
      const code = ctx.state.area.startsWith('ward:') ? ctx.state.area.slice(5) : '';
      ctx.map.setFilter('wards-area', ['==', ['get', 'code'], code]);
    }
  },

  legend(ctx) {
    const lines = [{ colour: LINE, width: 1.5, label: 'Ward boundary' }];
    if (ctx.state.area.startsWith('ward:')) lines.push({ colour: AREA, width: 3.5, label: `Area: ${wardName(ctx, ctx.state.area.slice(5))}` });
    return { id: 'wards', title: 'Ward outlines', lines };
  },

  click: {
    priority: 10,
    layers: ['wards-hit'],
    handle: (ctx, feature) => ({ sel: `ward:${feature.properties.code}` }),
  },

  details: {
    ward: {
      async load(ctx, code) {
        const data = await ctx.fetchJson(apiUrl(`/api/wards/${code}`, filterPairs(ctx.state, { area: false })), `ward ${wardName(ctx, code)}`);
        const isArea = ctx.state.area === `ward:${code}`;
        return {
          kind: 'Ward',
          title: data.name || wardName(ctx, code),
          subtitle: `Ward code ${code}`,
          data,
          actions: [
            isArea ? { label: 'Show all BCP', run: () => ctx.setArea('bcp') } : { label: 'Filter the map to this ward', run: () => ctx.setArea(`ward:${code}`) },
          ],
        };
      },
      popup: (ctx, data, code) => el('div', { className: 'map-popup' },
        el('p', { className: 'popup-kind', textContent: 'Ward' }),
        el('p', { className: 'popup-name', textContent: data.name || wardName(ctx, code) }),
        el('p', { className: 'popup-count' }, el('strong', { attrs: { 'data-testid': 'popup-count' }, textContent: fmtInt.format(data.count) }), ' incidents'),
        el('p', { className: 'popup-rate', textContent: `${fmtRate(Number(data.density_per_km2_month))} per km² per month` })),
      highlight(ctx, code) {
        ctx.map.setFilter('wards-selected', ['==', ['get', 'code'], code || '']);
      },
      bounds: (ctx, code) => ctx.boundsOf(ctx.wardOutlines.features.filter((f) => f.properties?.code === code)),
    },
  },

  exports: [
    { label: 'Wards CSV', format: 'csv' },
    { label: 'Wards GeoJSON', format: 'geojson' },
  ].map(({ label, format }) => ({
    label,
    description: `Every ward with its counts and density for the categories and months selected, as ${format === 'csv' ? 'CSV' : 'GeoJSON'}`,
    async run(ctx) {
      if (!ctx.state.categories.length) throw new Error('Tick at least one category to export wards.');
      const pairs = [...filterPairs(ctx.state, { area: false }), ['format', format]];
      const blob = await ctx.fetchBlob(apiUrl('/api/wards', pairs), 'the wards export');
      return { blob, filename: `${ctx.fileStem('wards', { area: false })}.${format}` };
    },
  })),
};
