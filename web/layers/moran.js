// Layer "Clusters and outliers": local Moran's I (Anselin) over the study area's H3 cells
// (server method=moran): high–high and low–low clusters, high–low and low–high outliers at
// 95 % (pseudo p from 999 conditional permutations), in the usual LISA colours.

import { classRows, fmtPValue, fmtStat, neighbours, statLayer, TRANSPARENT } from '../lib/stats.js';

export const MORAN_CLASSES = [
  { key: 'HH', colour: '#d62f27', label: 'High–high cluster', explain: 'Many incidents, among neighbours with many.' },
  { key: 'HL', colour: '#f3a49c', label: 'High–low outlier', explain: 'Many incidents, among neighbours with few.' },
  { key: 'LH', colour: '#9dbfe4', label: 'Low–high outlier', explain: 'Few incidents, among neighbours with many.' },
  { key: 'LL', colour: '#4575b5', label: 'Low–low cluster', explain: 'Few incidents, among neighbours with few.' },
  { key: 'NS', colour: TRANSPARENT, label: 'Not significant', explain: 'Not significantly different from a random arrangement.' },
];
export const moranClass = (c) => MORAN_CLASSES.find((m) => m.key === c) || MORAN_CLASSES.at(-1);

export default statLayer({
  id: 'moran',
  method: 'moran',
  label: 'Clusters and outliers',
  description: 'Local Moran’s I: clusters of similar cells (high–high, low–low) and outliers that differ from their neighbours.',
  title: 'Clusters and outliers',
  unit: 'Local Moran’s I, significant at 95 %',
  kindLabel: 'Cluster and outlier analysis',
  priority: 34,
  fillColour: ['match', ['get', 'moran_class'], ...MORAN_CLASSES.filter((m) => m.key !== 'NS').flatMap((m) => [m.key, m.colour]), TRANSPARENT],
  significant: ['match', ['get', 'moran_class'], ['HH', 'HL', 'LH', 'LL'], true, false],
  legendClasses: (classes) => classRows(MORAN_CLASSES, classes),
  notes: (ctx, summary) => [
    `Compares each cell’s count with the average of its ${neighbours(ctx.state.k)} neighbours. `
      + 'A cluster is like its neighbourhood, an outlier unlike it. “High” and “low” are relative to the study-area mean.',
    `Pseudo p < 0.05 from ${summary?.permutations ?? 999} random permutations, without a multiple-testing correction: expect some false positives.`,
  ],
  headline: (p) => ({ colour: moranClass(p.moran_class).colour, text: moranClass(p.moran_class).label, explain: moranClass(p.moran_class).explain }),
  popupRows: (p) => [['Local Moran’s I', fmtStat(p.moran_i)], ['Pseudo p', fmtPValue(p.moran_p)]],
  facts: (p) => [['Cluster / outlier', moranClass(p.moran_class).label], ['Local Moran’s I', `${fmtStat(p.moran_i)} (pseudo p ${fmtPValue(p.moran_p).replace(/^(?=\d)/, '= ')})`]],
});
