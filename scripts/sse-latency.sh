#!/usr/bin/env bash
# Live-update latency of hexwatch: the time from sending POST /api/incidents (one incident)
# to receiving its `data-version` event on a server-sent-events connection (GET /api/events)
# that was opened beforehand. Prints min, median, p95 and max in milliseconds, and the same
# for the POST's own reply (which comes later: the server sends the event before it
# recomputes the alerts).
#
#   scripts/sse-latency.sh URL TOKEN [N]
#
#   URL    the server, e.g. http://127.0.0.1:8191
#   TOKEN  its write token, or @FILE to read it from a file (keeps it out of `ps`)
#   N      measured rounds (default 20; env N also works), after one warm-up round
#
# The stream is held by `curl -N`; a small node script reads it through a pipe, stamps each
# event with a monotonic clock (performance.now()) as it arrives, and sends the POSTs one
# after the other (each waits for its event and its reply before the next). Each round
# writes one anti-social behaviour incident in December 2025 at a point in Bournemouth,
# with a unique reference (source "sse-latency"), so use a scratch store:
#
#   printf '%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > /tmp/tok
#   ./target/release/hexwatch --store /tmp/lat.sqlite3 serve --bind 127.0.0.1:8191 --write-token-file /tmp/tok
#   scripts/sse-latency.sh http://127.0.0.1:8191 @/tmp/tok
set -euo pipefail

usage="usage: $0 URL TOKEN|@TOKEN_FILE [N]"
URL="${1:?$usage}"
URL="${URL%/}"
TOKEN_ARG="${2:?$usage}"
ROUNDS="${3:-${N:-20}}"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive integer (got $ROUNDS)" >&2; exit 2; }
if [[ "$TOKEN_ARG" == @* ]]; then
  TOKEN="$(tr -d '\r\n' < "${TOKEN_ARG#@}")"
else
  TOKEN="$TOKEN_ARG"
fi
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }
command -v node >/dev/null || { echo "node (18 or later) is needed" >&2; exit 2; }

tmp="$(mktemp -d)"
curl_pid=""
cleanup() {
  [ -n "$curl_pid" ] && kill "$curl_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkfifo "$tmp/events"

# The event stream, unbuffered (-N), into the pipe the node script reads.
curl -sS -N -H 'Accept: text/event-stream' "$URL/api/events" > "$tmp/events" &
curl_pid=$!

cat > "$tmp/measure.mjs" <<'EOF'
// Reads SSE from stdin; POSTs one incident per round; times POST → data-version event.
import { performance } from 'node:perf_hooks';

const [url, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const token = process.env.SSE_LATENCY_TOKEN;
const run = `${Date.now().toString(36)}-${process.pid}`;
const ROUND_TIMEOUT_MS = 60_000;

// ---- the event stream: each `data-version` event with the moment its last byte arrived
const seen = []; // { version, at }
let waiter = null;
let streamEnded = false;
let buffer = '';
let block = { event: 'message', data: [] };
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  const at = performance.now();
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl).replace(/\r$/, '');
    buffer = buffer.slice(nl + 1);
    if (line === '') {
      if (block.event === 'data-version') {
        const version = Number(JSON.parse(block.data.join('\n')).data_version);
        seen.push({ version, at });
        waiter?.();
      }
      block = { event: 'message', data: [] };
    } else if (line.startsWith('event:')) block.event = line.slice(6).trim();
    else if (line.startsWith('data:')) block.data.push(line.slice(5).replace(/^ /, ''));
  }
});
process.stdin.on('end', () => { streamEnded = true; waiter?.(); });

/** The first data-version event after index `from` with a version above `above`, or null on timeout. */
function nextEvent(from, above, timeoutMs) {
  return new Promise((resolve) => {
    const check = () => {
      const hit = seen.slice(from).find((e) => e.version > above);
      if (hit || streamEnded) {
        clearTimeout(timer);
        waiter = null;
        resolve(hit || null);
      }
    };
    const timer = setTimeout(() => { waiter = null; resolve(null); }, timeoutMs);
    waiter = check;
    check();
  });
}

async function post(i) {
  const body = JSON.stringify([{
    reference: `sse-latency-${run}-${i}`, category: 'Anti-social behaviour', time: '2025-12', lon: -1.8769, lat: 50.7209,
  }]);
  const response = await fetch(`${url}/api/incidents?source=sse-latency&batch=${run}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body,
  });
  const answer = await response.json().catch(() => null);
  if (response.status !== 201 || answer?.accepted !== 1) {
    throw new Error(`POST answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  return { version: Number(answer.data_version), at: performance.now() };
}

async function current() {
  const r = await fetch(`${url}/api/health`);
  if (!r.ok) throw new Error(`${url}/api/health answered ${r.status}`);
  return Number((await r.json()).data_version);
}

// One round: POST, then wait for both the reply and the event of the version it made.
async function round(i, timeoutMs) {
  const before = await current();
  const from = seen.length;
  const sent = performance.now();
  const [reply, event] = await Promise.all([post(i), nextEvent(from, before, timeoutMs)]);
  if (!event) return { reply: reply.at - sent, event: null };
  if (event.version !== reply.version) {
    throw new Error(`event for data version ${event.version} but the POST made ${reply.version}: another writer?`);
  }
  return { reply: reply.at - sent, event: event.at - sent };
}

async function main() {
  // Warm-up: the stream may not be open yet when the first POST goes out (the server sends
  // nothing until an event), so repeat until one event arrives. Not counted.
  let warm = null;
  for (let attempt = 0; attempt < 10 && !warm?.event; attempt++) warm = await round(`warm-${attempt}`, 3000);
  if (!warm?.event) throw new Error(`no data-version event on ${url}/api/events after 10 warm-up POSTs`);

  const events = [];
  const replies = [];
  for (let i = 0; i < rounds; i++) {
    const r = await round(i, ROUND_TIMEOUT_MS);
    if (r.event === null) throw new Error(`round ${i + 1}: no data-version event within ${ROUND_TIMEOUT_MS} ms`);
    events.push(r.event);
    replies.push(r.reply);
  }

  // Nearest-rank percentiles; the median of an even count is the mean of the middle two.
  const stats = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    const rank = (p) => v[Math.max(0, Math.ceil(p * v.length) - 1)];
    const median = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    const f = (x) => `${x.toFixed(1)} ms`;
    return `min ${f(v[0])}, median ${f(median)}, p95 ${f(rank(0.95))}, max ${f(v.at(-1))}`;
  };
  console.log(`${url}: ${rounds} rounds of one incident each (after a warm-up), sequential`);
  console.log(`  POST sent -> data-version event received: ${stats(events)}`);
  console.log(`  POST sent -> POST reply (201) received:   ${stats(replies)}`);
}

main().then(() => process.exit(0), (err) => {
  console.error(`sse-latency: ${err.message}`);
  process.exit(1);
});
EOF

SSE_LATENCY_TOKEN="$TOKEN" node "$tmp/measure.mjs" "$URL" "$ROUNDS" < "$tmp/events"
