// Browser tests of the panels, player, layers and exports (issue 3, beyond the smoke tests
// in browser.test.mjs). Each check compares what the page shows with the server's API.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { api, download, openMap, partnerHeaders, renderedFeatures, screenshot, statusError, useHexwatch, waitForMapIdle } from './harness.mjs';

const hw = useHexwatch();
const skip = hw.skip;
const fmt = (n) => new Intl.NumberFormat('en-GB').format(n);

test('summary: the selection total, and "no data for the previous period" outside the data', { skip }, async () => {
  const { page, errors } = await openMap(hw, '?category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp');
  const full = await api(hw, 'api/summary?category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp');
  assert.equal(await page.locator('#sum-incidents').textContent(), fmt(full.incidents));
  assert.match(await page.locator('#sum-change').textContent(), /^No data for the previous period \(Jan – Dec 2024\)\.$/);

  // July–December: the previous six months are in the data, so there is a change.
  await page.locator('#month-from').focus();
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
  await waitForMapIdle(page);
  const half = await api(hw, 'api/summary?category=anti-social-behaviour&from=2025-07&to=2025-12&area=bcp');
  assert.equal(half.previous.available, true);
  assert.equal(await page.locator('#sum-incidents').textContent(), fmt(half.incidents));
  const change = await page.locator('#sum-change').textContent();
  assert.ok(change.includes(`(${half.change.absolute < 0 ? '−' : '+'}${fmt(Math.abs(half.change.absolute))})`), change);
  assert.ok(change.includes('on the previous 6 months (Jan – Jun 2025)'), change);
  assert.deepEqual(errors, []);
  await page.close();
});

