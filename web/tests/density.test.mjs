// Browser test of the kernel density layer: its legend states the TileJSON's unit and
// bandwidth, and the map pixel over the density peak is drawn in the top class present.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, openMap, screenshot, statusError, useHexwatch, waitForMapIdle } from './harness.mjs';

const hw = useHexwatch();
const skip = hw.skip;

const FILTERS = 'category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp';
const PEAK = { lat: 50.7199, lon: -1.8776 }; // Bournemouth Central, ASB 2025's density peak
const MAGMA_8 = ['#fcfdbf', '#fec488', '#fc8961', '#e85362', '#b73779', '#822681', '#51127c', '#221150'];
const TILE_ALPHA = 230 / 255; // the server's PNG alpha

const parse = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const classOf = (value, breaks) => breaks.filter((b) => value >= b).length;

test('kernel density: legend states unit and bandwidth; the peak pixel is in the top class present', { skip }, async () => {
  const tj = await api(hw, `tiles/density?${FILTERS}`);
  assert.equal(tj.unit, 'incidents per km² per month');
  const peak = tj.peak_density_per_km2_month;
  assert.ok(peak > 100 && peak < 300, `peak ${peak}`);
  const top = classOf(peak, tj.legend_breaks);
  assert.equal(top, 6, 'the peak falls in class "100 – 300"');

  // Only the density layer, centred on the peak at zoom 14.
  const { page, errors } = await openMap(hw, `?${FILTERS}&layers=density&map=14.00/${PEAK.lat}/${PEAK.lon}`);

  // (a) The legend: title, unit, classes and the kernel's parameters.
  const legend = await page.evaluate(() => {
    const block = document.querySelector('#legend [data-layer="density"]');
    return block && {
      title: block.querySelector('h3').textContent,
      unit: block.querySelector('.legend-unit')?.textContent,
      rows: [...block.querySelectorAll('.legend-classes li')].map((li) => li.querySelector('.legend-label').textContent),
      text: block.textContent,
    };
  });
  assert.ok(legend, 'the density legend is shown');
  assert.equal(legend.title, 'Kernel density');
  assert.equal(legend.unit, 'incidents per km² per month');
  assert.deepEqual(legend.rows, ['≥ 300', '100 – 300', '30 – 100', '10 – 30', '3 – 10', '1 – 3', '0.3 – 1', '< 0.3']);
  const bandwidth = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(tj.bandwidth_m);
  assert.ok(legend.text.includes(`bandwidth ${bandwidth} m, ArcGIS default`), legend.text);
  assert.match(legend.text, /Quartic kernel/);
  assert.match(legend.text, /cell size \d+(\.\d)? m/);
  assert.match(legend.text, /Peak 122\.\d per km² per month/);

  // (b) The pixel at the map centre, read from the canvas (preserveDrawingBuffer is on).
  await page.evaluate(([lon, lat]) => window.hexwatch.map.jumpTo({ center: [lon, lat], zoom: 14 }), [PEAK.lon, PEAK.lat]);
  await waitForMapIdle(page);
  const { pixel, background, opacity, visible } = await page.evaluate(() => {
    const { map } = window.hexwatch;
    const canvas = map.getCanvas();
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const g = copy.getContext('2d');
    g.drawImage(canvas, 0, 0);
    const d = g.getImageData(Math.floor(canvas.width / 2), Math.floor(canvas.height / 2), 1, 1).data;
    return {
      pixel: [d[0], d[1], d[2]],
      background: map.getPaintProperty('background', 'background-color'),
      opacity: map.getPaintProperty('density-raster', 'raster-opacity'),
      visible: map.getStyle().layers.filter((l) => l.layout?.visibility !== 'none' && l.id !== 'background').map((l) => l.id),
    };
  });
  assert.deepEqual(visible, ['density-raster'], 'only the density layer is drawn');
  // Each class colour as it shows over the background (tile alpha × layer opacity).
  const bg = parse(background);
  const a = TILE_ALPHA * opacity;
  const shown = MAGMA_8.map((c) => parse(c).map((v, i) => a * v + (1 - a) * bg[i]));
  const dist = shown.map((c) => Math.hypot(...c.map((v, i) => v - pixel[i])));
  const nearest = dist.indexOf(Math.min(...dist));
  assert.equal(MAGMA_8[nearest], MAGMA_8[top], `pixel rgb(${pixel}) is nearest ${MAGMA_8[nearest]}; distances ${dist.map((x) => x.toFixed(0))}`);
  assert.ok(dist[nearest] < 12, `pixel rgb(${pixel}) within 12 of the blended ${MAGMA_8[top]}`);

  await screenshot(page, 'density-1280x800');
  assert.equal(await statusError(page), null);
  assert.deepEqual(errors, []);
  await page.close();
});
