// Partner data in the browser: the Chicago aggravated assaults (minute timestamps in local
// wall-clock time, flag "residence") ingested alone into a fresh store and served with
// --no-auto-ingest. Through the page's own controls: Friday + Saturday and 22:00–03:00, then
// the flag; the totals shown are checked against counts this file makes from the CSV itself
// (and that count against the outside reference fixture), and the hour-of-week grids
// against the filters.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { api, injectAxe, openMap, REPO, renderedFeatures, screenshot, statusError, useHexwatch, waitForMapIdle } from './harness.mjs';

const DIR = 'data/chicago-aggravated-assaults-2010-2019';
const CSV = `${DIR}/chicago_aggravated_assaults.csv.gz`;
const FIXTURE = JSON.parse(readFileSync(join(REPO, 'tests/fixtures/partner/chicago_fri_sat_22_03.json'), 'utf8'));

const hw = useHexwatch({ serveArgs: ['--no-auto-ingest'], ingestArgs: [['--mapping', `${DIR}/mapping.toml`, CSV]] });
const skip = hw.skip;
const fmt = (n) => new Intl.NumberFormat('en-GB').format(n);

/**
 * The CSV's rows as { weekday (Monday = 0), hour, loc }. `date` is Chicago wall-clock time
 * ("2010-01-01 00:05", no offset): the weekday and hour are those of the text itself, so the
 * date is read as a calendar date (UTC arithmetic only names the weekday, no zone involved).
 */
function csvRows() {
  const lines = gunzipSync(readFileSync(join(REPO, CSV))).toString('utf8').split('\n');
  const header = lines[0].split(',');
  const [iDate, iLoc] = [header.indexOf('date'), header.indexOf('loc_cat')];
  assert.ok(iDate >= 0 && iLoc >= 0, `unexpected header ${lines[0]}`);
  const rows = [];
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const f = line.split(',');
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/.exec(f[iDate]);
    assert.ok(m, `unexpected date ${f[iDate]}`);
    const sundayFirst = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDay();
    rows.push({ weekday: (sundayFirst + 6) % 7, hour: Number(m[4]), loc: f[iLoc] });
  }
  return rows;
}

const FRI = 4;
const SAT = 5;
const NIGHT = [22, 23, 0, 1, 2]; // hours=22-3: from 22:00 up to 03:00
const inWindow = (r) => (r.weekday === FRI || r.weekday === SAT) && NIGHT.includes(r.hour);

