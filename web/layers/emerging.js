// Layer "Emerging hot spots": Esri's emerging hot spot analysis on the study area's H3 cells
// (server method=emerging): a Gi* hot/cold state per month (FDR-corrected) and a Mann–Kendall
// trend give each cell one of Esri's 17 patterns. Esri symbolises them with hatching and
// outlines; here they are approximated with fills: hot patterns in reds and oranges, cold
// patterns in blues, darker for the more current and persistent ones, no pattern unfilled.
// The legend lists only the patterns present in the selection.

import { classRows, fmtPValue, fmtStat, neighbours, statLayer, TRANSPARENT } from '../lib/stats.js';
import { rangeLabel } from '../lib/util.js';

// Esri's order. The definitions are Esri's, shortened; `hot` ones mirror into cold ones.
const KINDS = [
  ['new', 'New', 'Significant in the last month only, never before.'],
  ['consecutive', 'Consecutive', 'Significant in an unbroken run of recent months up to the last, never before it (under 90 % of months).'],
  ['intensifying', 'Intensifying', 'Significant in at least 90 % of months including the last, and significantly strengthening.'],
  ['persistent', 'Persistent', 'Significant in at least 90 % of months, with no significant trend.'],
  ['diminishing', 'Diminishing', 'Significant in at least 90 % of months including the last, and significantly weakening.'],
  ['sporadic', 'Sporadic', 'Significant in the last month and on and off before (under 90 % of months), never the opposite.'],
  ['oscillating', 'Oscillating', 'Significant in the last month, and the opposite kind of spot in some earlier month.'],
  ['historical', 'Historical', 'Significant in at least 90 % of months, but not in the last.'],
];
// Hot patterns in reds and oranges, cold ones in blues, by what the pattern says: the
// current and growing ones (new, consecutive, intensifying) darkest and most saturated,
// persistent ones the plain hot/cold colour, waning and intermittent ones paler, and
// historical ones greyed. Neighbouring patterns differ in hue as well as lightness.
const HOT = ['#67001f', '#c51b7d', '#b2182b', '#e34a33', '#fc8d59', '#fdcc8a', '#f6e8a0', '#bf9b83'];
const COLD = ['#081d58', '#6a51a3', '#2166ac', '#4393c3', '#92c5de', '#c6dbef', '#e0ecf4', '#9aa9bd'];

export const PATTERNS = [
  ...KINDS.map(([slug, name, explain], i) => ({ key: `${slug}-hot`, colour: HOT[i], label: `${name} hot spot`, explain: `A hot spot: ${explain[0].toLowerCase()}${explain.slice(1)}` })),
  ...KINDS.map(([slug, name, explain], i) => ({ key: `${slug}-cold`, colour: COLD[i], label: `${name} cold spot`, explain: `A cold spot: ${explain[0].toLowerCase()}${explain.slice(1)}` })),
  { key: 'none', colour: TRANSPARENT, label: 'No pattern detected', explain: 'None of the hot or cold spot patterns.' },
];
export const patternOf = (slug) => PATTERNS.find((p) => p.key === slug) || PATTERNS.at(-1);
/** The legend's name of a cell's pattern (the server's label for a slug this page does not know). */
const patternName = (p) => (PATTERNS.some((d) => d.key === p.pattern) ? patternOf(p.pattern).label : p.pattern_label || 'Unknown pattern');

const trendWords = (p) => {
  const tau = Number(p.trend_tau);
  if (!Number.isFinite(Number(p.trend_p)) || !Number.isFinite(tau)) return 'no trend computed';
  if (Number(p.trend_p) >= 0.05) return 'no significant trend';
  return tau > 0 ? 'rising (significant)' : 'falling (significant)';
};

export default statLayer({
  id: 'emerging',
  method: 'emerging',
  label: 'Emerging hot spots',
  description: 'Esri’s emerging hot spot patterns: new, intensifying, persistent, diminishing … hot and cold spots month by month.',
  title: 'Emerging hot spots',
  unit: (ctx, summary) => {
    const n = summary?.steps?.length;
    return `Esri’s patterns, month by month over ${rangeLabel(ctx.state.from, ctx.state.to)}${n ? ` (${n} month${n === 1 ? '' : 's'})` : ''}`;
  },
  kindLabel: 'Emerging hot spot analysis',
  priority: 33,
  fillColour: ['match', ['get', 'pattern'], ...PATTERNS.filter((p) => p.key !== 'none').flatMap((p) => [p.key, p.colour]), TRANSPARENT],
  significant: ['match', ['get', 'pattern'], ['none', ''], false, true],
  // Only the patterns present (the server's counts), in Esri's order, "no pattern" last.
  legendClasses: (classes) => (classes ? classRows(PATTERNS.filter((p) => Number(classes[p.key]) > 0), classes) : []),
  notes: (ctx, summary) => {
    const months = summary?.steps?.length ?? null;
    const notes = [
      `Gi* for each month (each cell plus its ${neighbours(ctx.state.k)} neighbours, this month and the one before), `
        + 'significant at 95 % after false discovery rate (FDR) correction, and a Mann–Kendall trend test on each cell’s series.',
    ];
    if (months !== null && months < 10) notes.push(`Only ${months} month${months === 1 ? '' : 's'} selected: Esri recommends at least 10 time steps, so read the patterns with care.`);
    return notes;
  },
  headline: (p) => ({ colour: patternOf(p.pattern).colour, text: patternName(p), explain: PATTERNS.find((d) => d.key === p.pattern)?.explain }),
  popupRows: (p) => [['Trend of Gi* z', trendWords(p)], ['Mann–Kendall τ', fmtStat(p.trend_tau)], ['Trend p', fmtPValue(p.trend_p)]],
  facts: (p) => [['Emerging pattern', patternName(p)], ['Trend (Mann–Kendall)', `τ ${fmtStat(p.trend_tau)}, ${trendWords(p)}`]],
});
