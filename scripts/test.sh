#!/usr/bin/env bash
# Runs reckon's checks and tests: go vet, staticcheck, govulncheck (when the
# offline database is beside the repository) and go test -race on SQLite and,
# when PostgreSQL is reachable, on PostgreSQL too. With CI=true the PostgreSQL
# lane is required: a missing database fails the run instead of skipping it.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=auto

shared="$(cd .. && pwd)/shared"

# The PostgreSQL lane: use RECKON_TEST_POSTGRES_URL when given, else the local
# server if it answers.
if [ -z "${RECKON_TEST_POSTGRES_URL:-}" ]; then
  if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
    export RECKON_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
  fi
fi
if [ -z "${RECKON_TEST_POSTGRES_URL:-}" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "test.sh: no PostgreSQL: the PostgreSQL lane is required in CI" >&2
    exit 1
  fi
  echo "test.sh: PostgreSQL not reachable: running the SQLite lane only" >&2
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "not gofmt-clean:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go tool staticcheck ./...

if [ -d "$shared/vulndb" ]; then
  echo "== govulncheck (offline database)"
  go tool govulncheck -db "file://$shared/vulndb" ./...
fi

echo "== go test -race (engines: sqlite${RECKON_TEST_POSTGRES_URL:+, postgres})"
log=$(mktemp -t reckon-test.XXXXXX)
status=0
go test -race -count=1 -timeout 30m -v "$@" ./... >"$log" 2>&1 || status=$?
# Package results, skips and failures; the whole output is in $log.
grep -E '^(ok|FAIL|panic:)|--- (FAIL|SKIP)' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "== failures"
  grep -E -B2 -A25 -- '--- FAIL|^panic:' "$log" | head -300 || true
  echo "test.sh: tests failed (full output: $log)" >&2
  exit "$status"
fi

# Show that both lanes ran: passing engine subtests per engine.
for engine in sqlite postgres; do
  n=$(grep -cE -- "--- PASS: .*/${engine}( |/)" "$log" || true)
  echo "lane ${engine}: ${n} passing engine subtests"
  if [ "$n" -eq 0 ] && { [ "$engine" = sqlite ] || [ -n "${RECKON_TEST_POSTGRES_URL:-}" ]; }; then
    echo "test.sh: the ${engine} lane ran no test" >&2
    exit 1
  fi
done
tests=$(grep -cE -- '^\s*--- PASS' "$log" || true)
failed=$(grep -cE -- '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE -- '^\s*--- SKIP' "$log" || true)
echo "tests: ${tests} passed, ${failed} failed, ${skipped} skipped"
