// Downloads: a PNG of the map with its legend, title and attribution drawn in, and data
// files fetched from the server.

import { drawLegend, wrapText } from './legend.js';

const FONT = 'system-ui, "DejaVu Sans", Arial, sans-serif';

/** Saves `blob` as a download called `filename`. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Waits for the map to finish drawing what is in view. */
function mapIdle(map) {
  return new Promise((resolve) => {
    if (map.loaded() && !map.isMoving()) resolve();
    else map.once('idle', resolve);
  });
}

/**
 * The map as a PNG Blob with `title` lines (top left), the legend `models` (bottom left) and
 * the `attribution` text (a strip along the bottom, which licences require). The map is
 * created with preserveDrawingBuffer so its canvas can be copied at any time.
 */
export async function mapPng(map, { title = [], models = [], attribution = '' }) {
  await mapIdle(map);
  const src = map.getCanvas();
  const s = src.width / src.clientWidth || 1;
  const out = document.createElement('canvas');
  out.width = src.width;
  out.height = src.height;
  const ctx = out.getContext('2d');
  ctx.fillStyle = '#eceee9';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(src, 0, 0);

  // Attribution strip along the bottom.
  ctx.font = `${11 * s}px ${FONT}`;
  const attrLines = wrapText(ctx, attribution, out.width - 16 * s);
  const strip = attrLines.length * 14 * s + 8 * s;
  ctx.fillStyle = 'rgba(255, 255, 255, 0.92)';
  ctx.fillRect(0, out.height - strip, out.width, strip);
  ctx.fillStyle = '#1f2933';
  attrLines.forEach((line, i) => ctx.fillText(line, 8 * s, out.height - strip + (4 + 11 + i * 14) * s));

  // Title block, top left.
  if (title.length) {
    const pad = 10 * s;
    const w = Math.min(out.width - 20 * s, 420 * s);
    const lines = [];
    title.forEach((t, i) => {
      ctx.font = `${i === 0 ? '600 ' : ''}${(i === 0 ? 15 : 12) * s}px ${FONT}`;
      for (const l of wrapText(ctx, t, w - 2 * pad)) lines.push({ l, i });
    });
    const h = pad * 2 + lines.reduce((a, { i }) => a + (i === 0 ? 20 : 16) * s, 0);
    ctx.fillStyle = 'rgba(255, 255, 255, 0.95)';
    ctx.fillRect(10 * s, 10 * s, w, h);
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.2)';
    ctx.lineWidth = s;
    ctx.strokeRect(10.5 * s, 10.5 * s, w - s, h - s);
    let y = 10 * s + pad;
    for (const { l, i } of lines) {
      ctx.font = `${i === 0 ? '600 ' : ''}${(i === 0 ? 15 : 12) * s}px ${FONT}`;
      ctx.fillStyle = i === 0 ? '#1f2933' : '#3a4350';
      y += (i === 0 ? 20 : 16) * s;
      ctx.fillText(l, 10 * s + pad, y - 5 * s);
    }
  }

  if (models.length) drawLegend(ctx, models, 10 * s, out.height - strip - 10 * s, s, { anchor: 'bottom' });

  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}
