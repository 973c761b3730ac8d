// Partner sign-in. Without a token the page is the public map: the server withholds counts
// under 5 (and any count that could be worked out from the totals), shows fixed category
// groups and periods only, and refuses incident-level routes. A partner signs in with the
// token the partnership gave them; it is kept in sessionStorage (this tab only, gone when
// the tab closes) and sent as `Authorization: Bearer <token>` with every request to this
// server: API calls (lib/api.js), map tiles (MapLibre's transformRequest) and the live
// event stream (FetchEventSource below, since EventSource cannot send headers).

const KEY = 'hexwatch.partnerToken';

/** The partner token of this tab, or null (public map). */
export function partnerToken() {
  try {
    return sessionStorage.getItem(KEY) || null;
  } catch {
    return null;
  }
}

/** Keeps `token` for this tab (the caller reloads the page). */
export function signIn(token) {
  sessionStorage.setItem(KEY, token.trim());
}

/** Forgets the token (the caller reloads the page). */
export function signOut() {
  sessionStorage.removeItem(KEY);
}

/** `{ Authorization }` when signed in, else `{}`: spread into fetch headers for this server. */
export function authHeaders() {
  const token = partnerToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** MapLibre's transformRequest: the token goes to this server only, never to a basemap host. */
export function transformRequest(url) {
  const token = partnerToken();
  if (token && new URL(url, location.href).origin === location.origin) {
    return { url, headers: { Authorization: `Bearer ${token}` } };
  }
  return { url };
}

/**
 * A server-sent event stream read with fetch, so it can carry headers; the parts of
 * EventSource that lib/live.js uses: `readyState` (0 connecting, 1 open, 2 closed),
 * `open`, `error` and named events (MessageEvent with `data` and `lastEventId`), and
 * `close()`. Like EventSource it reconnects by itself after a dropped stream, sending
 * `Last-Event-ID`, and gives up (readyState 2) when the server answers an HTTP error.
 * Parsing follows the HTML standard's event-stream format (fields `event`, `data`, `id`,
 * `retry`; lines starting with `:` are comments).
 */
export class FetchEventSource extends EventTarget {
  constructor(url, headers) {
    super();
    this.url = url;
    this.headers = headers;
    this.readyState = 0;
    this.lastEventId = '';
    this.retryMs = 2000;
    this.closed = false;
    this.controller = null;
    this.connect();
  }

  async connect() {
    if (this.closed) return;
    this.readyState = 0;
    this.controller = new AbortController();
    const headers = { ...this.headers, Accept: 'text/event-stream' };
    if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
    let response;
    try {
      response = await fetch(this.url, { headers, signal: this.controller.signal, cache: 'no-store' });
    } catch {
      this.fail(true);
      return;
    }
    if (!response.ok || !response.body) {
      this.fail(false);
      return;
    }
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let type = '';
    let data = [];
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (data.length) {
              this.dispatchEvent(new MessageEvent(type || 'message', { data: data.join('\n'), lastEventId: this.lastEventId }));
            }
            type = '';
            data = [];
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') type = text;
          else if (field === 'data') data.push(text);
          else if (field === 'id' && !text.includes('\0')) this.lastEventId = text;
          else if (field === 'retry' && /^\d+$/.test(text)) this.retryMs = Number(text);
        }
      }
    } catch {
      // aborted by close(), or the network dropped: handled below
    }
    if (!this.closed) this.fail(true);
  }

  fail(retry) {
    if (this.closed) return;
    if (retry) {
      this.readyState = 0;
      this.dispatchEvent(new Event('error'));
      setTimeout(() => this.connect(), this.retryMs);
    } else {
      this.readyState = 2;
      this.dispatchEvent(new Event('error'));
    }
  }

  close() {
    this.closed = true;
    this.readyState = 2;
    this.controller?.abort();
  }
}
