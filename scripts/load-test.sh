#!/usr/bin/env bash
# Load test of `hexwatch serve` on 127.0.0.1: CONNECTIONS concurrent keep-alive connections
# for DURATION seconds over a mix of public tile and API URLs, with oha. Not part of CI.
#
#   ./scripts/load-test.sh [DURATION_S] [CONNECTIONS]      # defaults 30 64; 5 for a smoke run
#
# Needs oha (`cargo install oha --locked`), curl and python3. Steps: build the release
# binary; ingest the shipped Dorset data (data/police-uk-dorset-2025/) into a temporary store;
# start `hexwatch serve` on a free 127.0.0.1 port with the shipped wards and LSOAs; wait for
# /api/health; request every URL of the list once (each must answer 200: this also fills
# the caches, as a map in use has them); then oha picks URLs at random from the list for
# the whole run. It reports total requests, throughput, latency percentiles, the status
# codes, and the server's peak resident memory (VmHWM of /proc/PID/status at the end).
#
# Errors, which make the script exit 1: any 5xx other than the deliberate 503 of the
# expensive-request gate (crates/hexwatch-server/src/limits.rs), any connection or
# transport error reported by oha, and any 503 beyond the gate's own count of the requests
# it shed or timed out (/api/health `limits`). 429 and the gate's 503 are counted and
# reported apart: they are the limits working, not failures.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION_S="${1:-30}"
CONNECTIONS="${2:-64}"
[[ "$DURATION_S" =~ ^[1-9][0-9]*$ && "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] \
  || { echo "usage: $0 [DURATION_S] [CONNECTIONS]" >&2; exit 2; }
for tool in oha curl python3; do
  command -v "$tool" >/dev/null || {
    echo "$tool is missing$([ "$tool" = oha ] && echo ': cargo install oha --locked')" >&2
    exit 2
  }
done

cargo build --release -p hexwatch
BIN=./target/release/hexwatch
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hexwatch-load.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== ingesting the shipped Dorset data into $WORK/store.sqlite3"
"$BIN" --store "$WORK/store.sqlite3" ingest data/police-uk-dorset-2025/*.csv.gz >"$WORK/ingest.log" 2>&1 \
  || { cat "$WORK/ingest.log" >&2; echo "ingest failed" >&2; exit 1; }
grep '^total:' "$WORK/ingest.log" || true

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
HEXWATCH_LOG="${HEXWATCH_LOG:-warn}" "$BIN" --store "$WORK/store.sqlite3" serve --bind "127.0.0.1:$PORT" \
  --no-auto-ingest >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
  curl -sf "$BASE/api/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "the server exited" >&2; exit 1; }
  sleep 0.2
done
curl -sf "$BASE/api/health" >/dev/null || { echo "no /api/health after 120 s" >&2; exit 1; }
echo "== hexwatch serve (pid $SERVER_PID) at $BASE: $(curl -s "$BASE/api/health")"

# The URL mix: public routes only (no token is sent, so every request is the public role).
# Cell tiles at zooms 10-15 around Bournemouth, Christchurch and Poole, unfiltered and
# filtered (a category, a calendar quarter, a month, the year, an area); density PNG and
# contour tiles; ward and LSOA outline tiles; TileJSON; the catalogue; /api/meta;
# /api/summary; Gi* hot spot tiles (bins, as the public role sees them).
python3 - "$BASE" >"$WORK/urls.txt" <<'PY'
import math, sys
base = sys.argv[1]
def tile(z, lon, lat):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
# Poole, Bournemouth centre, Boscombe, Christchurch.
places = [(-1.985, 50.715), (-1.88, 50.72), (-1.84, 50.725), (-1.78, 50.735)]
filters = ["", "?category=anti-social-behaviour", "?from=2025-01&to=2025-03", "?from=2025-07&to=2025-07",
           "?from=2025-01&to=2025-12&category=anti-social-behaviour", "?area=bcp"]
urls = []
for z in (10, 11, 12, 13, 14, 15):
    for lon, lat in places:
        x, y = tile(z, lon, lat)
        for dx, dy in ((0, 0), (1, 0), (0, 1)):
            for f in filters[: 6 if z == 13 else 2]:
                urls.append(f"/tiles/cells/{z}/{x + dx}/{y + dy}{f}")
for z in (11, 12, 13):
    for lon, lat in places:
        x, y = tile(z, lon, lat)
        urls += [f"/tiles/density/{z}/{x}/{y}", f"/tiles/density-contours/{z}/{x}/{y}",
                 f"/tiles/boundaries/{z}/{x}/{y}?set=ward", f"/tiles/boundaries/{z}/{x}/{y}?set=lsoa"]
urls += ["/tiles/cells", "/tiles/cells?category=anti-social-behaviour", "/tiles/density", "/tiles/boundaries",
         "/catalog", "/api/meta", "/api/summary", "/api/summary?category=anti-social-behaviour",
         "/api/summary?from=2025-01&to=2025-03", "/api/summary?area=ward:E05012653",
         "/tiles/cells?method=gistar"]
# Gi* hot spot tiles (the public role sees their bins; /api/hotspots needs a partner token).
for z in (12, 13):
    for lon, lat in places:
        x, y = tile(z, lon, lat)
        urls += [f"/tiles/cells/{z}/{x}/{y}?method=gistar",
                 f"/tiles/cells/{z}/{x}/{y}?method=gistar&category=anti-social-behaviour"]
for u in urls:
    print(base + u)
PY
N_URLS=$(wc -l <"$WORK/urls.txt")
echo "== checking each of the $N_URLS URLs once (each must answer 200)"
bad=0
while read -r url; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url" || echo 000)
  if [ "$code" != 200 ]; then echo "   HTTP $code: ${url#"$BASE"}"; bad=1; fi
done <"$WORK/urls.txt"
[ "$bad" -eq 0 ] || { echo "the URL list has URLs that do not answer 200: fix the list (scripts/load-test.sh)" >&2; exit 1; }

echo "== oha: $CONNECTIONS connections for $DURATION_S s over the $N_URLS URLs (random choice per request)"
oha --no-tui --urls-from-file "$WORK/urls.txt" -c "$CONNECTIONS" -z "${DURATION_S}s" -w \
  --output-format json -o "$WORK/oha.json" >/dev/null
HEALTH=$(curl -s "$BASE/api/health")
PEAK_RSS_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")
kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server died during the load test" >&2; exit 1; }

python3 - "$WORK/oha.json" "$HEALTH" "$PEAK_RSS_KB" "$DURATION_S" "$CONNECTIONS" "$N_URLS" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
health = json.loads(sys.argv[2])
peak_kb, duration, connections, n_urls = int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
summary = report["summary"]
codes = {int(k): v for k, v in report.get("statusCodeDistribution", {}).items()}
errors = report.get("errorDistribution", {})
total = sum(codes.values()) + sum(errors.values())
limits = health.get("limits", {})
gate_503 = limits.get("shed", 0) + limits.get("timed_out", 0)
p = report["latencyPercentiles"]
ms = lambda s: f"{s * 1000:.1f} ms" if s is not None else "n/a"
print()
print(f"load test: {connections} connections, {duration} s, {n_urls} public URLs (tiles incl. Gi* bins, TileJSON, catalog, meta, summary)")
print(f"  requests      {total} ({sum(codes.values())} answered)")
print(f"  throughput    {summary['requestsPerSec']:.0f} req/s")
print(f"  latency       p50 {ms(p.get('p50'))}, p90 {ms(p.get('p90'))}, p99 {ms(p.get('p99'))}, max {ms(summary.get('slowest'))}")
print("  status codes  " + ", ".join(f"{c}: {n}" for c, n in sorted(codes.items())))
limited_503 = codes.get(503, 0)
print(f"  deliberate limits: 429: {codes.get(429, 0)}, 503 from the expensive-request gate: {min(limited_503, gate_503)}"
      f" (gate counted shed {limits.get('shed', 0)}, timed out {limits.get('timed_out', 0)})")
bad_5xx = sum(n for c, n in codes.items() if c >= 500 and c != 503) + max(0, limited_503 - gate_503)
other_4xx = sum(n for c, n in codes.items() if 400 <= c < 500 and c != 429)
print(f"  errors        5xx (not the gate's): {bad_5xx}; connection/transport errors: {sum(errors.values())}"
      + ("".join(f"\n                  {k}: {v}" for k, v in errors.items())))
if other_4xx:
    print(f"  note          {other_4xx} other 4xx: the URL list should only hold valid requests")
print(f"  server peak RSS (VmHWM)  {peak_kb / 1024:.0f} MiB")
ok = bad_5xx == 0 and not errors
print("result: " + ("PASS (no 5xx, no connection errors)" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
