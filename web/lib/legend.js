// Legends. Each layer describes its legend as a plain model, drawn twice from the same
// data: as HTML on the map, and onto a canvas for the PNG export.
//
//   { title: 'H3 cells',                              // the layer
//     unit: 'Incidents per km² per month',            // what the colours measure, in stated units
//     classes: [{ colour: '#fcfdbf', label: '< 1', count: '1,234' }, …],   // count: optional, right-aligned
//     lines: [{ colour: '#35506b', width: 1.5, label: 'Ward boundary' }],   // casing: optional darker edge
//     notes: ['Fixed classes for this selection …'],  // optional small print
//     status: 'H3 resolution 8 at zoom 11' }           // optional, shown in bold

import { el } from './util.js';

/** HTML for the legends of the visible layers. */
export function legendNodes(models) {
  return models.map((m) => el('div', { className: 'legend-block', attrs: { 'data-layer': m.id } },
    el('h3', { textContent: m.title }),
    m.unit ? el('p', { className: 'legend-unit', textContent: m.unit }) : null,
    m.classes?.length ? el('ul', { className: 'legend-classes' }, m.classes.map((c) => el('li', {},
      el('span', { className: 'swatch', style: `background:${c.colour}`, attrs: { 'aria-hidden': 'true' } }),
      el('span', { className: 'legend-label', textContent: c.label }),
      c.count !== null && c.count !== undefined ? el('span', { className: 'legend-count' }, c.count, el('span', { className: 'visually-hidden', textContent: ' cells' })) : null))) : null,
    m.lines?.length ? el('ul', { className: 'legend-lines' }, m.lines.map((l) => el('li', {},
      el('span', {
        className: 'swatch-line',
        style: `border-top:${l.width}px solid ${l.colour}${l.casing ? `;box-shadow:0 0 0 1.5px ${l.casing}` : ''}`,
        attrs: { 'aria-hidden': 'true' },
      }), l.label))) : null,
    ...(m.notes || []).map((n) => el('p', { className: 'legend-note', textContent: n })),
    m.status ? el('p', { className: 'legend-status', textContent: m.status }) : null));
}

/** Splits `text` into lines no wider than `width` on `ctx`'s current font. */
export function wrapText(ctx, text, width) {
  const lines = [];
  for (const paragraph of String(text).split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const next = line ? `${line} ${word}` : word;
      if (line && ctx.measureText(next).width > width) {
        lines.push(line);
        line = word;
      } else line = next;
    }
    lines.push(line);
  }
  return lines;
}

const FONT = 'system-ui, "DejaVu Sans", Arial, sans-serif';

/**
 * Draws the legend `models` in a white box at (x, y) on a 2D canvas context, `s` being the
 * device pixel ratio; `anchor` 'bottom' makes y the box's bottom edge. Returns the box height.
 */
export function drawLegend(ctx, models, x, y, s, { width = 230, anchor = 'top' } = {}) {
  const pad = 10 * s;
  const inner = width * s - 2 * pad;
  const ops = []; // measured first, drawn once the height is known
  let h = pad;
  const text = (str, size, { bold = false, colour = '#1f2933', indent = 0, right = 0 } = {}) => {
    ctx.font = `${bold ? '600 ' : ''}${size * s}px ${FONT}`;
    for (const line of wrapText(ctx, str, inner - indent - right)) {
      const at = h;
      ops.push(() => { ctx.font = `${bold ? '600 ' : ''}${size * s}px ${FONT}`; ctx.fillStyle = colour; ctx.fillText(line, x + pad + indent, y + at + size * s * 0.85); });
      h += size * 1.3 * s;
    }
  };
  models.forEach((m, i) => {
    if (i) h += 8 * s;
    text(m.title, 12.5, { bold: true });
    if (m.unit) text(m.unit, 11.5, { colour: '#4a5563' });
    h += 3 * s;
    for (const c of m.classes || []) {
      const at = h;
      ops.push(() => {
        ctx.fillStyle = c.colour;
        ctx.fillRect(x + pad, y + at + 2 * s, 18 * s, 12 * s);
        ctx.strokeStyle = 'rgba(60, 30, 70, 0.35)';
        ctx.lineWidth = s;
        ctx.strokeRect(x + pad, y + at + 2 * s, 18 * s, 12 * s);
      });
      if (c.count !== null && c.count !== undefined) {
        ops.push(() => {
          ctx.font = `${11 * s}px ${FONT}`;
          ctx.fillStyle = '#4a5563';
          ctx.textAlign = 'right';
          ctx.fillText(String(c.count), x + width * s - pad, y + at + 12 * 0.85 * s);
          ctx.textAlign = 'left';
        });
      }
      text(c.label, 12, { indent: 26 * s, right: c.count !== null && c.count !== undefined ? 44 * s : 0 });
      h += 1.5 * s;
    }
    for (const l of m.lines || []) {
      const at = h;
      ops.push(() => {
        if (l.casing) {
          ctx.strokeStyle = l.casing;
          ctx.lineWidth = (l.width + 3) * s;
          ctx.beginPath();
          ctx.moveTo(x + pad, y + at + 8 * s);
          ctx.lineTo(x + pad + 18 * s, y + at + 8 * s);
          ctx.stroke();
        }
        ctx.strokeStyle = l.colour;
        ctx.lineWidth = l.width * s;
        ctx.beginPath();
        ctx.moveTo(x + pad, y + at + 8 * s);
        ctx.lineTo(x + pad + 18 * s, y + at + 8 * s);
        ctx.stroke();
      });
      text(l.label, 12, { indent: 26 * s });
    }
    for (const n of m.notes || []) { h += 2 * s; text(n, 11, { colour: '#4a5563' }); }
    if (m.status) { h += 2 * s; text(m.status, 11.5, { bold: true }); }
  });
  h += pad;
  const top = anchor === 'bottom' ? y - h : y;
  ctx.save();
  ctx.translate(0, top - y);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(x, y, width * s, h);
  ctx.strokeStyle = 'rgba(0, 0, 0, 0.2)';
  ctx.lineWidth = s;
  ctx.strokeRect(x + 0.5 * s, y + 0.5 * s, width * s - s, h - s);
  ctx.textBaseline = 'alphabetic';
  ops.forEach((op) => op());
  ctx.restore();
  return h;
}
