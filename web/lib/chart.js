// Monthly trend charts with uPlot (small, canvas-based, ESM build loaded from node_modules).
// A chart is drawn on a canvas, so every chart also gets a text alternative: an aria-label
// with the range and peak, and a table of the monthly counts in a <details> element.

import uPlot from '../node_modules/uplot/dist/uPlot.esm.js';
import { el, fmtInt, monthLabel } from './util.js';

const MONTH_SHORT = (ym) => monthLabel(ym).split(' ')[0];

/**
 * Renders a bar chart of `byMonth` ([{month: 'YYYY-MM', count}]) into `host` (emptied
 * first) and returns a function that destroys it. `highlight` (a month) draws that bar
 * darker; `height` in CSS pixels; `table` false leaves out the table.
 */
export function monthlyChart(host, byMonth, { label = 'Incidents per month', height = 120, highlight = null, table = true } = {}) {
  host.replaceChildren();
  if (!byMonth?.length) {
    host.append(el('p', { className: 'note', textContent: 'No months to chart.' }));
    return () => {};
  }
  const months = byMonth.map((d) => d.month);
  const counts = byMonth.map((d) => Number(d.count) || 0);
  const peak = Math.max(...counts);
  const peakMonth = months[counts.indexOf(peak)];
  const summary = `${label}, ${monthLabel(months[0])} to ${monthLabel(months.at(-1))}: `
    + `peak ${fmtInt.format(peak)} in ${monthLabel(peakMonth)}, lowest ${fmtInt.format(Math.min(...counts))}.`;

  const figure = el('figure', { className: 'chart', attrs: { role: 'img', 'aria-label': summary } });
  host.append(figure);
  const width = Math.max(160, Math.floor(host.clientWidth || 260));
  const every = Math.max(1, Math.ceil(months.length / Math.max(1, Math.floor(width / 34))));
  const accent = '#2b5d8a';
  const highlightIdx = highlight ? months.indexOf(highlight) : -1;
  const opts = {
    width,
    height,
    padding: [6, 6, 0, 0],
    legend: { show: false },
    cursor: { show: true, points: { show: false }, drag: { x: false, y: false } },
    scales: {
      x: { time: false, range: () => [-0.6, months.length - 0.4] },
      y: { range: (u, min, max) => [0, Math.max(4, max * 1.08)] },
    },
    axes: [
      {
        stroke: '#4a5563', font: '11px system-ui, "DejaVu Sans", sans-serif', size: 22, gap: 2,
        grid: { show: false }, ticks: { size: 3, stroke: '#c5ccd4' },
        splits: () => months.map((_, i) => i),
        values: (u, splits) => splits.map((i) => (i % every === 0 ? MONTH_SHORT(months[i]) : '')),
      },
      {
        stroke: '#4a5563', font: '11px system-ui, "DejaVu Sans", sans-serif', size: 38, gap: 3,
        grid: { stroke: '#e6e9ed', width: 1 }, ticks: { show: false },
        values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? fmtInt.format(v) : '')),
      },
    ],
    series: [
      {},
      {
        label,
        stroke: accent,
        fill: 'rgba(43, 93, 138, 0.75)',
        width: 0,
        paths: uPlot.paths.bars({ size: [0.72, 28], align: 0 }),
        points: { show: false },
      },
    ],
    hooks: {
      draw: [(u) => {
        if (highlightIdx < 0) return;
        // Outline the highlighted month's bar (the month being played).
        const c = u.ctx;
        const x = u.valToPos(highlightIdx, 'x', true);
        const y = u.valToPos(counts[highlightIdx], 'y', true);
        const y0 = u.valToPos(0, 'y', true);
        const w = Math.min(28 * devicePixelRatio, (u.bbox.width / months.length) * 0.72);
        c.save();
        c.fillStyle = '#b73779';
        c.fillRect(x - w / 2, y, w, y0 - y);
        c.restore();
      }],
    },
  };
  const plot = new uPlot(opts, [months.map((_, i) => i), counts], figure);
  // Hover readout: the month and its count, in plain text under the chart.
  const readout = el('p', { className: 'chart-readout', attrs: { 'aria-hidden': 'true' } }, ' ');
  host.append(readout);
  plot.over.addEventListener('mousemove', () => {
    const i = plot.cursor.idx;
    readout.textContent = i === null || i === undefined ? ' ' : `${monthLabel(months[i])}: ${fmtInt.format(counts[i])}`;
  });
  plot.over.addEventListener('mouseleave', () => { readout.textContent = ' '; });

  if (table) {
    host.append(el('details', { className: 'chart-table' },
      el('summary', {}, 'Monthly counts as a table'),
      el('table', {},
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', textContent: 'Month' }), el('th', { scope: 'col', textContent: 'Incidents' }))),
        el('tbody', {}, byMonth.map((d) => el('tr', {},
          el('th', { scope: 'row', textContent: monthLabel(d.month) }), el('td', { textContent: fmtInt.format(Number(d.count) || 0) })))))));
  }
  return () => plot.destroy();
}
