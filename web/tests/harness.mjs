// Shared set-up for the browser tests (node --test web/tests/): starts the real hexwatch
// server on a fresh store, drives Debian's Chromium through playwright-core (no browser
// download), collects console errors and waits for the map to settle.
//
// A test file:
//   import { useHexwatch, openMap, renderedFeatures } from './harness.mjs';
//   const hw = useHexwatch();                  // registers before/after hooks
//   test('my layer draws', { skip: hw.skip }, async () => {
//     const { page, errors } = await openMap(hw, '?layers=cells,my-layer');
//     assert.ok((await renderedFeatures(page, ['my-layer-fill'])) > 0);
//     assert.deepEqual(errors, []);
//   });

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(REPO, 'web/tests/artifacts');
export const CHROMIUM = process.env.HEXWATCH_CHROMIUM || '/usr/bin/chromium';
// HEXWATCH_SERVER_BIN points the tests at another build (e.g. while the tree does not compile).
export const SERVER_BIN = process.env.HEXWATCH_SERVER_BIN ? resolve(process.env.HEXWATCH_SERVER_BIN) : join(REPO, 'target/debug/hexwatch');
// Headless WebGL without a GPU: Chromium only offers SwiftShader's software GL when asked.
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox',
  '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--use-gl=angle', '--disable-gpu-sandbox',
  '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync',
];
const SERVER_START_MS = Number(process.env.HEXWATCH_SERVER_START_MS) || 300_000; // includes the first ingest
export const SETTLE_MS = Number(process.env.HEXWATCH_SETTLE_MS) || 90_000;

/**
 * Why the browser tests cannot run here, or false when they can. A missing browser is a
 * skip on a developer's machine and a failure in CI (env CI set), naming the package.
 */
export function browserSkipReason() {
  if (existsSync(CHROMIUM)) return false;
  const message = `no Chromium at ${CHROMIUM}: install Debian's package "chromium" (apt-get install -y --no-install-recommends chromium)`;
  if (process.env.CI) throw new Error(message);
  return message;
}

/**
 * Runs `hexwatch --store <store> ingest <args…>` (e.g. ['--mapping', 'data/…/mapping.toml',
 * 'data/…/file.csv.gz']) from the repository root and resolves with its output; rejects with
 * the output when it fails.
 */
export function ingest(store, args, env = process.env) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(SERVER_BIN, ['--store', store, 'ingest', ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolveRun(output)
      : reject(new Error(`hexwatch ingest ${args.join(' ')} failed (${code ?? signal}):\n${output.slice(-3000)}`))));
  });
}

/**
 * Starts `target/debug/hexwatch serve` on a free port with a fresh store in a temporary
 * directory (it ingests data/ on first start), and resolves with its URL once it prints
 * "open the map at http://…/". `serveArgs` are added to `hexwatch serve`'s arguments.
 * `ingestArgs` is a list of argument lists, each run as `hexwatch --store <store> ingest …`
 * into the fresh store before it is served (pair it with serveArgs ['--no-auto-ingest'] to
 * serve that data alone). With `writeToken` a random token is written to a file in the
 * temporary directory and passed as `--write-token-file`, so POST /api/incidents and
 * /api/alerts/{id}/ack accept it (`token` in the answer). Every server also gets a random
 * partner token (`partnerToken` in the answer, partner name `browser-test`) through
 * `--partner-tokens`: tests that assert exact counts read as that partner (openMap signs in
 * by default). `stop()` ends it and removes the store.
 */
export async function startServer({ serveArgs = [], ingestArgs = [], writeToken = false } = {}) {
  if (!existsSync(SERVER_BIN)) throw new Error(`${SERVER_BIN} is missing: run \`cargo build -p hexwatch\` first (scripts/test.sh does)`);
  const dir = mkdtempSync(join(tmpdir(), 'hexwatch-browser-'));
  const env = { ...process.env };
  for (const k of ['HEXWATCH_STORE', 'HEXWATCH_BIND', 'HEXWATCH_PUBLIC_URL', 'HEXWATCH_WRITE_TOKEN', 'HEXWATCH_PARTNER_TOKENS']) delete env[k];
  const ingestOutput = [];
  try {
    for (const args of ingestArgs) ingestOutput.push(await ingest(join(dir, 's.sqlite3'), args, env));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let token = null;
  const tokenArgs = [];
  if (writeToken) {
    token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'write-token'), `${token}\n`, { mode: 0o600 });
    tokenArgs.push('--write-token-file', join(dir, 'write-token'));
  }
  const partnerToken = randomBytes(24).toString('hex');
  writeFileSync(join(dir, 'partner-tokens'), `browser-test ${partnerToken}\n`, { mode: 0o600 });
  tokenArgs.push('--partner-tokens', join(dir, 'partner-tokens'));
  const child = spawn(SERVER_BIN,
    ['--store', join(dir, 's.sqlite3'), 'serve', '--bind', '127.0.0.1:0', '--data-dir', 'data', '--web-dir', 'web', ...tokenArgs, ...serveArgs],
    { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`hexwatch did not start within ${SERVER_START_MS} ms:\n${output.slice(-3000)}`)), SERVER_START_MS);
    const onData = (chunk) => {
      output += chunk;
      const m = output.match(/open the map at (http:\/\/[^\s]+\/)/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { output += chunk; });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`hexwatch exited (${code ?? signal}) before serving:\n${output.slice(-3000)}`));
    });
  });
  return {
    url,
    token,
    partnerToken,
    output: () => output,
    ingestOutput,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // graceful shutdown
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches Chromium with a fresh profile directory; `close()` ends it and removes the profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'hexwatch-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Registers before/after hooks that start the server (with `serveArgs`, e.g.
 * ['--basemap-style-url', '/tests/fixtures/basemap-style.json'], `ingestArgs` and
 * `writeToken`, see startServer) and the browser once for the file.
 * Returns a handle filled in by `before`: { server, browser, skip }. Pass `hw.skip` as the
 * tests' skip option so a machine without Chromium skips (or, in CI, fails) cleanly.
 */
