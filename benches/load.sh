#!/usr/bin/env bash
# Load test: starts the release binary on a fresh database (the demo round, 25
# applications), logs in as saksbehandler and runs wrk against every read that issue 14
# names, on SQLite and on PostgreSQL. Prints req/s, p99 and each read's share of
# /healthz's req/s in the same run, and the server's peak RSS (each run after a second of
# one connection, to warm up): first as the server runs (answers kept in memory while
# nothing changes), then with `--response-cache-mb 0`, where every request is computed. Then the rate of
# allocation writes (each connection proposing amounts for its own application, version
# by version), checking afterwards that the proposals stay within the pool.
#
#   benches/load.sh                 both databases
#   benches/load.sh sqlite          one of them
#   LOAD_DURATION=10s LOAD_CONNECTIONS=64 benches/load.sh
#
# PostgreSQL: TILSKUDD_LOAD_PG_URL (default postgres://postgres@127.0.0.1:5432/test); the
# run uses a schema of its own and drops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${TILSKUDD_BIN:-target/release/tilskudd}"
DURATION="${LOAD_DURATION:-5s}"
CONNECTIONS="${LOAD_CONNECTIONS:-64}"
PG_URL="${TILSKUDD_LOAD_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
PORT="${LOAD_PORT:-3917}"
BASE="http://127.0.0.1:$PORT"
BACKENDS="${1:-both}"

if [ -z "${TILSKUDD_BIN:-}" ]; then
  cargo build --release --quiet
fi
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }

WORK="$(mktemp -d)"
SERVER_PID=""
PG_SCHEMA=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  if [ -n "$PG_SCHEMA" ]; then
    psql "$PG_URL" -qtAc "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() { # $1 = database url, $2 = schema or "", $3 = response cache MB
  local schema_args=()
  [ -n "$2" ] && schema_args=(--pg-schema "$2")
  RUST_LOG=warn "$BIN" --database-url "$1" "${schema_args[@]}" serve --addr "127.0.0.1:$PORT" --demo \
    --response-cache-mb "$3" \
    >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the server did not start:" >&2
  cat "$WORK/server.log" >&2
  exit 1
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

peak_rss_mb() {
  awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"
}

# Prints "req/s p99_ms" of one wrk run; the session cookie goes along unless $2 is "anonymous"
# (as a load balancer's health check, which is one database round trip: the floor).
measure() { # $1 = path, [$2 = anonymous]
  local cookie=(-H "Cookie: $COOKIE")
  [ "${2:-}" = anonymous ] && cookie=()
  # One connection for a moment first, sending what the measured run sends.
  wrk -t1 -c1 -d1s "${cookie[@]}" "$BASE$1" >/dev/null 2>&1
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${cookie[@]}" "$BASE$1" \
    >"$WORK/wrk.txt" 2>&1
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then
    echo "$1 answered with errors under load:" >&2
    cat "$WORK/wrk.txt" >&2
    exit 1
  fi
  awk '
    /Requests\/sec/ { rps = $2 }
    $1 == "99%" {
      v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
      if (unit == "us") v = v / 1000; else if (unit == "s") v = v * 1000
      p99 = v
    }
    END { printf "%.0f %.1f\n", rps, p99 }
  ' "$WORK/wrk.txt"
}

log_in() {
  COOKIE="$(curl -fs -D - -o /dev/null -H 'Content-Type: application/json' \
    -d '{"username":"saksbehandler","password":"demo"}' "$BASE/api/v1/session" |
    awk -F'[:;] *' 'tolower($1) == "set-cookie" { print $2; exit }')"
}

reads() { # $1 = what the table is headed with
  local round application floor floor_p99 rps p99
  round="$(curl -fs -H "Cookie: $COOKIE" "$BASE/api/v1/rounds" |
    jq '[.[] | select(.application_count == 25)][0].id // ([.[] | .id] | max)')"
  application="$(curl -fs -H "Cookie: $COOKIE" "$BASE/api/v1/rounds/$round" |
    jq '.applications[0].id')"
  echo
  echo "== $1: demo round $round, application $application, wrk -t2 -c$CONNECTIONS -d$DURATION =="
  printf '%-34s %9s %9s %9s\n' request "req/s" "p99 ms" "of floor"
  read -r floor floor_p99 <<<"$(measure /healthz anonymous)"
  printf '%-34s %9s %9s %9s\n' "/healthz (no session)" "$floor" "$floor_p99" "100 %"
  for path in "/rounds/$round" "/api/v1/rounds/$round" "/applications/$application" \
    "/api/v1/applications/$application" "/statistikk" "/rounds/$round/report" \
    "/api/v1/rounds/$round/report"; do
    read -r rps p99 <<<"$(measure "$path")"
    printf '%-34s %9s %9s %8s %%\n' "$path" "$rps" "$p99" "$((100 * rps / floor))"
  done
  echo "peak RSS: $(peak_rss_mb) MB"
  ROUND="$round"
}

# Writes: one connection per application, each sending its application's current
# version (read back from the previous answer), so every write is a real change.
writes() {
  local ids count rate pool proposed
  ids="$(curl -fs -H "Cookie: $COOKIE" "$BASE/api/v1/rounds/$ROUND" | jq -r '[.applications[].id] | join(",")')"
  count="$(echo "$ids" | tr ',' '\n' | wc -l)"
  sed -e "s/@IDS@/$ids/" benches/load_writes.lua >"$WORK/writes.lua"
  wrk -t"$count" -c"$count" -d"$DURATION" --latency -H "Cookie: $COOKIE" -s "$WORK/writes.lua" "$BASE" \
    >"$WORK/wrk.txt" 2>&1
  rate="$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/wrk.txt")"
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then
    echo "allocation writes answered with errors:" >&2
    cat "$WORK/wrk.txt" >&2
    exit 1
  fi
  pool="$(curl -fs -H "Cookie: $COOKIE" "$BASE/api/v1/rounds/$ROUND" | jq -r '.pool')"
  proposed="$(curl -fs -H "Cookie: $COOKIE" "$BASE/api/v1/rounds/$ROUND" |
    jq -r '[.applications[] | (.proposed // "0" | tonumber)] | add')"
  echo "allocation writes (PUT /api/v1/applications/{id}/allocation, $count connections): $rate/s," \
    "p99 $(awk '$1 == "99%" { print $2 }' "$WORK/wrk.txt");" \
    "proposed in all $proposed kr of a pool of $pool kr"
  if ! awk -v a="$proposed" -v b="$pool" 'BEGIN { exit !(a <= b) }'; then
    echo "the pool was overspent" >&2
    exit 1
  fi
  echo "peak RSS after writes: $(peak_rss_mb) MB"
}

run_backend() { # $1 = sqlite | postgres
  local url schema=""
  if [ "$1" = sqlite ]; then
    url="sqlite://$WORK/load.db"
  else
    schema="load_$$"
    psql "$PG_URL" -qtAc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
    PG_SCHEMA="$schema"
    url="$PG_URL"
  fi
  start_server "$url" "$schema" 32
  log_in
  reads "$1, answers kept"
  stop_server
  start_server "$url" "$schema" 0
  log_in
  reads "$1, every request computed (--response-cache-mb 0)"
  writes
  stop_server
}

case "$BACKENDS" in
  both) run_backend sqlite; run_backend postgres ;;
  sqlite | postgres) run_backend "$BACKENDS" ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
