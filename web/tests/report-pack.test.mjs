// Browser test of the monthly partnership pack (issue 11): the map's "Partnership pack" link
// points at /api/report for the current period and area; the pack renders under the
// server's strict CSP (its style sheet linked, not inline) at A4 width with its charts and
// map pictures as SVG; Chromium prints it to an A4 PDF whose page count is checked, saved
// as web/tests/artifacts/report-pack.pdf (and screenshots of its first page and maps).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { ARTIFACTS, openMap, partnerHeaders, screenshot, useHexwatch } from './harness.mjs';

const hw = useHexwatch();
const skip = hw.skip;

test('the map links to the partnership pack of the current period and area', { skip }, async () => {
  const { page, errors } = await openMap(hw, '?area=bcp&from=2025-06&to=2025-11');
  const link = page.locator('#pack-link');
  assert.equal(await link.textContent(), 'Partnership pack');
  const href = new URL(await link.getAttribute('href'), hw.server.url);
  assert.equal(href.pathname, '/api/report');
  assert.equal(href.searchParams.get('period'), '2025-11');
  assert.equal(href.searchParams.get('area'), 'bcp');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the 2025-12 pack renders at A4 with its charts and prints to an A4 PDF', { skip }, async () => {
  const page = await hw.browser.context.newPage();
  // The partner's pack (exact counts, alerts and the patrol plan).
  await page.setExtraHTTPHeaders(partnerHeaders(hw));
  await page.setViewportSize({ width: 794, height: 1123 });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  const url = new URL('/api/report?period=2025-12&area=bcp', hw.server.url);
  const response = await page.goto(url.href, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /text\/html/);
  assert.doesNotMatch(response.headers()['content-security-policy'], /unsafe-inline/);

  const pack = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    // The linked style sheet applied (a CSP refusal would leave the table unstyled).
    borderCollapse: getComputedStyle(document.querySelector('table')).borderCollapse,
    charts: [...document.querySelectorAll('figure.chart svg')].map((svg) => ({
      width: svg.getBoundingClientRect().width,
      lines: svg.querySelectorAll('polyline, path').length,
    })),
    hexagons: document.querySelectorAll('#hotspot-map svg path').length,
    densityCells: document.querySelectorAll('#density-map svg rect').length,
    kpiTables: document.querySelectorAll('table.kpi').length,
    version: document.getElementById('data-version')?.textContent,
    noData: document.body.textContent.includes('no data for 2024-12'),
    pai: document.getElementById('pai')?.textContent,
  }));
  assert.ok(pack.scrollWidth <= 794, `pack wider than A4: ${pack.scrollWidth}px`);
  assert.equal(pack.borderCollapse, 'collapse');
  assert.ok(pack.charts.length >= 15, `${pack.charts.length} charts (all crime and each category)`);
  for (const c of pack.charts) {
    assert.ok(c.width > 300, `chart ${c.width}px wide`);
    assert.ok(c.lines >= 2, 'a chart draws its series');
  }
  assert.ok(pack.hexagons > 10, `${pack.hexagons} paths on the hot spot map`);
  assert.ok(pack.densityCells > 100, `${pack.densityCells} density cells`);
  assert.equal(pack.kpiTables, 3);
  assert.match(pack.version, /^\d+$/);
  assert.ok(pack.noData, 'says there are no data for 2024-12');
  assert.match(pack.pai, /PAI = \(n\/N\)\/\(a\/A\) = \d+\.\d\d/);
  await screenshot(page, 'report-pack-a4');
  await page.locator('#where').scrollIntoViewIfNeeded();
  await page.locator('#hotspot-map').screenshot({ path: join(ARTIFACTS, 'report-pack-hotspots.png') });
  await page.locator('#density-map').screenshot({ path: join(ARTIFACTS, 'report-pack-density.png') });

  await page.emulateMedia({ media: 'print' });
  const printed = await page.evaluate(() => ({
    charts: document.querySelectorAll('figure.chart svg').length,
    hidden: [...document.querySelectorAll('figure.chart svg')].filter((svg) => svg.getBoundingClientRect().width === 0).length,
  }));
  assert.equal(printed.hidden, 0, 'every chart is laid out in print');
  const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'report-pack.pdf'), pdf);
  const text = pdf.toString('latin1');
  const pages = (text.match(/\/Type\s*\/Page[^s]/g) || []).length;
  // KPIs (two pages), charts (three), where and maps (two), alerts and patrol (one): 6–10.
  assert.ok(pages >= 6 && pages <= 10, `${pages} A4 pages`);
  // Every page is A4 (595 × 842 pt).
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.ok(boxes.length >= pages);
  for (const [w, h] of boxes) assert.ok(Math.abs(w - 595.92) < 2 && Math.abs(h - 842.88) < 2, `page ${w} × ${h} pt`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the public 2025-12 pack shows the cube\'s counts and leaves partner sections to partners', { skip }, async () => {
  const page = await hw.browser.context.newPage();
  await page.setViewportSize({ width: 794, height: 1123 });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  const url = new URL('/api/report?period=2025-12&area=bcp', hw.server.url);
  const response = await page.goto(url.href, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  const pack = await page.evaluate(() => ({
    text: document.body.textContent,
    hexagons: document.querySelectorAll('#hotspot-map svg path').length,
    charts: document.querySelectorAll('figure.chart svg').length,
    kpiTables: document.querySelectorAll('table.kpi').length,
    pai: document.getElementById('pai'),
    lsoaTables: document.querySelectorAll('#where table.areas').length,
  }));
  assert.match(pack.text, /public version/);
  assert.match(pack.text, /LSOA tables need a partner token/);
  assert.match(pack.text, /Alerts are shown to partners/);
  assert.match(pack.text, /patrol plan and its PAI are shown to partners/);
  assert.doesNotMatch(pack.text, /Flag: /);
  assert.equal(pack.pai, null, 'no PAI for the public');
  assert.equal(pack.lsoaTables, 1, 'the wards table alone');
  assert.equal(pack.kpiTables, 3);
  assert.ok(pack.charts >= 15, `${pack.charts} charts`);
  assert.ok(pack.hexagons > 10, `${pack.hexagons} paths on the public hot spot map (bins only)`);
  await screenshot(page, 'report-pack-public');
  assert.deepEqual(errors, []);
  await page.close();
});
