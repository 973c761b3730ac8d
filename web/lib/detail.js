// The details panel for one place (an H3 cell or a ward): counts by category, the monthly
// trend, the top location descriptions and, for a cell, the wards it touches. The server's
// /api/cells/{h3} and /api/wards/{code} answer in the same shape, so one renderer serves both
// (and any later layer whose detail route answers in that shape).

import { monthlyChart } from './chart.js';
import { el, fmtInt, fmtRate } from './util.js';
import { hourOfWeekChart } from './week.js';

const POLICE_UK_LOCATIONS = 'police.uk publishes each incident at the nearest of a set of anonymous map points, described “On or near …”.';

let destroyChart = () => {};

const table = (caption, head, rows, { bars = false } = {}) => {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  return el('table', { className: 'detail-table' },
    el('caption', { className: 'visually-hidden', textContent: caption }),
    el('thead', {}, el('tr', {}, head.map((h, i) => el('th', { scope: 'col', className: i ? 'num' : '', textContent: h })))),
    el('tbody', {}, rows.map(([name, n]) => el('tr', {},
      el('th', { scope: 'row' }, bars ? el('span', { className: 'bar', style: `width:${(100 * n) / max}%`, attrs: { 'aria-hidden': 'true' } }) : null,
        el('span', { className: 'bar-label', textContent: name })),
      el('td', { className: 'num', textContent: fmtInt.format(n) })))));
};

/**
 * Fills `body` with the details of `view`:
 *   { data: API answer, facts: [[label, value]…] (extra rows), note, actions: [{label, run}],
 *     locationNote (under the top locations; undefined: police.uk's, null: none) }.
 * The hour-of-week grid comes from `data.hour_of_week` (or its reason when unavailable).
 */
export function renderDetail(body, view) {
  destroyChart();
  destroyChart = () => {};
  const d = view.data;
  const facts = [
    ['Incidents', fmtInt.format(d.count)],
    ['Density', `${fmtRate(Number(d.density_per_km2_month))} per km² per month`],
    ['Area', `${Number(d.area_km2).toFixed(Number(d.area_km2) < 1 ? 3 : 2)} km²`],
    ...(view.facts || []),
  ];
  const chartHost = el('div', { className: 'chart-host' });
  const weekHost = el('div', { className: 'chart-host how-host', attrs: { 'data-testid': 'detail-week' } });
  if (d.hour_of_week !== undefined) hourOfWeekChart(weekHost, d.hour_of_week, { label: 'Incidents here by hour of the week' });
  const cats = (d.by_category || []).filter((c) => c.count > 0);
  const locations = d.top_locations || [];
  const wards = d.wards || [];
  const parts = [
    el('dl', { className: 'facts' }, facts.map(([k, v], i) => el('div', { className: i === 0 ? 'fact main' : 'fact' },
      el('dt', { textContent: k }), el('dd', { textContent: v, attrs: i === 0 ? { 'data-testid': 'detail-count' } : {} })))),
    view.note ? el('p', { className: 'note', textContent: view.note }) : null,
    view.actions?.length ? el('div', { className: 'detail-actions' }, view.actions.map((a) =>
      el('button', { type: 'button', className: 'btn', textContent: a.label, onclick: a.run }))) : null,
    el('h3', { textContent: 'Monthly trend' }),
    chartHost,
    d.hour_of_week !== undefined ? el('h3', { textContent: 'Hour of the week' }) : null,
    d.hour_of_week !== undefined ? weekHost : null,
    el('h3', { textContent: 'By category' }),
    cats.length ? table('Incidents by category', ['Category', 'Incidents'], cats.map((c) => [c.name, c.count]), { bars: true })
      : el('p', { className: 'note', textContent: 'No incidents for this selection.' }),
    el('h3', { textContent: 'Top locations' }),
    locations.length ? el('ol', { className: 'locations' }, locations.map((l) => el('li', {},
      el('span', { className: 'num', textContent: fmtInt.format(l.count) }),
      el('span', { textContent: l.location }),
      l.points > 1 ? el('span', { className: 'points', textContent: ` (${l.points} map points)` }) : null)))
      : el('p', { className: 'note', textContent: 'No locations for this selection.' }),
    view.locationNote === null ? null : el('p', { className: 'note', textContent: view.locationNote ?? POLICE_UK_LOCATIONS }),
    wards.length ? el('h3', { textContent: wards.length > 1 ? 'Wards' : 'Ward' }) : null,
    wards.length ? table('Incidents by ward', ['Ward', 'Incidents'], wards.map((w) => [w.name, w.count])) : null,
  ];
  body.replaceChildren(...parts.filter(Boolean));
  // The chart needs its width, known only once the host is in the document.
  destroyChart = monthlyChart(chartHost, d.by_month, { label: 'Incidents per month', height: 120 });
}

/** Shows a message (loading, error, nothing selected) in place of the details. */
export function renderDetailMessage(body, text, kind = 'note') {
  destroyChart();
  destroyChart = () => {};
  body.replaceChildren(el('p', { className: kind, textContent: text }));
}
