#!/usr/bin/env bash
# Run every benchmark at sizes that fit a 2-core machine and write bench/REPORT.md.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
report=bench/REPORT.md
work=$(mktemp -d)
chmod 755 "$work"
pg_port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { bash scripts/pg.sh stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT INT TERM
bash scripts/pg.sh start "$work/pg" "$pg_port" || exit 1
pg_url="postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"

{
  echo "# Benchmark report"
  echo
  echo "Measured by \`make bench\` on $(nproc) cores, $(date -u +%Y-%m-%d). Each table holds its own"
  echo "baseline, measured in the same run; the ratio column compares against it."
  echo
} >"$report"

run() {  # title, command...
  local title=$1; shift
  echo "== $title"
  {
    echo "## $title"
    echo
    echo '```'
    "$@" 2>&1
    echo '```'
    echo
  } >>"$report"
  tail -n 20 "$report"
}

[ -f bench/vault.py ] && run "Vault primitives" $BIN/python bench/vault.py --sizes 10000 100000
[ -f bench/pii_accuracy.py ] && run "PII in text: accuracy and throughput" $BIN/python bench/pii_accuracy.py
[ -f bench/intake.py ] && run "Intake (SQLite)" $BIN/python bench/intake.py --sizes 10000 100000 --http-max 10000
[ -f bench/intake.py ] && run "Intake (PostgreSQL)" env BENCH_DATABASE_URL="$pg_url" $BIN/python bench/intake.py --sizes 10000 --http-max 10000
# Telemetry at 10^7 readings takes about 20 minutes per database on 2 cores:
# BENCH_TELEMETRY_SIZES="1000000 10000000" make bench adds it.
telemetry_sizes=${BENCH_TELEMETRY_SIZES:-1000000}
for script in consent rights retention telemetry audit load; do
  [ -f "bench/$script.py" ] || continue
  args=()
  [ "$script" = telemetry ] && args=(--sizes $telemetry_sizes --http-max 10000000)
  run "$script (SQLite)" $BIN/python "bench/$script.py" "${args[@]}"
  run "$script (PostgreSQL)" env BENCH_DATABASE_URL="$pg_url" $BIN/python "bench/$script.py" "${args[@]}"
done
run "Several workers and consent freshness (PostgreSQL)" env BENCH_DATABASE_URL="$pg_url" $BIN/python bench/scale.py
run "MQTT and compact HTTP batches (SQLite)" $BIN/python bench/mqtt.py --sizes 100000 --http-max 100000
run "MQTT and compact HTTP batches (PostgreSQL)" env BENCH_DATABASE_URL="$pg_url" $BIN/python bench/mqtt.py --sizes 100000 1000000 --http-max 100000
run "External sources (PostgreSQL and MariaDB)" env BENCH_DATABASE_URL="$pg_url" $BIN/python bench/sources.py --sizes 100000
echo "wrote $report"
