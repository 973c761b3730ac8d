#!/usr/bin/env bash
# Runs each cargo-fuzz target of fuzz/ for a bounded time and prints, per target, the time
# fuzzed, the executions, the corpus size and the crashes found. Not part of CI.
#
#   ./scripts/fuzz.sh [SECONDS_PER_TARGET]      # default 300
#   FUZZ_TARGETS="street_csv tile_path" ./scripts/fuzz.sh 60
#
# Stable toolchain only: cargo-fuzz (`cargo install cargo-fuzz --locked`) with
# `--sanitizer none` needs no nightly compiler and no -Z flag (cargo-fuzz 0.13; the
# libFuzzer coverage instrumentation is passed as stable -C flags). Without a sanitizer
# the targets find panics, failed assertions, aborts, timeouts and runaway memory, which
# is what safe Rust can suffer.
#
# Each target starts from its committed seeds (fuzz/seeds/<target>/) and its regression
# inputs (fuzz/regressions/<target>/, replayed first: each must pass), and grows a working
# corpus in fuzz/corpus/<target>/ (ignored by git; kept between runs). A crash is saved
# under fuzz/artifacts/<target>/; reproduce it with
#   cd fuzz && cargo fuzz run --sanitizer none -O <target> artifacts/<target>/crash-…
# then fix it, add a regression test to the normal test suite and copy the input into
# fuzz/regressions/<target>/. Exit status: 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECONDS_PER_TARGET="${1:-300}"
[[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2; }
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
  exit 2
fi
read -r -a TARGETS <<<"${FUZZ_TARGETS:-$(cargo fuzz list | tr '\n' ' ')}"
FLAGS=(--sanitizer none -O)
# A single input taking longer than this is reported as a crash (a request or file that
# stalls the server); memory beyond 2 GiB likewise.
LIBFUZZER=(-timeout=30 -rss_limit_mb=2048 -print_final_stats=1)

echo "building ${#TARGETS[@]} fuzz targets (release, debug assertions, no sanitizer)"
cargo fuzz build "${FLAGS[@]}" >/dev/null
bin_dir="target/$(rustc -vV | sed -n 's/^host: //p')/release"

# The targets' temporary stores: libFuzzer ends the process without running destructors,
# so they go in a directory of this run's own, removed at the end (tmpfs when there is one).
TMPDIR=$(mktemp -d /dev/shm/hexwatch-fuzz.XXXXXX 2>/dev/null || mktemp -d)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

summary=()
failed=0
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" "regressions/$t"
  # Replay the regression inputs: each is a former crash that must now pass.
  regressions=(regressions/"$t"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "== $t: replaying ${#regressions[@]} regression input(s)"
    if ! "$bin_dir/$t" "${regressions[@]}" >"artifacts/$t/regressions.log" 2>&1; then
      echo "   FAILED: a regression input crashes again (artifacts/$t/regressions.log)"
      summary+=("$(printf '%-12s %8s %12s %8s %8s  %s' "$t" - - - - "regression input crashes")")
      failed=1
      continue
    fi
  fi
  echo "== $t: fuzzing for ${SECONDS_PER_TARGET} s"
  log="artifacts/$t/last-run.log"
  before=$(find "artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  start=$(date +%s)
  status=0
  # The binary built above, run as `cargo fuzz run` would (without rebuilding midway).
  "$bin_dir/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$SECONDS_PER_TARGET" "${LIBFUZZER[@]}" \
    "corpus/$t" "seeds/$t" >"$log" 2>&1 || status=$?
  # Seconds fuzzed: libFuzzer's own count ("Done N runs in S second(s)"), else wall time.
  elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  [ -n "$elapsed" ] || elapsed=$(( $(date +%s) - start ))
  after=$(find "artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  crashes=$(( after - before ))
  # Executions: libFuzzer's final statistic, or its last status line when it stopped early.
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  corpus=$(find "corpus/$t" -type f | wc -l)
  if [ "$status" -eq 0 ] && [ "$crashes" -eq 0 ]; then
    result="ok"
  else
    result="CRASH (exit $status): $(grep -m1 -E 'panicked at|ERROR: libFuzzer' "$log" || echo "see $log")"
    failed=1
  fi
  summary+=("$(printf '%-12s %8s %12s %8s %8s  %s' "$t" "$elapsed" "${execs:-?}" "$corpus" "$crashes" "$result")")
  echo "   $result"
done

echo
printf '%-12s %8s %12s %8s %8s  %s\n' target seconds executions corpus crashes result
printf '%s\n' "${summary[@]}"
exit "$failed"
