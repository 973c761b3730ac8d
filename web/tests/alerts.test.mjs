// Browser test of the alerts panel, the "Alert areas" layer and the live updates (issue
// "Live ingest and hotspot alerts", item 4). The server runs on the shipped Dorset data
// with a write token. The panel lists the stored alerts (the count test's 11 of July 2025,
// 17 in all); then 30 anti-social behaviour incidents are POSTed into one quiet
// resolution-9 cell in December 2025, and within a generous timeout the page (a) receives
// the alert over SSE and lists it as new, (b) has reloaded its tiles (the cell's count
// drawn on the map rises by 30, as does the summary) and (c) draws the alert's polygon.
// A second test acknowledges an alert through the page's dialog with the token, which the
// page does not keep.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertType } from '../lib/alerts.js';
import { api, openMap, postIncidents, renderedFeatures, screenshot, useHexwatch, waitForMapIdle } from './harness.mjs';

const hw = useHexwatch({ writeToken: true });
const { skip } = hw;

// A cell with one anti-social behaviour incident in 2025 (August), none in December.
const CELL = '8919590d2c3ffff';
// Inside it: the mean of its six boundary vertices (its /api/hotspots geometry), which for
// an H3 hexagon is its centre to a few metres. The test checks the POST landed in the cell.
const LON = -1.696908;
const LAT = 50.740627;
const ALERT = `${CELL}:anti-social-behaviour:2025-12`;
const ASB = 'category=anti-social-behaviour&from=2025-01&to=2025-12';
const LIVE_MS = 60_000; // generous: the POST rebuilds the table and recomputes every alert

/** The `count` of CELL as drawn by the cells layer (from the tiles on screen), or null. */
const drawnCount = (page) => page.evaluate((h3) => {
  const f = window.hexwatch.map.queryRenderedFeatures({ layers: ['cells-fill'] }).find((x) => x.properties.h3 === h3);
  return f ? Number(f.properties.count) : null;
}, CELL);

const shownCount = async (page) => Number(await page.locator('#alerts-count').getAttribute('data-count'));
const listedIds = (page) => page.locator('#alerts-list li[data-id]').evaluateAll((lis) => lis.map((li) => li.dataset.id));
const incidents = async (page) => Number((await page.locator('#sum-incidents').textContent()).replace(/,/g, ''));

