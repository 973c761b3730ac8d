// The live connection: one EventSource on the server's /api/events (server-sent events).
// The server sends `data-version` ({"data_version": N}) after every accepted write and
// `alert` (an alert object) for each alert a write raised, each with an id; the browser
// reconnects by itself after a dropped connection and sends Last-Event-ID, so the server
// replays what was missed. When the browser gives up (the server answered an error, or is
// gone for good), this module opens a new connection after a growing pause.

import { FetchEventSource, authHeaders, partnerToken } from './auth.js';

const RETRY_MS = [2000, 5000, 10000, 30000];

/**
 * Connects to `url` and calls `onEvent(name, data, id)` for each of `events` (data parsed
 * from JSON; events whose data is not JSON are ignored) and `onState(state, { reconnected })`
 * with 'connecting' (before the first connection), 'connected' or 'disconnected' (no stream;
 * a new one is on its way). Returns { close() }.
 */
export function connectLive(url, { events = ['data-version', 'alert'], onEvent, onState }) {
  let source = null;
  let everOpen = false;
  let retries = 0;
  let retryTimer = null;
  let closed = false;

  function open() {
    if (closed) return;
    if (!everOpen) onState('connecting', { reconnected: false });
    // Signed in: a fetch-based stream that sends the partner token (alerts are partner data).
    source = partnerToken() ? new FetchEventSource(url, authHeaders()) : new EventSource(url);
    source.addEventListener('open', () => {
      retries = 0;
      onState('connected', { reconnected: everOpen });
      everOpen = true;
    });
    source.addEventListener('error', () => {
      if (closed) return;
      // Either way no events arrive until the next 'open': the page says it is disconnected.
      onState('disconnected', { reconnected: false });
      if (source.readyState === EventSource.CLOSED) {
        // The browser will not retry (e.g. an HTTP error): try again later ourselves.
        const wait = RETRY_MS[Math.min(retries, RETRY_MS.length - 1)];
        retries += 1;
        clearTimeout(retryTimer);
        retryTimer = setTimeout(open, wait);
      } // else the browser is reconnecting by itself (network error), with Last-Event-ID
    });
    for (const name of events) {
      source.addEventListener(name, (e) => {
        let data;
        try {
          data = JSON.parse(e.data);
        } catch {
          return;
        }
        onEvent(name, data, e.lastEventId);
      });
    }
  }

  open();
  // Leaving the page (or the back/forward cache) closes the stream, so the server keeps no idle subscriber.
  const stop = () => { closed = true; clearTimeout(retryTimer); source?.close(); };
  window.addEventListener('pagehide', stop);
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && closed) {
      closed = false;
      open();
    }
  });
  return { close: stop };
}
