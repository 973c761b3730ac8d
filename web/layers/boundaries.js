// Layer "Area outlines": one boundary set at a time — LSOAs (2021), wards or a custom set
// added with `hexwatch areas add` — as vector tiles from the server
// (/tiles/boundaries/{z}/{x}/{y}?set=<set>, source layer `boundaries`, properties set, code,
// name). The set is chosen with the "Boundaries for the area outlines" control (URL `bset`).
// The area chosen in the Area filter is drawn heavier when it belongs to the set shown.
// Clicking an outline opens a popup naming the area with a button that filters the map to it.

import { el } from '../lib/util.js';

const SOURCE = 'boundaries';
const LINE = '#6b4c9a';
const AREA = '#3b1f66';
// Outlines are generalised to 20–200 m: finer tiles add nothing, so MapLibre over-zooms them.
const MAXZOOM = 16;
const BCP = 'Bournemouth, Christchurch and Poole ';

/** How the page names a set: "LSOAs (2021)", "Wards (2020)", or the custom set's name. */
export function setLabel(meta, set) {
  if (set === 'lsoa') return 'LSOAs (2021)';
  if (set === 'ward') return 'Wards (2020)';
  return `Custom: ${set}`;
}

/** One area of a set, for popups: "LSOA (2021)", "Ward (2020)", "Custom area (beats)". */
const kindOf = (set) => ({ lsoa: 'LSOA (2021)', ward: 'Ward (2020)' }[set] || `Custom area (${set})`);

/** How the page names an area: LSOAs by their short name and code, others by name. */
export function areaLabel(area) {
  if (area.set === 'lsoa') return `${area.name.startsWith(BCP) ? `BCP ${area.name.slice(BCP.length)}` : area.name} (${area.code})`;
  return area.name;
}

/** The `area=` value of a feature of set `set`. */
const areaId = (set, p) => (set === 'ward' || set === 'lsoa' ? `${set}:${p.code}` : `custom:${set}/${p.name}`);

const tilesUrl = (set) => `${location.origin}/tiles/boundaries/{z}/{x}/{y}?set=${encodeURIComponent(set || '')}`;

/** A MapLibre filter for the features of the current area filter (whatever set is shown). */
function areaFilter(ctx) {
  const feature = ctx.meta.areas.find((a) => a.id === ctx.state.area);
  if (!feature?.set) return ['==', ['get', 'code'], ''];
  const key = feature.set === 'ward' || feature.set === 'lsoa' ? 'code' : 'name';
  return ['all', ['==', ['get', 'set'], feature.set], ['==', ['get', key], feature[key]]];
}

export default {
  id: 'boundaries',
  label: 'Area outlines',
  description: 'Outlines of LSOAs (2021), wards or a custom area set: pick which below the layers.',
  defaultVisible: false,
  available: (ctx) => Boolean(ctx.state.bset),

  sources: (ctx) => ({
    [SOURCE]: { type: 'vector', tiles: [tilesUrl(ctx.state.bset)], minzoom: 0, maxzoom: MAXZOOM },
  }),

  layers: () => [
    // Transparent: the hit area for clicks.
    {
      slot: 'base', id: 'boundaries-hit', type: 'fill', source: SOURCE, 'source-layer': 'boundaries',
      paint: { 'fill-color': '#000000', 'fill-opacity': 0 },
    },
    {
      slot: 'outline', id: 'boundaries-line', type: 'line', source: SOURCE, 'source-layer': 'boundaries',
      paint: { 'line-color': LINE, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.6, 15, 1.6], 'line-opacity': 0.9 },
    },
    {
      slot: 'highlight', id: 'boundaries-area', type: 'line', source: SOURCE, 'source-layer': 'boundaries',
      filter: ['==', ['get', 'code'], ''],
      paint: { 'line-color': AREA, 'line-width': 3.5 },
    },
  ],

  async refresh(ctx, changed) {
    const { map } = ctx;
    if (changed.has('init') || changed.has('area')) map.setFilter('boundaries-area', areaFilter(ctx));
    if (changed.has('bset') && ctx.state.bset) {
      // A layer change pauses its source until the next frame, and MapLibre then reloads the
      // tiles it holds from their old data: let the frame pass before pointing the source at
      // the new set, or the old outlines stay on screen.
      if (changed.has('area')) await new Promise((resolve) => { map.once('render', resolve); map.triggerRepaint(); });
      map.getSource(SOURCE).setTiles([tilesUrl(ctx.state.bset)]);
    }
  },

  legend(ctx) {
    const { bset, area } = ctx.state;
    const lines = [{ colour: LINE, width: 1.5, label: `${setLabel(ctx.meta, bset)} boundary` }];
    const chosen = ctx.meta.areas.find((a) => a.id === area);
    if (chosen && chosen.set === bset) lines.push({ colour: AREA, width: 3.5, label: `Area: ${areaLabel(chosen)}` });
    const info = (ctx.meta.area_sets || []).find((s) => s.set === bset);
    const notes = bset === 'lsoa'
      ? ['Counts per LSOA use each record’s own LSOA code (police.uk); the 2011/2021 outlines are generalised.']
      : info ? [`Incidents within ${info.tolerance_m} m of an area count in it.`] : [];
    return { id: 'boundaries', title: 'Area outlines', lines, notes };
  },

  click: {
    priority: 12,
    layers: ['boundaries-hit'],
    handle(ctx, feature) {
      const p = feature.properties;
      const id = areaId(p.set, p);
      const isArea = ctx.state.area === id;
      const button = el('button', {
        type: 'button',
        className: 'btn',
        textContent: isArea ? 'Show all BCP' : 'Filter the map to this area',
        onclick: () => ctx.setArea(isArea ? 'bcp' : id),
      });
      const popup = el('div', { className: 'map-popup' },
        el('p', { className: 'popup-kind', textContent: kindOf(p.set) }),
        el('p', { className: 'popup-name', attrs: { 'data-testid': 'popup-area' }, textContent: p.set === 'lsoa' ? areaLabel(p) : p.name }),
        p.code && p.code !== p.name ? el('p', { className: 'popup-rate', textContent: `Code ${p.code}` }) : null,
        el('p', {}, button));
      return { popup };
    },
  },
};
