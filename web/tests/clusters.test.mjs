// Browser test of the "Clusters (DBSCAN)" layer (issue 9): switched on from the layer
// switcher for ASB 2025 in BCP, its source asks the server's clusters tiles with the page's
// filters and eps 100 m / min points 10, the legend states eps and min points with the
// TileJSON's counts, cluster outlines are drawn, and clicking inside one opens a popup whose
// count is that cluster's in the tile. Screenshot: web/tests/artifacts/clusters-1280x800.png.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, openMap, renderedFeatures, screenshot, statusError, useHexwatch, waitForMapIdle } from './harness.mjs';

const hw = useHexwatch();
const skip = hw.skip;

const FILTERS = 'category=anti-social-behaviour&from=2025-01&to=2025-12&area=bcp';
const PARAMS = 'method=dbscan&eps_m=100&min_points=10';
// Bournemouth town centre (BCP's densest ASB), zoom 14.
const VIEW = 'map=14.00/50.72095/-1.87688';

test('clusters layer: DBSCAN outlines with eps and min points in the legend, popup counts from the tiles', { skip }, async () => {
  const tj = await api(hw, `tiles/clusters?${FILTERS}&${PARAMS}`);
  assert.equal(tj.vector_layers?.[0]?.id, 'clusters');
  assert.equal(tj.method, 'dbscan');
  assert.equal(tj.eps_m, 100);
  assert.equal(tj.min_points, 10);
  assert.ok(tj.clusters > 0, `clusters: ${tj.clusters}`);
  assert.equal(tj.clustered + tj.noise, tj.incidents);

  const { page, errors } = await openMap(hw, `?${FILTERS}&layers=wards&${VIEW}`);
  assert.equal(await page.locator('#legend [data-layer="clusters"]').count(), 0, 'no clusters legend while off');
  await page.getByLabel('Clusters (DBSCAN)', { exact: true }).check();
  await waitForMapIdle(page);
  assert.equal(new URL(page.url()).searchParams.get('layers'), 'wards,clusters');
  assert.ok((await renderedFeatures(page, ['clusters-fill'])) > 0, 'cluster fills are drawn');
  assert.ok((await renderedFeatures(page, ['clusters-line'])) > 0, 'cluster outlines are drawn');

  // The source asks for the page's filters and the layer's DBSCAN parameters.
  const tiles = await page.evaluate(() => window.hexwatch.map.getSource('clusters').tiles);
  assert.equal(tiles.length, 1);
  assert.match(tiles[0], /\/tiles\/clusters\/\{z\}\/\{x\}\/\{y\}\?/);
  assert.deepEqual(Object.fromEntries(new URL(tiles[0].replace(/\{(\w)\}/g, '$1')).searchParams),
    { category: 'anti-social-behaviour', from: '2025-01', to: '2025-12', area: 'bcp', method: 'dbscan', eps_m: '100', min_points: '10' });

  // The legend: title, the TileJSON's counts, and the line stating eps and min points.
  const legend = await page.evaluate(() => {
    const block = document.querySelector('#legend [data-layer="clusters"]');
    return block && { title: block.querySelector('h3').textContent, unit: block.querySelector('.legend-unit')?.textContent, text: block.textContent };
  });
  assert.ok(legend, 'the clusters legend is shown');
  assert.equal(legend.title, 'Clusters (DBSCAN)');
  assert.match(legend.text, /eps 100 m · min points 10/);
  const fmt = (n) => n.toLocaleString('en-GB');
  assert.ok(legend.unit.startsWith(`${fmt(tj.clusters)} clusters · ${fmt(tj.clustered)} of ${fmt(tj.incidents)} incidents`), legend.unit);
  assert.ok(legend.text.includes(`${fmt(tj.noise)} incidents are in no cluster`), legend.text);
  assert.doesNotMatch(legend.text, /Finding the clusters/);

  // Pick a drawn cluster piece whose centre is on screen, click there: the popup names a
  // cluster under that point with the count its tile carries.
  const target = await page.evaluate(() => {
    const { map } = window.hexwatch;
    const canvas = map.getCanvas();
    const [w, h] = [canvas.clientWidth, canvas.clientHeight];
    for (const f of map.queryRenderedFeatures({ layers: ['clusters-fill'] })) {
      const rings = f.geometry.type === 'Polygon' ? [f.geometry.coordinates[0]] : f.geometry.coordinates.map((p) => p[0]);
      for (const ring of rings) {
        const pts = ring.slice(0, -1).map((c) => map.project(c));
        const cx = pts.reduce((s, p) => s + p.x, 0) / pts.length;
        const cy = pts.reduce((s, p) => s + p.y, 0) / pts.length;
        // Clear of the side panel, legend and edges.
        if (cx > 0.35 * w && cx < 0.75 * w && cy > 0.15 * h && cy < 0.85 * h) {
          const under = map.queryRenderedFeatures([cx, cy], { layers: ['clusters-fill'] })
            .map((g) => ({ cluster: g.properties.cluster, count: g.properties.count }));
          if (under.length) return { x: cx, y: cy, under };
        }
      }
    }
    return null;
  });
  assert.ok(target, 'a cluster lies inside the view');
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + target.x, box.y + target.y);
  const name = page.locator('.maplibregl-popup [data-testid="popup-cluster"]');
  await name.waitFor();
  const shown = Number((await name.textContent()).replace('Cluster ', ''));
  const count = Number((await page.locator('.maplibregl-popup [data-testid="popup-cluster-count"]').textContent()).replace(/,/g, ''));
  assert.ok(target.under.some((u) => u.cluster === shown && u.count === count), `popup ${shown}/${count} vs ${JSON.stringify(target.under)}`);
  assert.ok(count >= 10, 'a cluster holds at least min points incidents');
  assert.match(await page.locator('.maplibregl-popup').textContent(), /DBSCAN cluster/);
  await screenshot(page, 'clusters-1280x800');

  // A filter change re-points the source at the new selection.
  await page.evaluate(() => window.hexwatch.applyState({ ...window.hexwatch.state, from: '2025-06', to: '2025-08' }));
  await waitForMapIdle(page);
  const after = await page.evaluate(() => window.hexwatch.map.getSource('clusters').tiles[0]);
  assert.match(after, /from=2025-06&to=2025-08/);
  assert.match(after, /eps_m=100&min_points=10/);

  assert.equal(await statusError(page), null);
  assert.deepEqual(errors, []);
  await page.close();
});
