// Browser test of the "Patrol areas" layer (issue 8): with layers=patrol the map draws the
// server's plan (five areas), the legend lists them with the guidance and the note that the
// shift windows could not be used on month-only data is absent without windows; the
// sheet export is offered; the evaluation box shows the backtest chart when opened.
// Screenshots: web/tests/artifacts/patrol-layer.png, evaluation-panel.png.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { api, ARTIFACTS, openMap, renderedFeatures, screenshot, statusError, useHexwatch } from './harness.mjs';

const hw = useHexwatch();
const skip = hw.skip;

const FILTERS = 'category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp';

test('patrol layer draws the plan with its legend and guidance', { skip }, async () => {
  const plan = await api(hw, `api/patrol-plan?${FILTERS}&areas=5`);
  assert.equal(plan.features.length, 5);
  const { page, errors } = await openMap(hw, `?${FILTERS}&layers=wards,patrol&map=13.00/50.7215/-1.8723`);
  assert.equal(await statusError(page), null);
  assert.ok(await renderedFeatures(page, ['patrol-fill']) > 0, 'patrol areas drawn');
  const legend = await page.evaluate(() => document.querySelector('#legend [data-layer="patrol"]')?.textContent || '');
  assert.match(legend, /Patrol areas/);
  assert.match(legend, /Area 1/);
  assert.match(legend, /10–15 minutes/);
  assert.match(legend, new RegExp(`of ${plan.total_incidents.toLocaleString('en-GB')} incidents`));
  const exportsText = await page.evaluate(() => document.body.textContent);
  assert.match(exportsText, /Patrol sheet \(HTML, A4\)/);
  await screenshot(page, 'patrol-layer');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the evaluation box shows the backtest chart when opened', { skip }, async () => {
  const { page, errors } = await openMap(hw, `?${FILTERS}`);
  await page.click('#evaluation-box summary');
  await page.waitForFunction(() => /Mean PAI at 3 %/.test(document.getElementById('evaluation-text').textContent), null, { timeout: 120_000 });
  await page.waitForFunction(() => {
    const img = document.getElementById('evaluation-chart');
    return !img.hidden && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 120_000 });
  const text = await page.textContent('#evaluation-text');
  for (const m of ['h3-counts', 'kde', 'gi-star', 'last-month', 'patrol-plan']) assert.match(text, new RegExp(m));
  await page.locator('#evaluation').screenshot({ path: join(ARTIFACTS, 'evaluation-panel.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
