// The hour-of-week profile: a 7 × 24 heat grid (weekday rows, Monday first; hour columns,
// local wall-clock time) drawn as plain SVG from the server's `hour_of_week` answer
// ({available, bins: 168 numbers, bin = weekday × 24 + hour, incidents_with_time,
// month_only} or {available: false, reason}). Each cell is a <rect class="how-cell"> with a
// <title> (its weekday, hour and count); the figure has an aria-label naming the busiest and
// quietest hours, and a table of all 168 counts follows in a <details> element.

import { PUBU_6 } from './scale.js';
import { clock, WEEKDAY_NAMES } from './state.js';
import { el, fmt1, fmtInt } from './util.js';

const SVG = 'http://www.w3.org/2000/svg';
const CELL = 10; // px per hour (the SVG scales to the host's width)
const GAP = 1;
const LEFT = 26; // weekday labels
const TOP = 13; // hour labels
const EMPTY = '#e3e7ec'; // no incidents: grey, visible on the white card and the grey summary panel
// Classes by share of the busiest hour: (0, 20 %], (20, 40 %], … (80, 100 %].
const STEPS = 5;

const svg = (tag, attrs = {}, ...children) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children.filter(Boolean));
  return e;
};
/** Counts are whole numbers for timestamped data; windows spread aoristically give fractions. */
const fmtCount = (x) => (Number.isInteger(x) ? fmtInt.format(x) : fmt1.format(x));
const dayShort = (d) => WEEKDAY_NAMES[d].slice(0, 3);
const hourSpan = (h) => `${clock(h)}–${clock(h + 1)}`;

/** Colour class (0 = none, 1…STEPS) of `value` against the busiest hour `peak`. */
export const weekClass = (value, peak) => (value > 0 && peak > 0 ? Math.min(STEPS, Math.max(1, Math.ceil((value / peak) * STEPS - 1e-9))) : 0);
export const WEEK_COLOURS = [EMPTY, ...PUBU_6.slice(1)];

/**
 * Renders the hour-of-week profile `how` into `host` (emptied first). `label` names the
 * chart for screen readers. Without a profile it shows the server's reason instead.
 */
export function hourOfWeekChart(host, how, { label = 'Incidents by hour of the week' } = {}) {
  host.replaceChildren();
  if (!how) {
    host.append(el('p', { className: 'note how-reason', textContent: 'No hour-of-week profile from this server.' }));
    return;
  }
  if (!how.available || !Array.isArray(how.bins) || how.bins.length !== 168) {
    const reason = how.reason || 'no hour-of-week profile for this selection';
    host.append(el('p', { className: 'note how-reason', attrs: { 'data-testid': 'how-reason' },
      textContent: `Unavailable: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}${/[.!]$/.test(reason) ? '' : '.'}` }));
    return;
  }
  const bins = how.bins.map((v) => Number(v) || 0);
  const peak = Math.max(...bins);
  const total = bins.reduce((a, b) => a + b, 0);
  const width = LEFT + 24 * CELL;
  const height = TOP + 7 * CELL;

  const describe = (i) => `${WEEKDAY_NAMES[Math.floor(i / 24)]} ${hourSpan(i % 24)}`;
  const busiest = bins.indexOf(peak);
  const quietest = bins.indexOf(Math.min(...bins));
  const summary = total > 0
    ? `${label} (local time, Monday first): busiest ${describe(busiest)} with ${fmtCount(peak)}, `
      + `quietest ${describe(quietest)} with ${fmtCount(bins[quietest])}.`
    : `${label}: no incidents in this selection.`;

  const cells = [];
  for (let d = 0; d < 7; d++) {
    for (let h = 0; h < 24; h++) {
      const i = d * 24 + h;
      const v = bins[i];
      cells.push(svg('rect', {
        class: 'how-cell', x: LEFT + h * CELL, y: TOP + d * CELL, width: CELL - GAP, height: CELL - GAP,
        fill: WEEK_COLOURS[weekClass(v, peak)], 'data-bin': i, 'data-count': v,
      }, svg('title', {}, document.createTextNode(`${dayShort(d)} ${hourSpan(h)}: ${fmtCount(v)}`))));
    }
  }
  const text = (x, y, t, anchor = 'start') => svg('text', { x, y, 'text-anchor': anchor, class: 'how-label' }, document.createTextNode(t));
  const graphic = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'how-grid', 'aria-hidden': 'true', focusable: 'false' },
    ...[0, 6, 12, 18].map((h) => text(LEFT + h * CELL, TOP - 3, String(h).padStart(2, '0'))),
    text(LEFT + 24 * CELL - 1, TOP - 3, '24', 'end'),
    ...WEEKDAY_NAMES.map((_, d) => text(0, TOP + d * CELL + CELL - 2.5, dayShort(d))),
    ...cells);
  const figure = el('figure', { className: 'how-figure', attrs: { role: 'img', 'aria-label': summary, 'data-testid': 'hour-of-week' } }, graphic);

  const key = el('p', { className: 'how-key', attrs: { 'aria-hidden': 'true' } },
    el('span', { className: 'how-swatch', style: `background:${EMPTY}` }), ' none ',
    ...WEEK_COLOURS.slice(1).map((c) => el('span', { className: 'how-swatch', style: `background:${c}` })),
    ` busiest hour: ${fmtCount(peak)}`);
  const basis = [`${fmtInt.format(Number(how.incidents_with_time ?? total))} incidents with a time, in local wall-clock hours`];
  if (Number(how.month_only) > 0) basis.push(`${fmtInt.format(how.month_only)} known only to the month are left out`);
  const note = el('p', { className: 'note how-note', textContent: `${basis.join('; ')}.` });

  const table = el('details', { className: 'chart-table how-table' },
    el('summary', { textContent: 'Table of the hours' }),
    el('div', { className: 'how-table-scroll' },
      el('table', {},
        el('caption', { className: 'visually-hidden', textContent: `${label}, weekday by hour` }),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', textContent: 'Day' }),
          ...Array.from({ length: 24 }, (_, h) => el('th', { scope: 'col', textContent: String(h).padStart(2, '0') })))),
        el('tbody', {}, WEEKDAY_NAMES.map((name, d) => el('tr', {},
          el('th', { scope: 'row', textContent: name.slice(0, 3), attrs: { title: name } }),
          ...bins.slice(d * 24, d * 24 + 24).map((v) => el('td', { textContent: fmtCount(v) }))))))));
  host.append(figure, key, note, table);
}
