// Hotspot alerts (the server's /api/alerts and the SSE `alert` events): pure helpers for
// naming, ordering, filtering and placing them. No DOM and no map here, so the unit tests
// run them without a browser; the panel and the map layer are layers/alerts.js.
//
// An alert (the properties of a /api/alerts feature, or the data of an `alert` event):
//   { id, kind: 'cell'|'ward', unit, category (slug), period ('YYYY-MM'), observed, expected,
//     ratio (null when nothing was expected), p, q (null for an emerging hot-spot transition),
//     method, seasonality, first_raised ('YYYY-MM', or 'YYYY-MM (pattern → pattern)'),
//     status: 'open'|'acknowledged'|'closed'|'expired', note, raised_at (RFC 3339) }

import { fmtInt, monthLabel } from './util.js';

/** Statuses of the server, in the order of their life. */
export const STATUSES = ['open', 'acknowledged', 'closed', 'expired'];
export const STATUS_LABELS = { open: 'Open', acknowledged: 'Acknowledged', closed: 'Closed', expired: 'Expired' };

/** The two tests behind alerts: a count above its baseline, or an emerging hot-spot transition. */
export const TYPES = ['count', 'emerging'];
export const TYPE_LABELS = { count: 'Count above baseline', emerging: 'Emerging hot spot' };

/**
 * Which test raised the alert. The server marks neither in a field of its own: a transition
 * has no p or q and its method names the emerging hot-spot analysis.
 */
export function alertType(a) {
  return /emerging hot.?spot/i.test(String(a.method || '')) || (a.p == null && a.q == null && String(a.id || '').endsWith(':emerging'))
    ? 'emerging' : 'count';
}

const fmt2 = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });
const fmtSig2 = new Intl.NumberFormat('en-GB', { maximumSignificantDigits: 2 });

/** "2.2 × 10⁻²¹", "0.013", "–" (none). */
export function fmtProbability(x) {
  if (x === null || x === undefined || !Number.isFinite(Number(x))) return '–';
  const v = Number(x);
  if (v === 0) return '0';
  if (v >= 0.001) return fmtSig2.format(v);
  const [mantissa, exponent] = v.toExponential(1).split('e');
  const sup = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
  return `${mantissa} × 10${[...String(Number(exponent))].map((c) => sup[c] ?? c).join('')}`;
}

/** "×180", "×2.5", or "nothing expected" when the baseline was zero (ratio null). */
export const fmtRatio = (ratio) => (ratio === null || ratio === undefined || !Number.isFinite(Number(ratio)) ? 'nothing expected' : `×${fmt2.format(Number(ratio))}`);

/** "30 vs 0.17 expected". */
export const fmtObserved = (a) => `${fmtInt.format(Number(a.observed) || 0)} vs ${fmt2.format(Number(a.expected) || 0)} expected`;

/** "Dec 2025", or "Dec 2025 (No Pattern Detected → New Hot Spot)" for a transition's label. */
export function fmtFirstRaised(text) {
  const m = /^(\d{4}-\d{2})(.*)$/.exec(String(text ?? ''));
  return m ? `${monthLabel(m[1])}${m[2]}` : String(text ?? '–');
}

/** The category's display name from /api/meta (its slug when unknown). */
export const categoryName = (meta, slug) => meta.categories.find((c) => c.slug === slug)?.name || slug;

/** The ward's name from /api/meta areas (its code when unknown). */
export const wardName = (meta, code) => meta.areas?.find((a) => a.id === `ward:${code}`)?.name || code;

/**
 * Newest first: by when the server raised it, then by period, then the strongest evidence
 * (smallest q, then largest ratio), then by id so the order is stable.
 */
export function compareAlerts(a, b) {
  return String(b.raised_at || '').localeCompare(String(a.raised_at || ''))
    || String(b.period).localeCompare(String(a.period))
    || (a.q ?? 2) - (b.q ?? 2)
    || (Number(b.ratio) || 0) - (Number(a.ratio) || 0)
    || String(a.id).localeCompare(String(b.id));
}

/**
 * The alerts matching the panel's filters, newest first. `status`, `period` and `type` are
 * '' for all.
 */
export function filterAlerts(list, { status = 'open', period = '', type = '' } = {}) {
  return list
    .filter((a) => (!status || a.status === status) && (!period || a.period === period) && (!type || alertType(a) === type))
    .sort(compareAlerts);
}

/** Counts by value of `key(a)`, as a Map. */
export function countBy(list, key) {
  const counts = new Map();
  for (const a of list) counts.set(key(a), (counts.get(key(a)) || 0) + 1);
  return counts;
}

// ---------------------------------------------------------------- geometry

/** Mean of a polygon's outer ring vertices (a hexagon's centre, near enough), or null. */
export function ringCentre(geometry) {
  if (!geometry) return null;
  const ring = geometry.type === 'Polygon' ? geometry.coordinates[0]
    : geometry.type === 'MultiPolygon' ? geometry.coordinates[0]?.[0] : null;
  if (!ring?.length) return null;
  const pts = ring.length > 1 && ring[0][0] === ring.at(-1)[0] && ring[0][1] === ring.at(-1)[1] ? ring.slice(0, -1) : ring;
  return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
}

/** Even–odd ray casting: is [lon, lat] inside the rings of one polygon (holes excluded)? */
function inRings(point, rings) {
  let inside = false;
  const [x, y] = point;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** Whether [lon, lat] lies in a GeoJSON Polygon or MultiPolygon. */
export function pointInGeometry(point, geometry) {
  if (!point || !geometry) return false;
  if (geometry.type === 'Polygon') return inRings(point, geometry.coordinates);
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.some((rings) => inRings(point, rings));
  return false;
}

/** Name of the ward (a feature of /api/areas/wards) holding [lon, lat], or null. */
export function wardAt(wardOutlines, point) {
  const f = (wardOutlines?.features || []).find((w) => pointInGeometry(point, w.geometry));
  return f?.properties?.name ?? null;
}

/**
 * What the panel says of an alert: { title (category · month), where, figures, evidence,
 * raised, type }. `cellWard` names the ward of a cell alert, when known.
 */
export function describeAlert(meta, a, { cellWard = null } = {}) {
  const type = alertType(a);
  const where = a.kind === 'ward'
    ? `Ward: ${wardName(meta, a.unit)}`
    : `Cell ${a.unit}${cellWard ? ` (${cellWard})` : ''}`;
  const evidence = type === 'emerging'
    ? TYPE_LABELS.emerging
    : `q = ${fmtProbability(a.q)}`;
  return {
    type,
    title: `${categoryName(meta, a.category)} · ${monthLabel(a.period)}`,
    where,
    figures: `${fmtObserved(a)} (${fmtRatio(a.ratio)})`,
    evidence,
    raised: `First raised ${fmtFirstRaised(a.first_raised)}`,
  };
}