test('alerts panel lists the stored alerts; a POSTed spike arrives live with its alert, fresh tiles and polygon', { skip, timeout: 400_000 }, async () => {
  // The API's alerts of July 2025: the count test raised 11 (the server may add emerging
  // hot-spot transitions besides, which the panel's "Test" filter tells apart).
  const july = (await api(hw, '/api/alerts?period=2025-07')).features.map((f) => f.properties);
  const julyCount = july.filter((a) => alertType(a) === 'count').map((a) => a.id).sort();
  assert.equal(julyCount.length, 11);
  assert.ok(julyCount.includes('E05012653:drugs:2025-07') && julyCount.includes('8919597a6d3ffff:anti-social-behaviour:2025-07'));
  const everyCount = (await api(hw, '/api/alerts')).features.map((f) => f.properties).filter((a) => alertType(a) === 'count');
  assert.equal(everyCount.length, 17);

  const { page, errors } = await openMap(hw, `?${ASB}&area=bcp&res=9&layers=wards,cells,alerts&map=14.00/${LAT}/${LON}`);
  await page.waitForFunction(() => document.getElementById('live').dataset.state === 'connected', null, { timeout: LIVE_MS });
  assert.match(await page.locator('#live').textContent(), /Live updates on/);

  // The panel, filtered to July 2025, any status, the count test: the API's 11.
  await page.selectOption('#alert-status', '');
  await page.selectOption('#alert-period', '2025-07');
  await page.selectOption('#alert-type', 'count');
  assert.equal(await shownCount(page), 11);
  assert.deepEqual((await listedIds(page)).sort(), julyCount);
  assert.match(await page.locator('#alerts-count').textContent(), /^11 alerts \(count above baseline\) for July 2025$/);
  const drugs = await page.locator('#alerts-list li[data-id="E05012653:drugs:2025-07"]').textContent();
  assert.match(drugs, /Drugs · Jul 2025/);
  assert.match(drugs, /Ward: Bournemouth Central/);
  assert.match(drugs, /52 vs 16 expected \(×3\.25\)/);
  assert.match(drugs, /q = /);
  assert.match(drugs, /expired/);
  const cellItem = await page.locator('#alerts-list li[data-id="8919597a6d3ffff:anti-social-behaviour:2025-07"]').textContent();
  assert.match(cellItem, /Anti-social behaviour · Jul 2025/);
  assert.match(cellItem, /Cell 8919597a6d3ffff \(/, 'a cell names the ward it lies in');
  // Every period: the 17 of the count test.
  await page.selectOption('#alert-period', '');
  assert.equal(await shownCount(page), 17);

  // The default view: open alerts, both tests, every period; the December alert is not there yet.
  await page.selectOption('#alert-status', 'open');
  await page.selectOption('#alert-type', '');
  const openApi = (await api(hw, '/api/alerts?status=open')).features.length;
  assert.equal(await shownCount(page), openApi);
  assert.equal(await page.locator(`#alerts-list li[data-id="${ALERT}"]`).count(), 0);
  assert.equal(await page.locator('#alerts-new').isHidden(), true);

  // Before: the cell's count on the map equals the API's (1, in August).
  const before = (await api(hw, `/api/cells/${CELL}?${ASB}`)).count;
  assert.equal(before, 1);
  assert.equal(await drawnCount(page), before);
  const summaryBefore = await incidents(page);
  const versionBefore = (await api(hw, '/api/meta')).data_version;

  // 30 incidents into the cell in December 2025, through the API with the token.
  const rows = Array.from({ length: 30 }, (_, i) => ({
    reference: `alerts-test-${i + 1}`, category: 'Anti-social behaviour', time: '2025-12', lon: LON, lat: LAT,
  }));
  const { status, body } = await postIncidents(hw, rows, { source: 'alerts-test', batch: 'asb-spike' });
  assert.equal(status, 201, JSON.stringify(body));
  assert.equal(body.accepted, 30);
  assert.deepEqual(body.rejected, []);
  assert.ok(body.new_alerts.includes(ALERT), `new_alerts: ${body.new_alerts.join(', ')}`);
  assert.ok(body.data_version > versionBefore);
  assert.equal((await api(hw, `/api/cells/${CELL}?${ASB}`)).count, before + 30, 'the 30 incidents lie in the cell');

  // (a) The alert arrives over SSE: listed at once, marked new (only live alerts get the mark).
  await page.waitForSelector(`#alerts-list li[data-id="${ALERT}"] .alert-new`, { timeout: LIVE_MS });
  const item = await page.locator(`#alerts-list li[data-id="${ALERT}"]`).textContent();
  assert.match(item, /New Anti-social behaviour · Dec 2025/);
  assert.match(item, new RegExp(`Cell ${CELL}`));
  assert.match(item, /30 vs 0\.17 expected \(×180\)/);
  assert.match(item, /open/);
  assert.match(await page.locator('#alerts-new').textContent(), /^\d+ new$/);
  // Newest first: the live alerts head the list.
  const firstIds = (await listedIds(page)).slice(0, body.new_alerts.length);
  assert.ok(firstIds.includes(ALERT), `first ids: ${firstIds.join(', ')}`);

  // (b) The tiles were reloaded on `data-version`: the drawn count rose by 30, and so did the summary.
  await page.waitForFunction(([h3, want]) => {
    const f = window.hexwatch.map.queryRenderedFeatures({ layers: ['cells-fill'] }).find((x) => x.properties.h3 === h3);
    return f && Number(f.properties.count) === want;
  }, [CELL, before + 30], { timeout: LIVE_MS });
  await waitForMapIdle(page);
  assert.equal(await drawnCount(page), before + 30);
  await page.waitForFunction((want) => Number(document.getElementById('sum-incidents').textContent.replace(/,/g, '')) === want,
    summaryBefore + 30, { timeout: LIVE_MS });
  assert.match(await page.locator('#data-version').textContent(), new RegExp(`Data version ${body.data_version}`));

  // (c) The alert's polygon is drawn by the alert layer, once its geometry has been fetched.
  await page.waitForFunction((id) => window.hexwatch.map.queryRenderedFeatures({ layers: ['alerts-line'] })
    .some((f) => f.properties.id === id), ALERT, { timeout: LIVE_MS });
  const drawn = await page.evaluate((id) => window.hexwatch.map.queryRenderedFeatures({ layers: ['alerts-line'] })
    .filter((f) => f.properties.id === id).map((f) => f.properties.fresh), ALERT);
  assert.ok(drawn.length > 0 && drawn.every((fresh) => fresh === true), 'drawn as a new alert');
  assert.match(await page.locator('#legend [data-layer="alerts"]').textContent(), /New since the page opened: \d+/);

  // Choosing it in the panel: the map flies to it, the polygon is highlighted, the details card opens.
  await page.locator(`#alerts-list li[data-id="${ALERT}"] button`).click();
  await waitForMapIdle(page);
  assert.equal(new URL(page.url()).searchParams.get('sel'), `alert:${ALERT}`);
  assert.ok((await renderedFeatures(page, ['alert-selected-line'])) > 0, 'the chosen alert is outlined');
  const centre = await page.evaluate(() => window.hexwatch.map.getCenter());
  assert.ok(Math.abs(centre.lng - LON) < 0.01 && Math.abs(centre.lat - LAT) < 0.01, `map centred near the cell: ${centre.lng}, ${centre.lat}`);
  assert.match(await page.locator('#detail-title').textContent(), /Anti-social behaviour · Dec 2025/);
  const facts = await page.locator('#detail-body .facts').textContent();
  assert.match(facts, /Observed30 vs 0\.17 expected/);
  assert.match(facts, /Statusopen/);
  assert.equal(await page.locator('[data-testid="detail-count"]').textContent(), String(before + 30));
  assert.equal(await page.locator(`#alerts-list li[data-id="${ALERT}"] .alert-new`).count(), 0, 'opened: no longer new');
  await screenshot(page, 'alerts-1280x800');

  // A reload restores the chosen alert from the URL.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await waitForMapIdle(page);
  assert.match(await page.locator('#detail-title').textContent(), /Anti-social behaviour · Dec 2025/);
  assert.ok((await renderedFeatures(page, ['alert-selected-line'])) > 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('acknowledging an alert asks for the token each time and never keeps it', { skip, timeout: 200_000 }, async () => {
  const open = (await api(hw, '/api/alerts?status=open')).features.map((f) => f.properties);
  const target = open.find((a) => a.kind === 'ward') || open[0];
  assert.ok(target, 'an open alert to acknowledge');
  const { page, errors } = await openMap(hw, `?sel=alert:${target.id}`);
  await page.getByRole('button', { name: 'Acknowledge or close…' }).click();
  assert.equal(await page.locator('#ack-dialog').getAttribute('open'), '');

  // A wrong token is refused, and the field is emptied.
  await page.locator('#ack-note').fill('Checked with the neighbourhood team.');
  await page.locator('#ack-token').fill('not-the-token-0000000000');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(() => document.getElementById('ack-error').textContent !== '');
  assert.match(await page.locator('#ack-error').textContent(), /Not accepted: invalid bearer token/);
  assert.equal(await page.locator('#ack-token').inputValue(), '');

  await page.locator('#ack-token').fill(hw.server.token);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(() => !document.getElementById('ack-dialog').open);
  await waitForMapIdle(page);
  const stored = (await api(hw, '/api/alerts?status=acknowledged')).features.map((f) => f.properties).find((a) => a.id === target.id);
  assert.ok(stored, 'the server has it acknowledged');
  assert.equal(stored.note, 'Checked with the neighbourhood team.');
  await page.waitForFunction((id) => document.querySelector(`#alerts-list li[data-id="${id}"]`) === null, target.id); // left the open list
  await page.selectOption('#alert-status', 'acknowledged');
  assert.match(await page.locator(`#alerts-list li[data-id="${target.id}"]`).textContent(), /acknowledged/);
  assert.match(await page.locator('#detail-body .facts').textContent(), /Statusacknowledged — Checked with the neighbourhood team\./);

  // The token is nowhere the page keeps things.
  const kept = await page.evaluate(() => JSON.stringify([location.href, document.cookie, { ...localStorage }, { ...sessionStorage },
    document.getElementById('ack-token').value]));
  assert.ok(!kept.includes(hw.server.token), 'the token is not kept');
  assert.deepEqual(errors.filter((e) => !/401/.test(e)), [], 'no error besides the refused token’s 401');
  await page.close();
});
