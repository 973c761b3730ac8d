// Browser test of the printable patrol sheet (issue 8): /api/patrol-plan?format=html rendered
// at A4 portrait (210 × 297 mm = 794 × 1123 CSS px at 96 dpi). The sheet fits the page width,
// shows the map picture with every area numbered and the table, prints as one A4 page, and a
// screenshot is saved as web/tests/artifacts/patrol-sheet-a4.png.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { ARTIFACTS, partnerHeaders, screenshot, useHexwatch } from './harness.mjs';

const hw = useHexwatch();
const skip = hw.skip;

test('patrol sheet renders at A4 with its map and table, and prints on one page', { skip }, async () => {
  const page = await hw.browser.context.newPage();
  await page.setViewportSize({ width: 794, height: 1123 });
  await page.setExtraHTTPHeaders(partnerHeaders(hw)); // patrol plans are partner data
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  const url = new URL('/api/patrol-plan?area=bcp&areas=5&category=anti-social-behaviour&format=html', hw.server.url);
  const response = await page.goto(url.href, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /text\/html/);

  const sheet = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    svgWidth: document.querySelector('.map svg')?.getBoundingClientRect().width,
    labels: [...document.querySelectorAll('.map svg text')].map((t) => t.textContent),
    rows: document.querySelectorAll('tbody tr').length,
    guidance: document.querySelector('.guidance')?.textContent,
    note: document.body.textContent.includes('shifts in the period'),
  }));
  assert.ok(sheet.scrollWidth <= 794, `sheet wider than A4: ${sheet.scrollWidth}px`);
  assert.ok(sheet.svgWidth > 600, `map picture ${sheet.svgWidth}px wide`);
  for (const n of ['1', '2', '3', '4', '5']) assert.ok(sheet.labels.includes(n), `area ${n} numbered on the map`);
  assert.equal(sheet.rows, 5);
  assert.match(sheet.guidance, /10–15 minutes/);
  assert.ok(sheet.note);
  await screenshot(page, 'patrol-sheet-a4');

  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'patrol-sheet-a4.pdf'), pdf);
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.equal(pages, 1, 'the sheet prints on one A4 page');
  assert.deepEqual(errors, []);
  await page.close();
});
