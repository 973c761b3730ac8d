// Requests to the hexwatch server. Every request goes through `track`, so the page knows
// when it has nothing in flight (the browser tests wait for that, see window.hexwatch.settled).
// A signed-in partner's token goes with each request (lib/auth.js).

import { authHeaders } from './auth.js';

let inflight = 0;
/** Number of page requests (and other tracked work) not yet finished. */
export const pendingWork = () => inflight;

/** Counts `promise` as in-flight work until it settles; returns it unchanged. */
export function track(promise) {
  inflight += 1;
  const done = () => { inflight -= 1; };
  promise.then(done, done);
  return promise;
}

// Keep ',', ':' and '/' literal (legal in a query) so URLs stay readable: category=a,b&area=ward:E05….
export const enc = (v) => encodeURIComponent(v).replace(/%(2C|3A|2F)/gi, (m) => decodeURIComponent(m));
export const queryString = (pairs) => pairs.map(([k, v]) => `${k}=${enc(v)}`).join('&');
/** `path?pairs`, or just `path` when there are no pairs. */
export const apiUrl = (path, pairs = []) => (pairs.length ? `${path}?${queryString(pairs)}` : path);

/** Turns the server's `{"error", "parameter"}` body (if any) into one readable line. */
export function describeServerError(status, statusText, body, what) {
  if (body && typeof body.error === 'string') {
    return `Server rejected ${what}: ${body.error}` + (body.parameter ? ` (parameter “${body.parameter}”)` : '');
  }
  if (status === 0) return `Cannot reach the server for ${what}.`;
  return `Server error for ${what}: HTTP ${status} ${statusText || ''}`.trim();
}

async function request(url, what, accept) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: accept, ...authHeaders() } });
  } catch {
    throw new Error(describeServerError(0, '', null, what));
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const err = new Error(describeServerError(response.status, response.statusText, body, what));
    err.status = response.status;
    throw err;
  }
  return response;
}

/** GET `url` as JSON; rejects with a readable message naming `what`. */
export function fetchJson(url, what) {
  return track((async () => {
    const response = await request(url, what, 'application/json');
    const body = await response.json().catch(() => null);
    if (body === null) throw new Error(`Server sent invalid JSON for ${what}.`);
    return body;
  })());
}

/** GET `url` as a Blob (for downloads). */
export function fetchBlob(url, what) {
  return track(request(url, what, '*/*').then((r) => r.blob()));
}
