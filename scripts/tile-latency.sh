#!/usr/bin/env bash
# Tile latency of hexwatch's /tiles/cells/{z}/{x}/{y}: 100 uncached zoom-13 requests, then
# 100 cached repeats of one URL. Prints median and p99 in milliseconds.
#
#   ./tile-latency.sh http://127.0.0.1:8080
#
# The tile cache key includes the filters, so each uncached request is a distinct
# (tile, filter) pair: every zoom-13 tile over the BCP box (lon -2.04075..-1.68167,
# lat 50.68265..50.80961) crossed with filter variants
# category=anti-social-behaviour&from=2025-01&to=2025-MM (MM = 12, 11, ...), first 100 URLs.
# Run against a freshly started server for truly uncached numbers (or one whose cache has not
# seen these filter variants). Requests are sequential; curl reports time_total.
set -euo pipefail

BASE="${1:?usage: $0 BASE_URL   (e.g. http://127.0.0.1:8080)}"
BASE="${BASE%/}"
Z=13
N=100
WEST=-2.04075 EAST=-1.68167 SOUTH=50.68265 NORTH=50.80961

# Standard slippy-map tile numbers: x from longitude, y from latitude (north gives the smaller y).
read -r X0 X1 Y0 Y1 < <(awk -v z="$Z" -v w="$WEST" -v e="$EAST" -v s="$SOUTH" -v n="$NORTH" 'BEGIN {
  pi = atan2(0, -1); t = 2 ^ z
  x0 = int((w + 180) / 360 * t); x1 = int((e + 180) / 360 * t)
  y0 = int((1 - log(sin(n * pi / 180) / cos(n * pi / 180) + 1 / cos(n * pi / 180)) / pi) / 2 * t)
  y1 = int((1 - log(sin(s * pi / 180) / cos(s * pi / 180) + 1 / cos(s * pi / 180)) / pi) / 2 * t)
  print x0, x1, y0, y1 }')

urls=()
for mm in 12 11 10 09 08 07 06 05 04 03 02 01; do
  for ((x = X0; x <= X1; x++)); do
    for ((y = Y0; y <= Y1; y++)); do
      urls+=("$BASE/tiles/cells/$Z/$x/$y?category=anti-social-behaviour&from=2025-01&to=2025-$mm")
      [ "${#urls[@]}" -ge "$N" ] && break 3
    done
  done
done
[ "${#urls[@]}" -eq "$N" ] || { echo "only ${#urls[@]} distinct URLs; need $N" >&2; exit 1; }

# time_total (seconds) of one request; fails on anything but HTTP 200.
fetch() {
  local out code t
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H 'Accept-Encoding: gzip' "$1")
  read -r code t <<<"$out"
  [ "$code" = 200 ] || { echo "HTTP $code for $1" >&2; exit 1; }
  echo "$t"
}

# Median and p99 (nearest rank) of seconds on stdin, printed in milliseconds.
stats() {
  sort -g | awk -v label="$1" '{ v[NR] = $1 * 1000 } END {
    med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    r = int(0.99 * NR); if (r < 0.99 * NR) r++
    printf "%s: n=%d median %.2f ms, p99 %.2f ms, max %.2f ms\n", label, NR, med, v[r], v[NR] }'
}

echo "zoom $Z tiles x $X0..$X1, y $Y0..$Y1 ($(( (X1 - X0 + 1) * (Y1 - Y0 + 1) )) tiles)"
for u in "${urls[@]}"; do fetch "$u"; done | stats "uncached"
fetch "${urls[0]}" >/dev/null  # make sure it is cached
for ((i = 0; i < N; i++)); do fetch "${urls[0]}"; done | stats "cached (${urls[0]#"$BASE"})"
