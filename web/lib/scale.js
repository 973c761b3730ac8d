// Colour classes. Densities are in incidents per km² per month, already normalised by the
// cell's (or ward's) exact area and by the months selected, so one scale is valid at every
// zoom, resolution and period. The classes are chosen ONCE for a selection (categories and
// area) from a fixed 1–3–10 ladder and never from the data in view: panning, zooming,
// changing the months or playing through them never changes a colour's meaning.

import { fmtBreak } from './util.js';

// 0.01, 0.03, 0.1, 0.3, 1, 3, 10, … 1,000,000
const LADDER = [];
for (let e = -2; e <= 6; e++) LADDER.push(10 ** e, 3 * 10 ** e);
const round = (x) => Number(x.toPrecision(2));

/**
 * Ascending class breaks: `count` consecutive ladder values. With `fit: 'above'` the top
 * break is the smallest ladder value at or above `peak`, so the peak falls just below the
 * top class (for cells, whose finer resolutions have higher peaks than the reference one);
 * with `fit: 'below'` it is the largest at or below, so the peak is in the top class (for
 * one fixed set of areas such as wards). `minTop` keeps a sensible scale with little data.
 */
export function ladderBreaks(peak, count, { minTop = 10, fit = 'above' } = {}) {
  const target = Math.max(Number.isFinite(peak) ? peak : 0, minTop);
  let top = fit === 'below'
    ? LADDER.findLastIndex((v) => v <= target * 1.001)
    : LADDER.findIndex((v) => v >= target * 0.999);
  if (top < 0) top = fit === 'below' ? 0 : LADDER.length - 1;
  top = Math.max(top, count - 1);
  return LADDER.slice(top - count + 1, top + 1).map(round);
}

/** Legend labels for the classes of `breaks`: "< 1", "1 – 3", …, "≥ 300". */
export function classLabels(breaks) {
  const labels = [`< ${fmtBreak(breaks[0])}`];
  for (let i = 1; i < breaks.length; i++) labels.push(`${fmtBreak(breaks[i - 1])} – ${fmtBreak(breaks[i])}`);
  labels.push(`≥ ${fmtBreak(breaks.at(-1))}`);
  return labels;
}

/** MapLibre `step` expression colouring `property` by `breaks` (colours.length = breaks.length + 1). */
export function stepExpression(property, breaks, colours) {
  const expr = ['step', ['to-number', ['get', property], 0], colours[0]];
  breaks.forEach((b, i) => expr.push(b, colours[i + 1]));
  return expr;
}

/** Index of the class of `value`. */
export const classOf = (value, breaks) => breaks.filter((b) => value >= b).length;

// Reversed "magma" (matplotlib), 8 classes, pale cream → dark purple. Perceptually uniform
// and monotonic in lightness, so it reads the same with deuteranopia, protanopia and
// tritanopia and in greyscale: more incidents is always darker.
export const MAGMA_8 = ['#fcfdbf', '#fec488', '#fc8961', '#e85362', '#b73779', '#822681', '#51127c', '#221150'];

// ColorBrewer "PuBu" (sequential, 6 classes), marked colour-blind safe by ColorBrewer.
export const PUBU_6 = ['#f1eef6', '#d0d1e6', '#a6bddb', '#74a9cf', '#2b8cbe', '#045a8d'];