export function useHexwatch({ serveArgs = [], ingestArgs = [], writeToken = false } = {}) {
  const hw = { server: null, browser: null, skip: browserSkipReason() };
  before(async () => {
    if (hw.skip) return;
    hw.server = await startServer({ serveArgs, ingestArgs, writeToken });
    hw.browser = await launchBrowser();
  });
  after(async () => {
    await hw.browser?.close();
    await hw.server?.stop();
  });
  return hw;
}

/**
 * Opens the map at `query` (e.g. '?category=…&res=9') in a new page of `viewport` size and
 * waits for it to settle. `errors` collects console errors and uncaught page errors for
 * the page's whole life. `role` 'partner' (the default) opens it signed in with the
 * server's partner token (what the sign-in form keeps in sessionStorage); 'public' without.
 */
export async function openMap(hw, query = '', { viewport = { width: 1280, height: 800 }, role = 'partner' } = {}) {
  const page = await hw.browser.context.newPage();
  await page.setViewportSize(viewport);
  if (role === 'partner') {
    await page.addInitScript((token) => sessionStorage.setItem('hexwatch.partnerToken', token), hw.server.partnerToken);
  }
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  await page.goto(new URL(query, hw.server.url).href, { waitUntil: 'domcontentloaded' });
  await waitForMapIdle(page);
  return { page, errors };
}

/**
 * Loads axe-core into `page` from the server's own `node_modules/` (a `<script src>` from
 * the page's origin: the Content-Security-Policy refuses inline scripts, which is what
 * `addScriptTag({ path })` would add).
 */
export async function injectAxe(page) {
  await page.addScriptTag({ url: new URL('node_modules/axe-core/axe.min.js', page.url()).href });
}

/** Waits until the page has nothing in flight and the map has drawn what it loaded. */
export async function waitForMapIdle(page, timeout = SETTLE_MS) {
  await page.waitForFunction(() => window.hexwatch && document.body.dataset.mapLoaded === '1', null, { timeout });
  await page.evaluate((ms) => Promise.race([
    window.hexwatch.settled(),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`map did not settle within ${ms} ms`)), ms)),
  ]), timeout);
}

/** Number of features the map has drawn in `layers` (MapLibre layer ids) in the viewport. */
export const renderedFeatures = (page, layers) => page.evaluate((ids) => window.hexwatch.map.queryRenderedFeatures({ layers: ids }).length, layers);

/** Text of the page's status bar when it shows an error, else null. */
export const statusError = (page) => page.evaluate(() => {
  const bar = document.getElementById('status');
  return bar && !bar.hidden && bar.className === '' ? bar.textContent.replace('×', '').trim() : null;
});

/** Runs `action` (e.g. a click) and resolves with the download it starts: { name, path }. */
export async function download(page, action) {
  const [event] = await Promise.all([page.waitForEvent('download', { timeout: SETTLE_MS }), action()]);
  return { name: event.suggestedFilename(), path: await event.path() };
}

/** The partner's `Authorization` header for the test server (see startServer). */
export const partnerHeaders = (hw) => ({ Authorization: `Bearer ${hw.server.partnerToken}` });

/** GET `path` from the test server as JSON, as the partner unless `role` is 'public' (to compare the page with the API). */
export async function api(hw, path, { role = 'partner' } = {}) {
  const response = await fetch(new URL(path, hw.server.url), { headers: role === 'partner' ? partnerHeaders(hw) : {} });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * POSTs `rows` (the JSON array schema of /api/incidents) to the test server with its write
 * token (start it with `useHexwatch({ writeToken: true })`); resolves with { status, body }.
 */
export async function postIncidents(hw, rows, { source = 'browser-test', batch = `batch-${Date.now()}` } = {}) {
  if (!hw.server.token) throw new Error('postIncidents needs useHexwatch({ writeToken: true })');
  const url = new URL(`/api/incidents?source=${encodeURIComponent(source)}&batch=${encodeURIComponent(batch)}`, hw.server.url);
  const response = await fetch(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${hw.server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(rows),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Saves a screenshot as web/tests/artifacts/<name>.png and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
