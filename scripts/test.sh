#!/usr/bin/env bash
# The whole check: lint, types, then the suite on SQLite and on a throwaway PostgreSQL, in parallel.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== ruff"; $BIN/ruff check . || exit 1
$BIN/ruff format --check . || exit 1
echo "== mypy"; $BIN/mypy || exit 1

work=$(mktemp -d)
chmod 755 "$work"
pg_port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { bash scripts/pg.sh stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT INT TERM

echo "== starting PostgreSQL on port $pg_port"
bash scripts/pg.sh start "$work/pg" "$pg_port" || exit 1

run_suite() {  # name url
  PRIVACYOPS_TEST_DATABASE_URL=$2 $BIN/pytest -p no:cacheprovider \
    --junitxml="$work/$1.xml" -o junit_suite_name="$1" "${@:3}" >"$work/$1.log" 2>&1
}
run_suite sqlite sqlite "$@" & sqlite_pid=$!
run_suite postgresql "postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres" "$@" & pg_pid=$!
wait $sqlite_pid; sqlite_rc=$?
wait $pg_pid; pg_rc=$?

for name in sqlite postgresql; do
  echo "== pytest on $name"
  cat "$work/$name.log"
done
$BIN/python scripts/junit_total.py "$work/sqlite.xml" "$work/postgresql.xml"
[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
