// Browser test of the areas beyond the wards: the "Area outlines" layer draws the BCP LSOA
// 2021 outlines from the boundaries tiles, the Area filter offers the LSOAs, and choosing
// LSOA E01034271 (a town-centre LSOA new in 2021) filters the map: the summary's total for
// all categories and months equals the outside reference tests/fixtures/partner/lsoa_counts.csv
// (counted from police.uk's LSOA code column with Python's csv module).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, openMap, REPO, renderedFeatures, screenshot, statusError, useHexwatch, waitForMapIdle } from './harness.mjs';

const hw = useHexwatch();
const skip = hw.skip;

const LSOA = 'E01034271';
const CENTRE = { lat: 50.7209, lon: -1.8769 }; // Bournemouth town centre, inside LSOA E01034271's tile
const fmtInt = new Intl.NumberFormat('en-GB');

/** rows for `code` in lsoa_counts.csv (code,name,vintage,rows,rows_inside_own_polygon; names are quoted). */
function referenceRows(code) {
  const text = readFileSync(join(REPO, 'tests/fixtures/partner/lsoa_counts.csv'), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`${code},`));
  const m = line && line.match(/^[^,]+,"[^"]*",[^,]+,(\d+),(\d+)$/);
  assert.ok(m, `fixture line for ${code}: ${line}`);
  return Number(m[1]);
}

test(`LSOA outlines show, and choosing lsoa:${LSOA} filters the map to the reference count`, { skip }, async () => {
  const meta = await api(hw, 'api/meta');
  assert.deepEqual(meta.area_sets.map((s) => s.set), ['ward', 'lsoa']);
  const all = meta.categories.map((c) => c.slug).join(',');
  const { page, errors } = await openMap(hw, `?category=${all}&from=2025-01&to=2025-12&area=bcp&layers=wards,boundaries&map=14.00/${CENTRE.lat}/${CENTRE.lon}`);

  // (a) The LSOA outlines: drawn from the boundaries tiles with set=lsoa, one of them E01034271.
  assert.equal(await page.locator('#boundary-set').inputValue(), 'lsoa');
  const tiles = await page.evaluate(() => window.hexwatch.map.getSource('boundaries').tiles);
  assert.match(tiles[0], /\/tiles\/boundaries\/\{z\}\/\{x\}\/\{y\}\?set=lsoa$/);
  assert.ok((await renderedFeatures(page, ['boundaries-line'])) > 0, 'LSOA outlines are drawn');
  const drawn = await page.evaluate(() => window.hexwatch.map.queryRenderedFeatures({ layers: ['boundaries-line'] })
    .map((f) => ({ set: f.properties.set, code: f.properties.code })));
  assert.ok(drawn.every((f) => f.set === 'lsoa' && f.code.startsWith('E01')), JSON.stringify(drawn.slice(0, 5)));
  assert.ok(drawn.some((f) => f.code === LSOA), `${LSOA} is drawn`);
  const legend = await page.locator('#legend [data-layer="boundaries"]').textContent();
  assert.match(legend, /LSOAs \(2021\) boundary/);

  // (b) The Area filter lists the 240 LSOAs; choosing one filters the summary and the cells.
  assert.equal(await page.locator('#area optgroup[label="LSOAs (2021)"] option').count(), 240);
  await page.locator('#area').selectOption(`lsoa:${LSOA}`);
  await waitForMapIdle(page);
  assert.equal(new URL(page.url()).searchParams.get('area'), `lsoa:${LSOA}`);
  const want = referenceRows(LSOA);
  assert.equal(await page.locator('#sum-incidents').textContent(), fmtInt.format(want));
  const summary = await api(hw, `api/summary?category=${all}&from=2025-01&to=2025-12&area=lsoa:${LSOA}`);
  assert.equal(summary.incidents, want);
  assert.match(await page.locator('#sum-desc').textContent(), /BCP \d{3}[A-Z] \(E01034271\)/);
  assert.ok((await renderedFeatures(page, ['boundaries-area'])) > 0, 'the chosen LSOA is outlined');
  const cellSources = await page.evaluate(() => window.hexwatch.map.getSource('cells').tiles[0]);
  assert.match(cellSources, new RegExp(`area=lsoa:${LSOA}`), 'the cells follow the area');
  await screenshot(page, 'areas-lsoa-1280x800');

  // (c) Another set: the wards, from the same control; the choice is in the URL.
  await page.locator('#boundary-set').selectOption('ward');
  await waitForMapIdle(page);
  assert.equal(new URL(page.url()).searchParams.get('bset'), 'ward');
  const wards = await page.evaluate(() => window.hexwatch.map.queryRenderedFeatures({ layers: ['boundaries-line'] })
    .map((f) => f.properties.set));
  const src = await page.evaluate(() => window.hexwatch.map.getSource('boundaries').tiles);
  const counts = wards.reduce((m, s) => ({ ...m, [s]: (m[s] || 0) + 1 }), {});
  assert.ok(wards.length > 0 && wards.every((s) => s === 'ward'), JSON.stringify({ counts, src }));

  // (d) Clicking inside an outline offers to filter the map to that area.
  await page.evaluate(() => window.hexwatch.applyState({ ...window.hexwatch.state, layers: ['boundaries'], bset: 'lsoa', area: 'bcp' }));
  await waitForMapIdle(page);
  const hit = await page.evaluate(() => {
    const { map } = window.hexwatch;
    const f = map.queryRenderedFeatures({ layers: ['boundaries-hit'] })[0];
    const p = map.project(map.getCenter());
    const under = map.queryRenderedFeatures([p.x, p.y], { layers: ['boundaries-hit'] })[0] || f;
    return { x: p.x, y: p.y, code: under?.properties.code };
  });
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + hit.x, box.y + hit.y);
  const name = page.locator('.maplibregl-popup [data-testid="popup-area"]');
  await name.waitFor();
  assert.match(await name.textContent(), new RegExp(`^BCP \\d{3}[A-Z] \\(${hit.code}\\)$`));
  await page.locator('.maplibregl-popup button', { hasText: 'Filter the map to this area' }).click();
  await waitForMapIdle(page);
  assert.equal(new URL(page.url()).searchParams.get('area'), `lsoa:${hit.code}`);

  assert.equal(await statusError(page), null);
  assert.deepEqual(errors, []);
  await page.close();
});
