// The optional basemap (`hexwatch serve --basemap-style-url URL`, /api/meta basemap_style_url):
// the page uses that style and adds its own sources and layers on top. The fixture style is
// served by the hexwatch server itself from web/tests/fixtures/, so no network is needed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, openMap, renderedFeatures, screenshot, useHexwatch } from './harness.mjs';

const STYLE = '/tests/fixtures/basemap-style.json';
const hw = useHexwatch({ serveArgs: ['--basemap-style-url', STYLE] });

test('with a basemap style URL, hexwatch layers draw on top of the basemap', { skip: hw.skip }, async () => {
  assert.equal((await api(hw, 'api/meta')).basemap_style_url, STYLE);
  const { page, errors } = await openMap(hw, '?map=11.00/50.73000/-1.89000');
  const layers = await page.evaluate(() => window.hexwatch.map.getStyle().layers.map((l) => l.id));
  assert.deepEqual(layers.slice(0, 2), ['basemap-background', 'basemap-sea'], 'the basemap is at the bottom');
  assert.ok(layers.indexOf('cells-fill') > layers.indexOf('basemap-sea'));
  assert.ok((await renderedFeatures(page, ['cells-fill'])) > 0);
  assert.ok((await renderedFeatures(page, ['basemap-sea'])) > 0);
  // No white land fill over the basemap; the basemap's attribution is shown.
  assert.equal(await page.evaluate(() => window.hexwatch.map.getPaintProperty('wards-hit', 'fill-opacity')), 0);
  assert.match(await page.locator('.maplibregl-ctrl-attrib-inner').textContent(), /Test basemap/);
  await screenshot(page, 'basemap-1280x800');
  assert.deepEqual(errors, []);
  await page.close();
});