test('play steps one month at a time with the colour classes unchanged, and stops', { skip }, async () => {
  const { page, errors } = await openMap(hw, '?from=2025-01&to=2025-04&map=11.00/50.73000/-1.89000');
  const colours = () => page.evaluate(() => JSON.stringify(window.hexwatch.map.getPaintProperty('cells-fill', 'fill-color')));
  const legend = () => page.locator('#legend [data-layer="cells"] .legend-classes').textContent();
  const [coloursBefore, legendBefore] = [await colours(), await legend()];

  await page.locator('#play').click();
  assert.equal(await page.locator('#play').getAttribute('aria-pressed'), 'true');
  await page.waitForFunction(() => document.getElementById('play-status').textContent.includes('February 2025'), null, { timeout: 60_000 });
  await waitForMapIdle(page);
  const params = new URL(page.url()).searchParams;
  assert.deepEqual([params.get('from'), params.get('to')], ['2025-02', '2025-02'], 'a one-month window');
  assert.equal(await colours(), coloursBefore, 'the same classes while playing');
  assert.equal(await legend(), legendBefore);
  assert.ok((await renderedFeatures(page, ['cells-fill'])) > 0);

  await page.locator('#play').click(); // stop
  assert.equal(await page.locator('#play').getAttribute('aria-pressed'), 'false');
  assert.match(await page.locator('#play-status').textContent(), /^Stopped at \w+ 2025\.$/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('clicking a ward opens its details, matching /api/wards/{code}', { skip }, async () => {
  // Cells off, so the click lands on the ward (Bournemouth Central).
  const { page, errors } = await openMap(hw, '?category=anti-social-behaviour&from=2025-01&to=2025-12&layers=wards&map=14.00/50.72095/-1.87688');
  const ward = await api(hw, 'api/wards/E05012653?category=anti-social-behaviour&from=2025-01&to=2025-12');
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('#detail [data-testid="detail-count"]').waitFor();
  assert.equal(await page.locator('#detail-title').textContent(), 'Bournemouth Central');
  assert.equal(await page.locator('#detail [data-testid="detail-count"]').textContent(), fmt(ward.count));
  assert.equal(await page.locator('.maplibregl-popup [data-testid="popup-count"]').textContent(), fmt(ward.count));

  // "Filter the map to this ward" sets the area filter.
  await page.getByRole('button', { name: 'Filter the map to this ward' }).click();
  await waitForMapIdle(page);
  assert.equal(new URL(page.url()).searchParams.get('area'), 'ward:E05012653');
  assert.equal(await page.locator('#area').inputValue(), 'ward:E05012653');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the layer switcher turns the ward density layer on, with its legend', { skip }, async () => {
  const { page, errors } = await openMap(hw, '?map=11.00/50.73000/-1.89000');
  assert.equal(await renderedFeatures(page, ['ward-density-fill']), 0);
  await page.getByLabel('Ward density').check();
  await waitForMapIdle(page);
  assert.ok((await renderedFeatures(page, ['ward-density-fill'])) > 0);
  assert.equal(new URL(page.url()).searchParams.get('layers'), 'wards,ward-density,cells,alerts'); // alert areas are on by default
  assert.match(await page.locator('#legend').textContent(), /Ward density.*Incidents per km² per month/);
  await page.getByLabel('H3 cells').uncheck();
  await waitForMapIdle(page);
  assert.equal(await renderedFeatures(page, ['cells-fill']), 0);
  await screenshot(page, 'ward-density-1280x800');
  assert.deepEqual(errors, []);
  await page.close();
});

test('no category selected: nothing is requested, and the page says so', { skip }, async () => {
  const { page, errors } = await openMap(hw, '');
  await page.getByRole('button', { name: 'None' }).click();
  await waitForMapIdle(page);
  assert.equal(new URL(page.url()).searchParams.get('category'), '');
  assert.equal(await renderedFeatures(page, ['cells-fill']), 0);
  assert.equal(await statusError(page), null, 'no server error (no empty category= was sent)');
  assert.match(await page.locator('#status').textContent(), /No category selected/);
  assert.equal(await page.locator('#sum-change').textContent(), 'No category selected.');
  await page.reload({ waitUntil: 'domcontentloaded' });
  await waitForMapIdle(page);
  assert.equal(await page.locator('#categories input:checked').count(), 0, '"none" survives a reload');
  // The time-of-day controls say why they are unavailable.
  assert.equal(await page.locator('#hour').getAttribute('aria-disabled'), 'true');
  assert.match(await page.locator('#time-note').textContent(), /police\.uk data has month precision/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('exports: map PNG with legend, cells and wards as CSV and GeoJSON', { skip }, async () => {
  const query = '?category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp&res=9&map=13.00/50.72300/-1.88000';
  const { page, errors } = await openMap(hw, query);
  const button = (name) => page.locator('#export-buttons').getByRole('button', { name, exact: true });

  const png = await download(page, () => button('Map image (PNG)').click());
  assert.equal(png.name, 'hexwatch-map-2025-01-2025-12-bcp.png');
  assert.equal(await page.locator('#export-status').textContent(), `Saved ${png.name}.`);
  const bytes = readFileSync(png.path);
  assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
  const canvas = await page.evaluate(() => [window.hexwatch.map.getCanvas().width, window.hexwatch.map.getCanvas().height]);
  assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], canvas, 'the PNG is the map canvas size');
  // Keep it as an artefact, and check its legend and attribution by drawing it in the page.
  const drawn = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = Object.assign(document.createElement('canvas'), { width: img.width, height: img.height });
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    // The legend box (bottom left) is white behind its text; the map is not.
    const px = (x, y) => [...g.getImageData(x, y, 1, 1).data];
    return { legend: px(14, img.height - 80), strip: px(img.width - 4, img.height - 4) };
  }, bytes.toString('base64'));
  assert.deepEqual(drawn.legend.slice(0, 3), [255, 255, 255], 'legend box drawn');
  assert.ok(drawn.strip[0] > 230, 'attribution strip drawn');
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const { ARTIFACTS } = await import('./harness.mjs');
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(`${ARTIFACTS}/export-map-1280x800.png`, bytes);

  const hotspots = await api(hw, 'api/hotspots?method=count&res=9&limit=10000&category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp');
  const cellsCsv = await download(page, () => button('Cells CSV').click());
  assert.equal(cellsCsv.name, 'hexwatch-cells-2025-01-2025-12-bcp-res9.csv');
  const csvLines = readFileSync(cellsCsv.path, 'utf8').trim().split('\n');
  assert.match(csvLines[0], /^rank,h3,res,count,area_km2,density_per_km2_month/);
  assert.equal(csvLines.length - 1, hotspots.features.length);
  assert.match(csvLines[1], /^1,891959710bbffff,9,244,/);

  const cellsGeo = JSON.parse(readFileSync((await download(page, () => button('Cells GeoJSON').click())).path, 'utf8'));
  assert.equal(cellsGeo.type, 'FeatureCollection');
  assert.equal(cellsGeo.features.length, hotspots.features.length);

  const wardsCsv = readFileSync((await download(page, () => button('Wards CSV').click())).path, 'utf8').trim().split('\n');
  assert.match(wardsCsv[0], /^code,name,area_km2,count,density_per_km2_month/);
  assert.equal(wardsCsv.length - 1, 33);
  const wardsGeo = JSON.parse(readFileSync((await download(page, () => button('Wards GeoJSON').click())).path, 'utf8'));
  assert.equal(wardsGeo.features.length, 33);
  assert.deepEqual(errors, []);
  await page.close();
});

test('police.uk data: hour and weekday controls are inert with the reason, and the API refuses them', { skip }, async () => {
  // A link asking for time filters the data cannot answer: they are dropped, not sent.
  const { page, errors } = await openMap(hw, '?category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp&hours=22-3&weekdays=fri,sat');
  const params = new URL(page.url()).searchParams;
  assert.deepEqual([params.get('hours'), params.get('weekdays')], [null, null]);
  assert.equal(await statusError(page), null);
  for (const id of ['#hour', '#hour-to']) assert.equal(await page.locator(id).getAttribute('aria-disabled'), 'true', id);
  assert.equal(await page.locator('#weekdays button[aria-disabled="true"]').count(), 7);
  const note = await page.locator('#time-note').textContent();
  assert.match(note, /police\.uk gives the month only/);
  assert.ok(await page.locator('#time-note').isVisible());
  assert.equal(await page.locator('#fs-flags').isVisible(), false, 'no flags in police.uk data');

  // Neither a click nor the keyboard changes them.
  const before = page.url();
  await page.getByRole('button', { name: 'Fri', exact: true }).click({ force: true }); // force: Playwright waits for aria-disabled controls
  await page.locator('#hour').focus();
  await page.keyboard.press('ArrowDown');
  await waitForMapIdle(page);
  assert.equal(page.url(), before);
  assert.equal(await page.getByRole('button', { name: 'Fri', exact: true }).getAttribute('aria-pressed'), 'false');
  assert.equal(await page.locator('#hour').inputValue(), '0');

  // The summary's hour-of-week part gives the server's reason instead of a grid.
  assert.equal(await page.locator('#sum-week rect.how-cell').count(), 0);
  assert.match(await page.locator('#sum-week [data-testid="how-reason"]').textContent(), /month only/);
  // And the API answers a 400 naming the parameter and the month precision.
  const response = await fetch(new URL('api/summary?category=anti-social-behaviour&hours=22-3', hw.server.url), { headers: partnerHeaders(hw) });
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.equal(body.parameter, 'hours');
  assert.match(body.error, /month/);
  assert.deepEqual(errors, []);
  await page.close();
});
