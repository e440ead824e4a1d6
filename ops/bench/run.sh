#!/usr/bin/env bash
# Load benchmark of wspolnota on PostgreSQL + Redis, next to pgbench -S on the same machine.
#
#   ops/bench/run.sh                       # 32 workers, 10 s per scenario
#   BENCH_CONCURRENCY=64 BENCH_DURATION=20 ops/bench/run.sh
#
# Needs: cargo, psql, pgbench, curl, jq; PostgreSQL on 127.0.0.1:5432 (user postgres, trust
# auth) and Redis on 127.0.0.1:6379. It DROPS and recreates the databases wsp_bench and
# wsp_pgbench. Prints a markdown summary on stdout (progress goes to stderr) and writes it as
# JSON to ops/bench/results/latest.json. Exits 1 if any benchmark request failed.
#
# Other settings (environment):
#   BENCH_CONCURRENCY   workers of the load generator and pgbench clients   (32)
#   BENCH_DURATION      measured seconds per scenario and for pgbench        (10)
#   BENCH_WARMUP        warm-up seconds, not counted, before each            (1)
#   BENCH_HOST          tenant host name; its first label is the tenant      (zamosc.localhost)
#   BENCH_PORT          port the server listens on, on 127.0.0.1              (18080)
#   BENCH_PG            PostgreSQL server as host:port                        (127.0.0.1:5432)
#   BENCH_REDIS_URL     REDIS_URL given to the server                         (redis://127.0.0.1:6379)
#   BENCH_RUST_LOG      RUST_LOG given to the server (request logging costs)  (warn)
#   BENCH_SKIP_BUILD=1  use the binaries already in the target dir
#   CARGO_TARGET_DIR    cargo's target dir                                    (target)
set -euo pipefail

CONCURRENCY="${BENCH_CONCURRENCY:-32}"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-1}"
TENANT_HOST="${BENCH_HOST:-zamosc.localhost}"
PORT="${BENCH_PORT:-18080}"
PG="${BENCH_PG:-127.0.0.1:5432}"
REDIS="${BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
SERVER_LOG_LEVEL="${BENCH_RUST_LOG:-warn}"
PGBENCH_SCALE=10
READY_TIMEOUT=120

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

is_uint() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
is_uint "$CONCURRENCY" || die "BENCH_CONCURRENCY must be a positive integer, got '$CONCURRENCY'"
is_uint "$DURATION" || die "BENCH_DURATION must be a positive integer, got '$DURATION'"
(( DURATION <= 600 )) || die "BENCH_DURATION must be at most 600 seconds"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a non-negative integer, got '$WARMUP'"
is_uint "$PORT" || die "BENCH_PORT must be a port number, got '$PORT'"
[[ "$TENANT_HOST" == *.* ]] || die "BENCH_HOST must look like <slug>.<base domain>, got '$TENANT_HOST'"
BASE_DOMAIN="${TENANT_HOST#*.}"
PG_HOST="${PG%:*}"
PG_PORT="${PG##*:}"

for tool in cargo psql pgbench curl jq; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed"
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ "$TARGET_DIR" == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
SERVER_BIN="$TARGET_DIR/release/wspolnota"
BENCH_BIN="$TARGET_DIR/release/wspolnota-bench"
RESULTS_DIR="$ROOT/ops/bench/results"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/wsp-bench.XXXXXX")"
SERVER_PID=""

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        local _
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server $SERVER_PID did not stop in 10 s after SIGTERM; sending SIGKILL"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

