// Small DOM and formatting helpers shared by the page and its layers.

export const $ = (id) => document.getElementById(id);

/**
 * Creates an element. `props` are set as properties, except `attrs` (set as attributes,
 * for aria-* and data-*) and `style` strings; children are nodes or strings (null skipped).
 */
export function el(tag, props = {}, ...children) {
  const { attrs, ...rest } = props;
  const e = Object.assign(document.createElement(tag), rest);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v);
  e.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return e;
}

export const fmtInt = new Intl.NumberFormat('en-GB');
export const fmt1 = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const fmtSig = new Intl.NumberFormat('en-GB', { maximumSignificantDigits: 2 });

/** A density or other rate: one decimal below 1000, whole numbers above. */
export const fmtRate = (x) => (!Number.isFinite(x) ? '–' : Math.abs(x) >= 1000 ? fmtInt.format(Math.round(x)) : fmt1.format(x));

/** A class break: 0.3, 1, 30, 1,000. */
export const fmtBreak = (x) => (x >= 1000 ? fmtInt.format(x) : fmtSig.format(x));

/** Signed integer with a real minus sign: +12, −3. */
export const fmtSigned = (x) => (x > 0 ? '+' : x < 0 ? '−' : '±') + fmtInt.format(Math.abs(x));

/** "Mar 2025" (style 'short') or "March 2025" ('long'). */
export function monthLabel(ym, style = 'short') {
  const [y, m] = ym.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1)).toLocaleDateString('en-GB', { month: style, year: 'numeric', timeZone: 'UTC' });
}

/** "Jan – Dec 2025", "Nov 2024 – Feb 2025" or "Mar 2025". */
export function rangeLabel(from, to) {
  if (from === to) return monthLabel(from);
  const [fy] = from.split('-');
  const [ty] = to.split('-');
  if (fy === ty) return `${monthLabel(from).split(' ')[0]} – ${monthLabel(to)}`;
  return `${monthLabel(from)} – ${monthLabel(to)}`;
}

/** Months from `from` to `to` inclusive within `list` (sorted YYYY-MM strings). */
export const monthsIn = (list, from, to) => list.filter((m) => m >= from && m <= to);

/** Lists names readably: "A", "A and B", "A, B and C", or "5 categories" past `max`. */
export function listNames(names, { max = 3, noun = 'categories', all = null } = {}) {
  if (all !== null && names.length === all && all > 1) return `all ${all} ${noun}`;
  if (names.length > max) return `${names.length} ${noun}`;
  if (names.length <= 1) return names[0] || `no ${noun}`;
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
