// Browser tests of the map page (issue 3): run with `node --test web/tests/` after
// `cargo build -p hexwatch`; scripts/test.sh does both. See harness.mjs for the set-up.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { injectAxe, openMap, renderedFeatures, screenshot, statusError, useHexwatch, waitForMapIdle } from './harness.mjs';

const hw = useHexwatch();
const skip = hw.skip;

const HOT_CELL = '891959710bbffff'; // BCP's top ASB cell at resolution 9 in 2025: 244 incidents
const HOT_CELL_CENTRE = [-1.87688, 50.72095];
const ASB_2025_RES9 = '?category=anti-social-behaviour&from=2025-01&to=2025-12&area=all&res=9';

/** The cells drawn in view, as a sorted "h3=count" list (features repeat across tiles). */
const drawnCells = (page) => page.evaluate(() => {
  const cells = new Map();
  for (const f of window.hexwatch.map.queryRenderedFeatures({ layers: ['cells-fill'] })) cells.set(f.properties.h3, f.properties.count);
  return [...cells].map(([h3, n]) => `${h3}=${n}`).sort();
});

test('the page loads with no console errors', { skip }, async () => {
  const { page, errors } = await openMap(hw, '');
  assert.deepEqual(errors, [], 'console or page errors');
  assert.equal(await statusError(page), null, 'the status bar shows an error');
  // The default view: ASB and violence in BCP over every month, and the summary filled in.
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('area'), 'bcp');
  assert.match(await page.locator('#sum-incidents').textContent(), /^\d{1,3}(,\d{3})*$/);
  await page.close();
});

test('hexagons render', { skip }, async () => {
  const { page, errors } = await openMap(hw, '');
  const n = await renderedFeatures(page, ['cells-fill']);
  assert.ok(n > 0, `rendered cell features: ${n}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test(`ASB 2025-01..2025-12 at resolution 9: clicking cell ${HOT_CELL} shows 244`, { skip }, async () => {
  const { page, errors } = await openMap(hw, ASB_2025_RES9);
  await page.evaluate((centre) => window.hexwatch.map.jumpTo({ center: centre, zoom: 14 }), HOT_CELL_CENTRE);
  await waitForMapIdle(page);
  const point = await page.evaluate((centre) => window.hexwatch.map.project(centre), HOT_CELL_CENTRE);
  const under = await page.evaluate((p) => window.hexwatch.map.queryRenderedFeatures([p.x, p.y], { layers: ['cells-fill'] })
    .map((f) => f.properties.h3), point);
  assert.deepEqual(under, [HOT_CELL], 'the cell drawn at its centre');

  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + point.x, box.y + point.y);
  const popupCount = page.locator('.maplibregl-popup [data-testid="popup-count"]');
  await popupCount.waitFor();
  assert.equal(await popupCount.textContent(), '244', 'the popup shows the raw count');
  const detailCount = page.locator('#detail [data-testid="detail-count"]');
  await detailCount.waitFor();
  assert.equal(await detailCount.textContent(), '244', 'the details panel shows the count');
  assert.equal(await page.locator('#detail-title').textContent(), HOT_CELL);
  assert.match(await page.locator('#detail-body').textContent(), /On or near/, 'top location descriptions');
  assert.equal(new URL(page.url()).searchParams.get('sel'), `cell:${HOT_CELL}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('changing a filter changes what is rendered and the URL, and reloading that URL restores it', { skip }, async () => {
  // An explicit view, so the reloaded page has exactly the same camera.
  const { page, errors } = await openMap(hw, '?map=12.00/50.72500/-1.88000');
  const before = await drawnCells(page);
  const urlBefore = page.url();
  assert.ok(before.length > 0);

  // Untick violence (a real click on the label) and take three months off the end by keyboard.
  await page.getByLabel('Violence and sexual offences').click();
  await waitForMapIdle(page);
  await page.locator('#month-to').focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
  await waitForMapIdle(page);

  const after = await drawnCells(page);
  const urlAfter = page.url();
  assert.notDeepEqual(after, before, 'the cells drawn changed');
  assert.notEqual(urlAfter, urlBefore);
  const params = new URL(urlAfter).searchParams;
  assert.equal(params.get('category'), 'anti-social-behaviour');
  assert.equal(params.get('from'), '2025-01');
  assert.equal(params.get('to'), '2025-09');
  const summaryAfter = await page.locator('#sum-incidents').textContent();

  await page.reload({ waitUntil: 'domcontentloaded' });
  await waitForMapIdle(page);
  assert.equal(page.url(), urlAfter, 'the URL survives the reload');
  assert.deepEqual(await drawnCells(page), after, 'the same cells with the same counts');
  assert.equal(await page.getByLabel('Violence and sexual offences').isChecked(), false);
  assert.equal(await page.getByLabel('Anti-social behaviour').isChecked(), true);
  assert.equal(await page.locator('#month-range-label').textContent(), 'Jan – Sept 2025 · 9 months');
  assert.equal(await page.locator('#sum-incidents').textContent(), summaryAfter);
  assert.deepEqual(errors, []);
  await page.close();
});

test('every control is reachable by Tab', { skip }, async () => {
  const { page, errors } = await openMap(hw, '');
  // Every visible, enabled control, tagged so that focus can be recognised.
  const controls = await page.evaluate(() => {
    const selector = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
    return [...document.querySelectorAll(selector)]
      // checkVisibility: rendered, so not display:none, not in a closed <details>, not visibility:hidden.
      .filter((e) => !e.disabled && e.checkVisibility({ checkVisibilityCSS: true }))
      .map((e, i) => {
        e.dataset.tabProbe = String(i);
        return `${e.tagName.toLowerCase()}#${e.id || ''} "${(e.getAttribute('aria-label') || e.textContent || e.value || '').trim().slice(0, 40)}"`;
      });
  });
  assert.ok(controls.length > 30, `found ${controls.length} controls`);
  const reached = new Set();
  await page.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < controls.length + 15; i++) {
    await page.keyboard.press('Tab');
    const probe = await page.evaluate(() => document.activeElement?.dataset?.tabProbe ?? null);
    if (probe !== null) reached.add(Number(probe));
  }
  const missed = controls.filter((_, i) => !reached.has(i));
  assert.deepEqual(missed, [], 'controls Tab never reaches');
  // Focus must be visible: the focused control draws an outline or a ring.
  await page.locator('#area').focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  });
  assert.ok(ring, 'a keyboard-focused control shows a focus outline');
  assert.deepEqual(errors, []);
  await page.close();
});

