#!/usr/bin/env bash
# PostGraphile 4 and imm_graph side by side on the same PostgreSQL data, loaded by wrk.
#
#   benchmarks/side_by_side.sh                    # full data (1,000/5,000/100,000), 10 s runs
#   SIZE=tiny benchmarks/side_by_side.sh          # tiny data set, 1 s runs: a smoke run for CI
#   WORKERS=2 DURATION=20 ROUNDS=3 benchmarks/side_by_side.sh
#   WORKLOADS=W0,W3 benchmarks/side_by_side.sh
#   COMPILER=false WORKLOADS=W3 benchmarks/side_by_side.sh   # imm_graph on its resolvers
#
# Installs what is missing (the project's .venv, wrk from apt, PostGraphile from npm into
# benchmarks/peer/node_modules), generates the data set (benchmarks/generate.py) when its
# database is missing or predates the programmes, starts PostGraphile (one node process),
# imm_graph and the floor server (uvicorn, WORKERS workers each), checks they answer alike,
# then times them (benchmarks/side_by_side.py) and stops everything it started.
#
# Knobs (environment):
#   SIZE=full|tiny       data set and default durations (full: imm_bench, tiny: imm_bench_tiny)
#   WORKERS=1            uvicorn workers for imm_graph and the floor server
#   DURATION, WARMUP     seconds per timed run and per warm-up (whole seconds; full 10/2, tiny 1/1)
#   ROUNDS=2             timed runs per server and workload, interleaved
#   WRK_THREADS=1        wrk threads; CONNECTIONS=8 keep-alive connections
#   WORKLOADS            comma-separated subset of W0,W1,W1b,W2,W3,W4 (default: all)
#   FLOOR=1              0 skips the floor endpoints
#   COMPILER=true        false: imm_graph answers on its resolvers (IMM_SQL_COMPILER=false)
#   PORT_PEER=18731 PORT_IMM=18732 PORT_FLOOR=18733
#   REGENERATE=1         rebuild the data set
#   BENCH_ADMIN_URL      PostgreSQL superuser URL (default postgresql://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

SIZE="${SIZE:-full}"
case "$SIZE" in
  full) DB="${BENCH_DB:-imm_bench}"; GEN=(--organisations 1000 --hubs 5000 --sessions 100000)
        DURATION="${DURATION:-10}"; WARMUP="${WARMUP:-2}" ;;
  tiny) DB="${BENCH_DB:-imm_bench_tiny}"; GEN=(--organisations 50 --hubs 200 --sessions 2000)
        DURATION="${DURATION:-1}"; WARMUP="${WARMUP:-1}" ;;
  *) echo "SIZE must be full or tiny, not '$SIZE'" >&2; exit 2 ;;
esac
WORKERS="${WORKERS:-1}" ROUNDS="${ROUNDS:-2}" WRK_THREADS="${WRK_THREADS:-1}"
CONNECTIONS="${CONNECTIONS:-8}" FLOOR="${FLOOR:-1}" WORKLOADS="${WORKLOADS:-}"
PORT_PEER="${PORT_PEER:-18731}" PORT_IMM="${PORT_IMM:-18732}" PORT_FLOOR="${PORT_FLOOR:-18733}"
ADMIN="${BENCH_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
DB_URL="${ADMIN%/*}/$DB"                              # postgresql://…/imm_bench
ASYNC_URL="postgresql+asyncpg://${DB_URL#postgresql://}"
for n in "$DURATION" "$WARMUP" "$ROUNDS" "$WORKERS" "$WRK_THREADS" "$CONNECTIONS"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "DURATION, WARMUP, ROUNDS, WORKERS, WRK_THREADS and CONNECTIONS are whole numbers" >&2; exit 2; }
done

