#!/usr/bin/env bash
# Magpie's test run (`npm test`): starts Cassandra (never skipped: a failed start fails the run),
# runs `bun test` over tests/, forwards the exit status and ends with one line
# `N passed, N failed`. A crash, a load error or zero tests count as a failure.
# Cassandra is left running for fast reruns; `bash scripts/cassandra.sh stop` stops it.
# Extra arguments go to `bun test` (e.g. a path filter).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
BUN="$REPO/node_modules/.bin/bun"

summary() { echo "$1 passed, $2 failed"; }

if [[ ! -x "$BUN" ]]; then
  echo "test: $BUN not found; run npm install (Bun is a devDependency)" >&2
  summary 0 1
  exit 1
fi

bash "$REPO/scripts/install-test-deps.sh" || echo "test: scripts/install-test-deps.sh failed (promtool/prometheus/chromium); the metric tests will fail" >&2
if ! bash "$REPO/scripts/cassandra.sh" start; then
  echo "test: Cassandra did not start (message above); the suite needs it and is not run" >&2
  summary 0 1
  exit 1
fi

LOG="$(mktemp "${TMPDIR:-/tmp}/magpie-test.XXXXXX")"
trap 'rm -f "$LOG"' EXIT

NO_COLOR=1 FORCE_COLOR=0 "$BUN" test --timeout 30000 ./tests "$@" 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}

# bun's summary lines: " 25 pass", " 0 fail" (ANSI codes stripped, just in case).
clean="$(sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$LOG")"
passed="$(grep -E '^ *[0-9]+ pass$' <<<"$clean" | tail -n1 | tr -dc '0-9')"
failed="$(grep -E '^ *[0-9]+ fail$' <<<"$clean" | tail -n1 | tr -dc '0-9')"
errors="$(grep -E '^ *[0-9]+ errors?$' <<<"$clean" | tail -n1 | tr -dc '0-9')"
passed="${passed:-0}"
failed="${failed:-0}"
# An unhandled error between tests is already counted in "fail" by bun; make sure it is counted.
if (( ${errors:-0} > failed )); then failed="$errors"; fi

if [[ -z "$(grep -E '^ *[0-9]+ pass$' <<<"$clean")" ]]; then
  echo "test: no bun test summary found (crash or no tests)" >&2
  (( failed == 0 )) && failed=1
fi
if (( passed == 0 && failed == 0 )); then
  echo "test: no tests ran" >&2
  failed=1
fi
if (( rc != 0 && failed == 0 )); then
  echo "test: bun test exited with status $rc" >&2
  failed=1
fi

summary "$passed" "$failed"
if (( rc != 0 )); then exit "$rc"; fi
(( failed == 0 )) || exit 1
exit 0