test('axe-core reports no serious or critical violations', { skip }, async () => {
  const { page, errors } = await openMap(hw, `${ASB_2025_RES9}&sel=cell:${HOT_CELL}&map=14.00/50.72095/-1.87688`);
  await page.locator('#detail [data-testid="detail-count"]').waitFor();
  await injectAxe(page);
  const run = () => page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('; ')})`);
  });
  assert.deepEqual(await run(), [], 'with the details panel open');
  await page.locator('#detail-close').click();
  await page.locator('#top-cells-box summary').click();
  assert.deepEqual(await run(), [], 'with the details closed and the busiest cells open');
  assert.deepEqual(errors, []);
  await page.close();
});

test('screenshots at 1280×800 and 1024×768 are written as test artefacts', { skip }, async () => {
  const views = {
    default: '',
    filtered: `?category=anti-social-behaviour&from=2025-06&to=2025-08&area=ward:E05012653&res=9&layers=wards,cells`
      + `&sel=cell:${HOT_CELL}&map=14.20/50.72095/-1.87500`,
  };
  for (const [width, height] of [[1280, 800], [1024, 768]]) {
    for (const [name, query] of Object.entries(views)) {
      const { page, errors } = await openMap(hw, query, { viewport: { width, height } });
      if (name === 'filtered') await page.locator('#detail [data-testid="detail-count"]').waitFor();
      await waitForMapIdle(page);
      const path = await screenshot(page, `${name}-${width}x${height}`);
      assert.ok(statSync(path).size > 20_000, `${path} looks empty`);
      assert.deepEqual(errors, []);
      await page.close();
    }
  }
});