say() { printf '\n== %s\n' "$*" >&2; }
children() {  # the pids whose parent is $1 (from /proc: procps may not be installed)
  local stat
  for stat in /proc/[0-9]*/stat; do
    [ "$(sed 's/.*) //' "$stat" 2>/dev/null | cut -d' ' -f2)" = "$1" ] && basename "${stat%/stat}"
  done
  return 0
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- what it needs --------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "making the project's .venv"
  EXTRAS=dev bash scripts/_venv.sh
fi
if ! command -v wrk >/dev/null; then
  say "installing wrk (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in node npm psql git; do
  command -v "$tool" >/dev/null || { echo "$tool is needed and not installed" >&2; exit 1; }
done
PEER_DIR="$ROOT/benchmarks/peer"
if [ ! -f "$PEER_DIR/node_modules/postgraphile/cli.js" ] \
   || ! cmp -s "$PEER_DIR/package-lock.json" "$PEER_DIR/node_modules/.side_by_side-lock"; then
  say "installing PostGraphile (npm ci in benchmarks/peer)"
  (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$PEER_DIR/package-lock.json" "$PEER_DIR/node_modules/.side_by_side-lock"
fi

# --- data -----------------------------------------------------------------------------------
if [ "$(psql "$ADMIN" -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'")" != 1 ]; then
  psql "$ADMIN" -qc "CREATE DATABASE $DB"
fi
# Made by an older generate.py (no programmes) or asked for: generate it (in place: the
# generator empties its tables first, so no one else's open connection is in the way).
current="$(psql "$DB_URL" -tAc "SELECT 1 FROM programmes LIMIT 1" 2>/dev/null || true)"
if [ "${REGENERATE:-0}" = 1 ] || [ "$current" != 1 ]; then
  say "generating $DB (${GEN[*]})"
  .venv/bin/python -m benchmarks.generate --url "$ASYNC_URL" "${GEN[@]}" >/dev/null
  psql "$DB_URL" -qc "VACUUM ANALYZE"
fi
PGOPTIONS="--client-min-messages=warning" psql "$DB_URL" -q -v ON_ERROR_STOP=1 \
  -f benchmarks/peer/peer.sql

# --- servers --------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/side_by_side.XXXXXX")"
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then  # still there: it and the workers it started
      for child in $(children "$pid"); do kill -KILL "$child" 2>/dev/null || true; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" != 0 ]; then
    for log in "$WORK"/*.log; do
      [ -s "$log" ] && { echo "--- last lines of $log" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# imm_graph in production settings, with throwaway secrets.
export IMM_DATABASE_URL="$ASYNC_URL" IMM_ENVIRONMENT=production IMM_LOG_LEVEL=WARNING
export IMM_RATE_LIMIT_PER_MINUTE=1000000000
COMPILER="${COMPILER:-true}"
[[ "$COMPILER" =~ ^(true|false)$ ]] || { echo "COMPILER must be true or false" >&2; exit 2; }
export IMM_SQL_COMPILER="$COMPILER"
IMM_SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
IMM_ENCRYPTION_KEYS="$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
export IMM_SECRET_KEY IMM_ENCRYPTION_KEYS
.venv/bin/imm-graph migrate >/dev/null 2>&1
IMM_BENCH_KEY="$(.venv/bin/imm-graph keys create --name side-by-side --scope read:core \
  --scope read:impact --expires-in-days 1 2>/dev/null)"
export IMM_BENCH_KEY

for port in "$PORT_PEER" "$PORT_IMM" "$PORT_FLOOR"; do  # someone else's server would be measured
  if .venv/bin/python -c "import socket, sys; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; then
    echo "port $port is already in use: stop what listens there or set PORT_PEER/PORT_IMM/PORT_FLOOR" >&2
    exit 1
  fi
done
say "starting PostGraphile :$PORT_PEER, imm_graph :$PORT_IMM and the floor :$PORT_FLOOR ($WORKERS uvicorn worker(s) each)"
# One node process: the CLI itself, not npx (which would add a parent process), no cluster.
(cd "$PEER_DIR" && NODE_ENV=production exec node node_modules/postgraphile/cli.js \
  --connection "$DB_URL" --schema public,bench_peer --host 127.0.0.1 --port "$PORT_PEER" \
  --disable-graphiql --disable-query-log --dynamic-json --no-setof-functions-contain-nulls \
  --simple-collections both --append-plugins @graphile-contrib/pg-many-to-many \
  >"$WORK/postgraphile.log" 2>&1) &
pids+=($!); peer_pid=$!
UVICORN=(--host 127.0.0.1 --workers "$WORKERS" --log-level warning --no-access-log)
.venv/bin/uvicorn --factory imm_graph.app:create_app --port "$PORT_IMM" "${UVICORN[@]}" \
  >"$WORK/imm_graph.log" 2>&1 &
pids+=($!); imm_pid=$!
if [ "$FLOOR" = 1 ]; then
  .venv/bin/uvicorn --factory benchmarks.floor:create_app --port "$PORT_FLOOR" "${UVICORN[@]}" \
    >"$WORK/floor.log" 2>&1 &
  pids+=($!); floor_pid=$!
else
  floor_pid=$$
fi

ready() {  # name url [json body]: wait up to 60 s for a 200 (Python: curl may be missing)
  .venv/bin/python - "$@" "${pids[@]}" <<'PY' || exit 1
import os, sys, time, urllib.request
name, url, body, *pids = sys.argv[1:]
for _ in range(300):
    request = urllib.request.Request(url, data=body.encode() or None,
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        pass
    for pid in pids:
        try:
            os.kill(int(pid), 0)
        except OSError:
            sys.exit(f"a server stopped while starting (waiting for {name})")
    time.sleep(0.2)
sys.exit(f"{name} did not answer at {url} within 60 s")
PY
}
ready PostGraphile "http://127.0.0.1:$PORT_PEER/graphql" '{"query":"{ __typename }"}'
ready imm_graph "http://127.0.0.1:$PORT_IMM/health" ""
[ "$FLOOR" = 1 ] && ready floor "http://127.0.0.1:$PORT_FLOOR/health" ""
echo "PostGraphile: pid $peer_pid, node $(node --version), $(children "$peer_pid" | wc -l) child processes" >&2
workers="$(children "$imm_pid" | tr '\n' ' ')"
if [ -n "$workers" ]; then
  echo "imm_graph: supervisor pid $imm_pid, child processes $workers(the workers take turns at" \
    "accepting: the kernel hands each new connection to whichever accepts first)" >&2
else
  echo "imm_graph: pid $imm_pid, serving in that process" >&2
fi

# --- measure --------------------------------------------------------------------------------
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
wrk_version="$( (wrk -v 2>&1 || true) | head -n 1 | cut -d' ' -f2)"
pg_version="$(psql "$ADMIN" -tAc 'SHOW server_version' | cut -d' ' -f1)"
peer_version="$(node -p 'require("./benchmarks/peer/node_modules/postgraphile/package.json").version')"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ' (with uncommitted changes)' || true)"
args=(--peer "http://127.0.0.1:$PORT_PEER/graphql" --peer-pid "$peer_pid"
      --imm "http://127.0.0.1:$PORT_IMM/graphql" --imm-pid "$imm_pid"
      --floor "http://127.0.0.1:$PORT_FLOOR/graphql" --floor-pid "$floor_pid"
      --db "$DB_URL" --work-dir "$WORK/bodies" --out "benchmarks/results/$stamp-$SIZE.md"
      --rounds "$ROUNDS" --seconds "$DURATION" --warmup "$WARMUP"
      --threads "$WRK_THREADS" --connections "$CONNECTIONS" --workloads "$WORKLOADS"
      --meta "commit=$commit$dirty" --meta "data=SIZE=$SIZE, database $DB"
      --meta "servers=PostGraphile $peer_version (1 node $(node --version) process, pool 10) vs imm_graph (uvicorn, $WORKERS worker(s), SQL compiler $([ "$COMPILER" = true ] && echo on || echo off), production settings, API key with read:core and read:impact)"
      --meta "machine=$(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $pg_version, wrk $wrk_version")
[ "$FLOOR" = 1 ] || args+=(--no-floor)
# In the background and waited for, so that a signal reaches the traps at once (bash runs a
# trap only after its foreground command ends); the driver stops its wrk when it is stopped.
.venv/bin/python -m benchmarks.side_by_side "${args[@]}" &
driver=$!
pids=("$driver" "${pids[@]}")
wait "$driver"