server_log_tail() {
    if [[ -s "$TMP/server.log" ]]; then
        log "last lines of the server log:"
        tail -n 40 "$TMP/server.log" >&2 || true
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT
    stop_server
    if (( rc != 0 )); then
        server_log_tail
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------- build
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "building (release): wspolnota-server, wspolnota-bench into $TARGET_DIR"
    CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p wspolnota-server -p wspolnota-bench >&2
fi
[[ -x "$SERVER_BIN" ]] || die "no server binary at $SERVER_BIN"
[[ -x "$BENCH_BIN" ]] || die "no bench binary at $BENCH_BIN"

# ---------------------------------------------------------------- databases
psql_admin() {
    PGOPTIONS='-c client_min_messages=warning' \
        psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}
PG_VERSION="$(psql_admin -c 'SHOW server_version')" || die "PostgreSQL at $PG is not reachable as user postgres"
for db in wsp_bench wsp_pgbench; do
    log "recreating database $db"
    psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    psql_admin -c "CREATE DATABASE $db"
done

# ---------------------------------------------------------------- server
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/healthz"; then
    die "something already listens on 127.0.0.1:$PORT; stop it or set BENCH_PORT"
fi
mkdir -p "$TMP/data"
log "starting wspolnota serve --demo on 127.0.0.1:$PORT (log: $TMP/server.log)"
# A Redis namespace of its own per run: no rate-limit or login state from an earlier run or
# from another deployment sharing this Redis.
env -u WSPOLNOTA_CONFIG \
    DATABASE_URL="postgres://postgres@$PG_HOST:$PG_PORT/wsp_bench" \
    REDIS_URL="$REDIS" \
    WSPOLNOTA_REDIS_NAMESPACE="wsp-bench-$$-$(date +%s)" \
    WSPOLNOTA_TENANTS_DIR="$ROOT/tenants" \
    RUST_LOG="$SERVER_LOG_LEVEL" \
    "$SERVER_BIN" serve --demo \
    --bind "127.0.0.1:$PORT" \
    --data-dir "$TMP/data" \
    --base-domain "$BASE_DOMAIN" \
    >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

started=$SECONDS
deadline=$((SECONDS + READY_TIMEOUT))
until curl -s -f -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/readyz"; do
    kill -0 "$SERVER_PID" 2>/dev/null || { wait "$SERVER_PID" || true; SERVER_PID=""; die "the server exited before it was ready"; }
    (( SECONDS < deadline )) || die "the server was not ready within ${READY_TIMEOUT} s (GET /readyz)"
    sleep 0.5
done
log "server ready after ~$((SECONDS - started)) s"

# ---------------------------------------------------------------- load
log "load: $CONCURRENCY workers, ${WARMUP} s warm-up + ${DURATION} s per scenario, host $TENANT_HOST"
"$BENCH_BIN" \
    --target "http://127.0.0.1:$PORT" \
    --host "$TENANT_HOST" \
    --concurrency "$CONCURRENCY" \
    --warmup-secs "$WARMUP" \
    --duration-secs "$DURATION" \
    --scenario all \
    --json "$TMP/bench.json" >&2

# The server is idle from here on; stop it so that pgbench has the machine to itself.
stop_server

# ---------------------------------------------------------------- pgbench
PGBENCH=(pgbench -h "$PG_HOST" -p "$PG_PORT" -U postgres)
THREADS=$(( CONCURRENCY < 2 ? CONCURRENCY : 2 ))
log "pgbench -i -s $PGBENCH_SCALE wsp_pgbench"
"${PGBENCH[@]}" -i -s "$PGBENCH_SCALE" -q wsp_pgbench >"$TMP/pgbench-init.log" 2>&1 \
    || { cat "$TMP/pgbench-init.log" >&2; die "pgbench -i failed"; }
if (( WARMUP > 0 )); then
    "${PGBENCH[@]}" -S -n -c "$CONCURRENCY" -j "$THREADS" -T "$WARMUP" wsp_pgbench >/dev/null 2>&1 || true
fi
log "pgbench -S -c $CONCURRENCY -j $THREADS -T $DURATION wsp_pgbench"
"${PGBENCH[@]}" -S -n -c "$CONCURRENCY" -j "$THREADS" -T "$DURATION" wsp_pgbench >"$TMP/pgbench.log" 2>&1 \
    || { cat "$TMP/pgbench.log" >&2; die "pgbench -S failed"; }
PG_TPS="$(awk '/^tps = / { print $3; exit }' "$TMP/pgbench.log")"
if ! [[ "$PG_TPS" =~ ^[0-9]+(\.[0-9]+)?$ ]] || [[ "$PG_TPS" =~ ^0+(\.0*)?$ ]]; then
    cat "$TMP/pgbench.log" >&2
    die "no usable 'tps = ' line in the pgbench output"
fi
log "pgbench -S: $PG_TPS tps"

# ---------------------------------------------------------------- summary
mkdir -p "$RESULTS_DIR"
jq -n \
    --slurpfile bench "$TMP/bench.json" \
    --argjson tps "$PG_TPS" \
    --argjson concurrency "$CONCURRENCY" \
    --argjson duration "$DURATION" \
    --argjson warmup "$WARMUP" \
    --argjson threads "$THREADS" \
    --argjson scale "$PGBENCH_SCALE" \
    --argjson cpus "$(nproc)" \
    --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --arg host "$TENANT_HOST" \
    --arg pg_version "$PG_VERSION" \
    --arg kernel "$(uname -r)" \
    '
    def r(n): (. * n | round) / n;
    {
      date: $date,
      host: $host,
      concurrency: $concurrency,
      warmup_secs: $warmup,
      duration_secs: $duration,
      machine: { cpus: $cpus, kernel: $kernel, postgresql: $pg_version },
      pgbench: { mode: "select-only (-S)", scale: $scale, clients: $concurrency, threads: $threads, tps: $tps },
      scenarios: [
        $bench[0].scenarios[] | {
          scenario,
          requests,
          errors,
          requests_per_sec,
          p50_ms: .latency_ms.p50,
          p99_ms: .latency_ms.p99,
          ratio_to_pgbench: (.requests_per_sec / $tps | r(10000))
        }
      ],
      bench: $bench[0]
    }' >"$RESULTS_DIR/latest.json.tmp"
mv "$RESULTS_DIR/latest.json.tmp" "$RESULTS_DIR/latest.json"
log "wrote $RESULTS_DIR/latest.json"

jq -r '
  def f(n): (. * n | round) / n | tostring;
  "## wspolnota bench \(.date)",
  "",
  "\(.concurrency) concurrent clients, \(.duration_secs) s per scenario after \(.warmup_secs) s warm-up, host `\(.host)`, \(.machine.cpus) CPUs, PostgreSQL \(.machine.postgresql).",
  "",
  "| scenario | req/s | p99 ms | pgbench -S tps | req/s ÷ tps | errors |",
  "|---|---:|---:|---:|---:|---:|",
  (.pgbench.tps as $tps | .scenarios[] |
    "| \(.scenario) | \(.requests_per_sec | f(10)) | \(.p99_ms | f(1000)) | \($tps | f(10)) | \(.ratio_to_pgbench | f(10000)) | \(.errors) |")
' "$RESULTS_DIR/latest.json"

ERRORS="$(jq '[.scenarios[].errors] | add' "$RESULTS_DIR/latest.json")"
if (( ERRORS > 0 )); then
    log "$ERRORS requests failed (see 'first_error' in $RESULTS_DIR/latest.json): the figures are not valid"
    exit 1
fi
