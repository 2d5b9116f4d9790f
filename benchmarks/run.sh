#!/usr/bin/env bash
# Reproduce BENCHMARKS.md: generate the data set in PostgreSQL, serve it, load it.
#
#   benchmarks/run.sh                 # 1 worker, SQL compiler on (the default)
#   WORKERS=2 COMPILER=false benchmarks/run.sh
#
# Needs PostgreSQL (BENCH_ADMIN_URL, default postgres@127.0.0.1) and the project's .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ADMIN="${BENCH_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
DB="${BENCH_DB:-imm_bench}"
URL="postgresql+asyncpg://${ADMIN#postgresql://}"; URL="${URL%/*}/$DB"
PORT="${PORT:-8765}" WORKERS="${WORKERS:-1}" COMPILER="${COMPILER:-true}"
CLIENTS="${CLIENTS:-8}" SECONDS_="${SECONDS_:-30}"

if [ "${REGENERATE:-0}" = 1 ] || ! psql "$ADMIN" -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
  psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  .venv/bin/python -m benchmarks.generate --url "$URL" \
    --organisations 1000 --hubs 5000 --sessions 100000
  psql "${ADMIN%/*}/$DB" -qc "VACUUM ANALYZE"
fi

# Production mode needs its keys; throwaway ones do for a benchmark.
export IMM_DATABASE_URL="$URL" IMM_ENVIRONMENT=production IMM_LOG_LEVEL=WARNING
export IMM_SQL_COMPILER="$COMPILER" IMM_RATE_LIMIT_PER_MINUTE=1000000
export IMM_SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
export IMM_ENCRYPTION_KEYS="$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
.venv/bin/imm-graph migrate >/dev/null 2>&1
BENCH_KEY="$(.venv/bin/imm-graph keys create --name benchmark --scope read:core --expires-in-days 1 2>/dev/null)"

.venv/bin/uvicorn --factory imm_graph.app:create_app --host 127.0.0.1 --port "$PORT" \
  --workers "$WORKERS" --log-level warning --no-access-log &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.2
done
echo "workers=$WORKERS compiler=$COMPILER"
.venv/bin/python -m benchmarks.load --url "http://127.0.0.1:$PORT/graphql" \
  --clients "$CLIENTS" --seconds "$SECONDS_" --key "$BENCH_KEY"
