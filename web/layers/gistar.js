// Layer "Gi* hot spots": Getis-Ord Gi* over the study area's H3 cells (server method=gistar).
// Cells are coloured by the server's confidence bin (−3…+3; Benjamini–Hochberg FDR at 90, 95
// and 99 %) in Esri's hot spot colours; cells that are not significant are left unfilled.

import { classRows, fmtP, fmtPValue, fmtStat, neighbours, statLayer, TRANSPARENT } from '../lib/stats.js';

// Esri's hot spot ramp for the hot bins; for the cold bins a blue ramp of the same steps
// (Esri's own 90 % cold, #c0ccbe, is barely distinguishable from the plain background).
export const GI_BINS = [
  { key: '3', bin: 3, colour: '#d62f27', label: 'Hot spot – 99 % confidence' },
  { key: '2', bin: 2, colour: '#ed7551', label: 'Hot spot – 95 % confidence' },
  { key: '1', bin: 1, colour: '#fab984', label: 'Hot spot – 90 % confidence' },
  { key: '0', bin: 0, colour: TRANSPARENT, label: 'Not significant' },
  { key: '-1', bin: -1, colour: '#b7cde8', label: 'Cold spot – 90 % confidence' },
  { key: '-2', bin: -2, colour: '#7fa3d1', label: 'Cold spot – 95 % confidence' },
  { key: '-3', bin: -3, colour: '#4575b5', label: 'Cold spot – 99 % confidence' },
];
const binOf = (p) => (p.gi_bin === null || p.gi_bin === undefined ? 0 : Number(p.gi_bin));
export const giBin = (bin) => GI_BINS.find((b) => b.bin === bin) || GI_BINS[3];

export default statLayer({
  id: 'gistar',
  method: 'gistar',
  label: 'Gi* hot spots',
  description: 'Getis-Ord Gi*: cells whose neighbourhood has significantly more (hot) or fewer (cold) incidents than the study area as a whole.',
  title: 'Gi* hot spots',
  unit: 'Getis-Ord Gi*, confidence corrected for multiple testing (FDR)',
  kindLabel: 'Gi* hot spot analysis',
  priority: 35,
  fillColour: ['match', ['to-number', ['get', 'gi_bin'], 0], ...GI_BINS.filter((b) => b.bin !== 0).flatMap((b) => [b.bin, b.colour]), TRANSPARENT],
  significant: ['!=', ['to-number', ['get', 'gi_bin'], 0], 0],
  legendClasses: (classes) => classRows(GI_BINS, classes),
  notes: (ctx) => [
    `Compares each cell plus its ${neighbours(ctx.state.k)} neighbours with the whole study area, empty cells included. `
      + 'Hot: more incidents than chance would give; cold: fewer. Confidence is corrected for testing many cells at once (false discovery rate).',
  ],
  headline: (p) => ({ colour: giBin(binOf(p)).colour, text: giBin(binOf(p)).label }),
  popupRows: (p) => [['Gi* z-score', fmtStat(p.gi_z)], ['p (two-sided)', fmtPValue(p.gi_p)], ['Bin (−3…+3)', binOf(p) > 0 ? `+${binOf(p)}` : String(binOf(p)).replace('-', '−')]],
  facts: (p) => [['Gi* hot spot', giBin(binOf(p)).label.replace(' confidence', '')], ['Gi* z-score', `${fmtStat(p.gi_z)} (${fmtP(p.gi_p)})`]],
});