test('Chicago: Friday–Saturday 22:00–03:00 from the controls shows the count computed from the CSV', { skip }, async () => {
  const rows = csvRows();
  assert.equal(rows.length, 148_636);
  const expected = rows.filter(inWindow).length;
  assert.equal(expected, FIXTURE.all_rows, 'the CSV count agrees with the outside reference fixture');
  assert.equal(expected, 12_317);

  const { page, errors } = await openMap(hw, '');
  assert.equal(await statusError(page), null);
  // No incident in the BCP wards: no area filter, and the map opens on the data.
  assert.equal(new URL(page.url()).searchParams.get('area'), 'all');
  assert.deepEqual(await page.locator('#area option').evaluateAll((o) => o.map((x) => x.value)), ['all']);
  const centre = await page.evaluate(() => window.hexwatch.map.getCenter().toArray());
  assert.ok(Math.abs(centre[0] + 87.7) < 0.3 && Math.abs(centre[1] - 41.85) < 0.3, `map centre ${centre} is not on Chicago`);
  assert.ok((await renderedFeatures(page, ['cells-fill'])) > 0, 'cells drawn over Chicago');
  assert.equal(await page.locator('#sum-incidents').textContent(), fmt(rows.length));

  // Minute precision: the controls are live, and the reason note is gone.
  assert.equal(await page.locator('#hour').getAttribute('aria-disabled'), null);
  assert.equal(await page.locator('#weekdays button[data-day="4"]').getAttribute('aria-disabled'), null);
  assert.doesNotMatch(await page.locator('#time-note').textContent(), /Unavailable/);

  // Friday and Saturday, then 22:00 until 03:00, all by the page's own controls.
  await page.getByRole('button', { name: 'Fri', exact: true }).click();
  await waitForMapIdle(page);
  await page.getByRole('button', { name: 'Sat', exact: true }).click();
  await waitForMapIdle(page);
  await page.getByLabel('Hours from').selectOption('22');
  await waitForMapIdle(page);
  await page.getByLabel('until').selectOption('3');
  await waitForMapIdle(page);

  assert.equal(await page.getByRole('button', { name: 'Fri', exact: true }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.getByRole('button', { name: 'Sun', exact: true }).getAttribute('aria-pressed'), 'false');
  assert.equal(await page.locator('#hour-range-label').textContent(), '22:00 – 03:00 (over midnight) · 5 hours');
  const params = new URL(page.url()).searchParams;
  assert.deepEqual([params.get('hours'), params.get('weekdays')], ['22-3', 'fri,sat']);
  assert.equal(await page.locator('#sum-incidents').textContent(), fmt(expected), 'the summary total');
  assert.match(await page.locator('#sum-desc').textContent(), /Fri, Sat · 22:00–03:00/);
  // Every layer's requests carry the same filters.
  const tiles = await page.evaluate(() => window.hexwatch.map.getSource('cells').tiles[0]);
  assert.match(tiles, /[?&]hours=22-3&weekdays=fri,sat(&|$)/);
  assert.ok((await renderedFeatures(page, ['cells-fill'])) > 0);

  // The hour-of-week grid: 168 cells, counts only in the chosen hours, summing to the total.
  const grid = page.locator('#sum-week [data-testid="hour-of-week"] rect.how-cell');
  assert.equal(await grid.count(), 168);
  const counts = await grid.evaluateAll((cells) => cells.map((c) => Number(c.dataset.count)));
  const byBin = new Array(168).fill(0);
  for (const r of rows) if (inWindow(r)) byBin[r.weekday * 24 + r.hour] += 1;
  assert.deepEqual(counts, byBin, 'the grid shows the CSV counts per weekday and hour');
  assert.match(await page.locator('#sum-week figure').getAttribute('aria-label'), /busiest (Friday|Saturday) /);

  // The flag: residences only (any of the ticked flags).
  const flag = page.getByLabel('residence');
  assert.ok(await flag.isVisible());
  await flag.check();
  await waitForMapIdle(page);
  const residence = rows.filter((r) => inWindow(r) && r.loc === 'residence').length;
  assert.equal(new URL(page.url()).searchParams.get('flag'), 'residence');
  assert.equal(await page.locator('#sum-incidents').textContent(), fmt(residence));
  const summary = await api(hw, 'api/summary?category=violent-crime&from=2010-01&to=2019-12&hours=22-3&weekdays=fri,sat&flag=residence&area=all');
  assert.equal(summary.incidents, residence);
  assert.match(await page.evaluate(() => window.hexwatch.map.getSource('cells').tiles[0]), /&flag=residence(&|$)/);

  // A reload restores the controls from the URL.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await waitForMapIdle(page);
  assert.equal(await page.locator('#hour').inputValue(), '22');
  assert.equal(await page.locator('#hour-to').inputValue(), '3');
  assert.equal(await page.getByRole('button', { name: 'Sat', exact: true }).getAttribute('aria-pressed'), 'true');
  assert.equal(await flag.isChecked(), true);
  assert.equal(await page.locator('#sum-incidents').textContent(), fmt(residence));
  await flag.uncheck();
  await waitForMapIdle(page);
  assert.equal(await page.locator('#sum-incidents').textContent(), fmt(expected));

  // A cell's details card has its own hour-of-week grid, matching /api/cells/{h3}.
  const top = await page.locator('#top-cells button').first();
  await page.locator('#top-cells-box summary').click();
  await top.click();
  await page.locator('#detail [data-testid="detail-count"]').waitFor();
  await waitForMapIdle(page);
  const h3 = await page.locator('#detail-title').textContent();
  const cell = await api(hw, `api/cells/${h3}?category=violent-crime&from=2010-01&to=2019-12&hours=22-3&weekdays=fri,sat&area=all`);
  assert.equal(cell.hour_of_week.available, true);
  const detailGrid = page.locator('#detail [data-testid="hour-of-week"] rect.how-cell');
  assert.equal(await detailGrid.count(), 168);
  assert.deepEqual(await detailGrid.evaluateAll((cells) => cells.map((c) => Number(c.dataset.count))), cell.hour_of_week.bins);
  assert.equal(await page.locator('#detail [data-testid="detail-count"]').textContent(), fmt(cell.count));
  await screenshot(page, 'partner-chicago-1280x800');

  // The live controls and both grids pass axe-core too.
  await injectAxe(page);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('; ')}`));
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});
