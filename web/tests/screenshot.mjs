// Smoke test + screenshot of the hexwatch page in Debian's headless Chromium.
//   node web/tests/screenshot.mjs <base-url> <out.png>
// Passes when the map fires `load` and the `cells` source has decoded features; fails on
// timeout, on an uncaught page error, or when the page's status bar shows an error.
// Uses the system browser: playwright's own browser download does not work offline.
import { chromium } from 'playwright-core';

const [baseUrl, outPath] = process.argv.slice(2);
if (!baseUrl || !outPath) {
  console.error('usage: node web/tests/screenshot.mjs <base-url> <out.png>');
  process.exit(2);
}

const TIMEOUT_MS = Number(process.env.SCREENSHOT_TIMEOUT_MS) || 60_000;
const ARGS = [
  '--no-sandbox',
  // No GPU here: Chromium >= 139 only offers software WebGL when explicitly allowed.
  '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--disable-gpu-sandbox',
  '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync',
];

const consoleErrors = [];
const pageErrors = [];
let browser;
let page;
let failure = null;

/** Text of the page's status bar when it shows an error (not an info message), else null. */
const statusError = (p) => p.evaluate(() => {
  const bar = document.getElementById('status');
  return bar && !bar.hidden && !bar.classList.contains('info') ? bar.textContent.replace('×', '').trim() : null;
});
try {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => pageErrors.push(String(err)));

  await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout: TIMEOUT_MS });

  // `load` may have fired before we look, so accept the flag the app sets as well as the event.
  await page.waitForFunction(() => window.hexwatchMap, null, { timeout: TIMEOUT_MS });
  await page.evaluate((ms) => new Promise((resolve, reject) => {
    const map = window.hexwatchMap;
    if (document.body.dataset.mapLoaded === '1' || map._loaded) return resolve();
    map.once('load', resolve);
    setTimeout(() => reject(new Error('map load event did not fire')), ms);
  }), TIMEOUT_MS);
  console.log('map load: ok');

  const count = await page.waitForFunction(() => {
    const n = window.hexwatchMap.querySourceFeatures('cells', { sourceLayer: 'cells' }).length;
    return n > 0 && n;
  }, null, { timeout: TIMEOUT_MS, polling: 500 }).then((h) => h.jsonValue());
  console.log(`cells features: ${count}`);

  // Let rendering settle so the screenshot shows what a person would see.
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.hexwatchMap;
    if (map.loaded()) resolve(); else map.once('idle', resolve);
    setTimeout(resolve, 20_000);
  }));
  await page.screenshot({ path: outPath });
  console.log(`screenshot: ${outPath}`);

  const status = await statusError(page);
  if (status) failure = `status bar shows an error: ${status}`;
} catch (err) {
  failure = err.message.split('\n')[0];
  // Keep what the page showed when it failed: the status bar often says why.
  const status = page ? await statusError(page).catch(() => null) : null;
  if (status) failure += `; status bar: ${status}`;
  await page?.screenshot({ path: outPath }).then(() => console.log(`screenshot (failed state): ${outPath}`)).catch(() => {});
} finally {
  await browser?.close();
}

for (const e of consoleErrors) console.log(`console error: ${e}`);
for (const e of pageErrors) console.log(`page error: ${e}`);
if (!failure && pageErrors.length) failure = 'uncaught error(s) in the page';
if (failure) {
  console.error(`FAIL: ${failure}`);
  process.exit(1);
}
console.log(`OK (${consoleErrors.length} console error(s))`);
