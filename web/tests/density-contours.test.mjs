// Browser test of the density contours layer: switched on from the layer switcher for ASB
// 2025 in BCP, its legend states the TileJSON's unit and classes, the band drawn at the
// centre of BCP's top cell is "100–300" in the raster's colour for that class, its popup
// names the band, and the source follows the filters.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, openMap, renderedFeatures, screenshot, statusError, useHexwatch, waitForMapIdle } from './harness.mjs';

const hw = useHexwatch();
const skip = hw.skip;

const FILTERS = 'category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp';
const HOT_CELL = '891959710bbffff'; // BCP's top ASB cell at resolution 9 in 2025
const HOT_CELL_CENTRE = { lon: -1.876881565749072, lat: 50.72095104892722 }; // its H3 centre
const MAGMA_8 = ['#fcfdbf', '#fec488', '#fc8961', '#e85362', '#b73779', '#822681', '#51127c', '#221150'];
const UNIT = 'incidents per km² per month';
const hex = ({ r, g, b }) => `#${[r, g, b].map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('')}`;
const rgb = (h) => `rgb(${[1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)).join(', ')})`;

test(`density contours: legend in ${UNIT}; the band at cell ${HOT_CELL}'s centre is 100–300`, { skip }, async () => {
  const tj = await api(hw, `tiles/density-contours?${FILTERS}`);
  assert.equal(tj.vector_layers?.[0]?.id, 'density_contours');
  assert.equal(tj.unit, UNIT);
  assert.deepEqual(tj.legend_breaks, [0.3, 1, 3, 10, 30, 100, 300]);

  // Ward outlines only, centred on the top cell at zoom 14; then the layer switcher.
  const { page, errors } = await openMap(hw, `?${FILTERS}&layers=wards&map=14.00/${HOT_CELL_CENTRE.lat}/${HOT_CELL_CENTRE.lon}`);
  assert.equal(await page.locator('#legend [data-layer="density-contours"]').count(), 0, 'no contour legend while off');
  await page.getByLabel('Density contours', { exact: true }).check();
  await waitForMapIdle(page);
  assert.equal(new URL(page.url()).searchParams.get('layers'), 'wards,density-contours');
  assert.ok((await renderedFeatures(page, ['density-contours-fill'])) > 0, 'bands are drawn');
  assert.ok((await renderedFeatures(page, ['density-contours-line'])) > 0, 'outlines are drawn');

  // The source asks for the page's filters (the same wiring as the density raster).
  const tiles = await page.evaluate(() => window.hexwatch.map.getSource('density-contours').tiles);
  assert.equal(tiles.length, 1);
  assert.match(tiles[0], /\/tiles\/density-contours\/\{z\}\/\{x\}\/\{y\}\?/);
  assert.deepEqual(Object.fromEntries(new URL(tiles[0].replace(/\{(\w)\}/g, '$1')).searchParams),
    { category: 'anti-social-behaviour', from: '2025-01', to: '2025-12', area: 'bcp' });

  // (a) The legend: title, unit, the seven bands (top first) and the kernel's parameters.
  const legend = await page.evaluate(() => {
    const block = document.querySelector('#legend [data-layer="density-contours"]');
    return block && {
      title: block.querySelector('h3').textContent,
      unit: block.querySelector('.legend-unit')?.textContent,
      rows: [...block.querySelectorAll('.legend-classes li')].map((li) => li.querySelector('.legend-label').textContent),
      swatches: [...block.querySelectorAll('.legend-classes .swatch')].map((s) => getComputedStyle(s).backgroundColor),
      text: block.textContent,
    };
  });
  assert.ok(legend, 'the contour legend is shown');
  assert.equal(legend.title, 'Density contours');
  assert.equal(legend.unit, UNIT);
  assert.deepEqual(legend.rows, ['≥ 300', '100 – 300', '30 – 100', '10 – 30', '3 – 10', '1 – 3', '0.3 – 1']);
  assert.deepEqual(legend.swatches, MAGMA_8.slice(1).reverse().map(rgb), 'the raster’s colours for classes 1…7');
  const bandwidth = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(tj.bandwidth_m);
  assert.ok(legend.text.includes(`bandwidth ${bandwidth} m, ArcGIS default`), legend.text);
  assert.doesNotMatch(legend.text, /Computing/);

  // (b) The band drawn at the screen point of the cell's centre.
  const point = await page.evaluate((c) => window.hexwatch.map.project(c), [HOT_CELL_CENTRE.lon, HOT_CELL_CENTRE.lat]);
  const under = await page.evaluate((p) => window.hexwatch.map.queryRenderedFeatures([p.x, p.y], { layers: ['density-contours-fill'] })
    .map((f) => ({
      label: f.properties.label,
      cls: f.properties.class,
      lower: f.properties.lower_per_km2_month,
      upper: f.properties.upper_per_km2_month,
      fill: f.layer.paint['fill-color'], // as evaluated for this feature
    })), point);
  assert.equal(under.length, 1, `one band under the point: ${JSON.stringify(under)}`);
  assert.equal(under[0].label, '100–300');
  assert.deepEqual([under[0].cls, under[0].lower, under[0].upper], [6, 100, 300]);
  assert.equal(hex(under[0].fill), MAGMA_8[6], 'class 6 is filled in the raster’s colour for "100 – 300"');

  // Clicking there opens a popup naming the band.
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + point.x, box.y + point.y);
  const band = page.locator('.maplibregl-popup [data-testid="popup-band"]');
  await band.waitFor();
  assert.equal(await band.textContent(), '100–300');
  assert.match(await page.locator('.maplibregl-popup').textContent(), /incidents per km² per month/);
  assert.equal(new URL(page.url()).searchParams.get('sel'), null, 'a band is not a selection');
  await screenshot(page, 'density-contours-1280x800');

  // A filter change re-points the source at the new selection.
  await page.evaluate(() => window.hexwatch.applyState({ ...window.hexwatch.state, from: '2025-06', to: '2025-08' }));
  await waitForMapIdle(page);
  const after = await page.evaluate(() => window.hexwatch.map.getSource('density-contours').tiles[0]);
  assert.match(after, /from=2025-06&to=2025-08/);
  assert.ok((await renderedFeatures(page, ['density-contours-fill'])) > 0, 'bands are drawn for the new months');

  assert.equal(await statusError(page), null);
  assert.deepEqual(errors, []);
  await page.close();
});
