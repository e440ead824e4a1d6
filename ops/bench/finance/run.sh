#!/usr/bin/env bash
# Finance benchmark: for a tenant with 100,000 parties and 10 years of history, the p50/p99
# of the resident `account` query and of the clerk's arrears list, next to plain SQL on the
# same data in the same run.
#
#   ops/bench/finance/run.sh
#   BENCH_FIN_PARTIES=20000 BENCH_FIN_ACCOUNT_REQUESTS=500 ops/bench/finance/run.sh   # smaller
#
# Needs: cargo, psql, curl, jq; PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and
# Redis on 127.0.0.1:6379. It DROPS and recreates the database wsp_bench_fin (dropped again at
# the end unless BENCH_FIN_KEEP_DB=1). Markdown on stdout, progress on stderr, JSON in
# ops/bench/results/finance-latest.json. Exits 1 if any measured request failed.
#
#   BENCH_FIN_PARTIES           parties generated                                  (100000)
#   BENCH_FIN_YEARS             years of history, ending this year                 (10)
#   BENCH_FIN_ACCOUNTS          bench residents, each linked to one party          (1000)
#   BENCH_FIN_CONCURRENCY       concurrent account queries (and SQL baselines)     (8)
#   BENCH_FIN_ACCOUNT_REQUESTS  measured account queries (and SQL baselines)       (3000)
#   BENCH_FIN_ARREARS_REQUESTS  measured arrears lists (and SQL baselines)         (40)
#   BENCH_FIN_PORT              server port on 127.0.0.1                           (18081)
#   BENCH_FIN_KEEP_DB=1         keep wsp_bench_fin afterwards (to rerun the bench binary)
#   BENCH_PG                    PostgreSQL host:port                               (127.0.0.1:5432)
#   BENCH_REDIS_URL             Redis of the server                                (redis://127.0.0.1:6379)
#   BENCH_SKIP_BUILD=1          use the binaries already built
#   CARGO_TARGET_DIR            cargo's target dir (/work/target-release if it exists, else target)
set -euo pipefail

PARTIES="${BENCH_FIN_PARTIES:-100000}"
YEARS="${BENCH_FIN_YEARS:-10}"
ACCOUNTS="${BENCH_FIN_ACCOUNTS:-1000}"
CONCURRENCY="${BENCH_FIN_CONCURRENCY:-8}"
ACCOUNT_REQUESTS="${BENCH_FIN_ACCOUNT_REQUESTS:-3000}"
ARREARS_REQUESTS="${BENCH_FIN_ARREARS_REQUESTS:-40}"
PORT="${BENCH_FIN_PORT:-18081}"
PG="${BENCH_PG:-127.0.0.1:5432}"
REDIS="${BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
DB=wsp_bench_fin
READY_TIMEOUT=300

log() { printf '[bench-finance] %s\n' "$*" >&2; }
die() { printf '[bench-finance] error: %s\n' "$*" >&2; exit 1; }
is_uint() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
for v in PARTIES YEARS ACCOUNTS CONCURRENCY ACCOUNT_REQUESTS ARREARS_REQUESTS PORT; do
    is_uint "${!v}" || die "BENCH_FIN_$v must be a positive integer, got '${!v}'"
done
(( ACCOUNTS <= PARTIES )) || die "BENCH_FIN_ACCOUNTS must not exceed BENCH_FIN_PARTIES"
(( YEARS <= 30 )) || die "BENCH_FIN_YEARS must be at most 30"
for tool in cargo psql curl jq; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed"
done
PG_HOST="${PG%:*}"
PG_PORT="${PG##*:}"
FIRST_YEAR=$(( $(date -u +%Y) - YEARS + 1 ))

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    TARGET_DIR="$CARGO_TARGET_DIR"
elif [[ -d /work/target-release ]]; then
    TARGET_DIR=/work/target-release
else
    TARGET_DIR="$ROOT/target"
fi
[[ "$TARGET_DIR" == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
SERVER_BIN="$TARGET_DIR/release/wspolnota"
BENCH_BIN="$TARGET_DIR/release/wspolnota-bench-finance"
RESULTS_DIR="$ROOT/ops/bench/results"
DB_URL="postgres://postgres@$PG_HOST:$PG_PORT/$DB"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/wsp-bench-fin.XXXXXX")"
SERVER_PID=""

psql_db() {
    PGOPTIONS='-c client_min_messages=warning' \
        psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        local _
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

cleanup() {
    local rc=$?
    trap - EXIT
    stop_server
    if (( rc != 0 )) && [[ -s "$TMP/server.log" ]]; then
        log "last lines of the server log:"
        tail -n 30 "$TMP/server.log" >&2 || true
    fi
    if [[ "${BENCH_FIN_KEEP_DB:-0}" != 1 ]]; then
        psql_db -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true
    else
        log "kept database $DB ($DB_URL)"
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------- build
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "building (release) wspolnota-server and wspolnota-bench-finance into $TARGET_DIR"
    CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p wspolnota-server -p wspolnota-bench-finance >&2
fi
[[ -x "$SERVER_BIN" ]] || die "no server binary at $SERVER_BIN"
[[ -x "$BENCH_BIN" ]] || die "no bench binary at $BENCH_BIN"

# ---------------------------------------------------------------- database and server
PG_VERSION="$(psql_db -d postgres -c 'SHOW server_version')" || die "PostgreSQL at $PG is not reachable as user postgres"
log "recreating database $DB"
psql_db -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql_db -d postgres -c "CREATE DATABASE $DB"

if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/healthz"; then
    die "something already listens on 127.0.0.1:$PORT; stop it or set BENCH_FIN_PORT"
fi
mkdir -p "$TMP/data"
log "starting wspolnota serve --demo on 127.0.0.1:$PORT (schemas, catalogue, demo accounts)"
# X-Forwarded-For is trusted so that the 1,000 sign-ins (all from 127.0.0.1) each count
# against an address of their own instead of the per-address sign-in limit.
env -u WSPOLNOTA_CONFIG \
    DATABASE_URL="$DB_URL" \
    REDIS_URL="$REDIS" \
    WSPOLNOTA_REDIS_NAMESPACE="wsp-bench-fin-$$-$(date +%s)" \
    WSPOLNOTA_TENANTS_DIR="$ROOT/tenants" \
    WSPOLNOTA_TRUST_PROXY_HEADERS=true \
    RUST_LOG=warn \
    "$SERVER_BIN" serve --demo --bind "127.0.0.1:$PORT" --data-dir "$TMP/data" \
    >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
deadline=$((SECONDS + READY_TIMEOUT))
until curl -s -f -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/readyz"; do
    kill -0 "$SERVER_PID" 2>/dev/null || { wait "$SERVER_PID" || true; SERVER_PID=""; die "the server exited before it was ready"; }
    (( SECONDS < deadline )) || die "the server was not ready within ${READY_TIMEOUT} s"
    sleep 0.5
done

# ---------------------------------------------------------------- data
# The bench residents get the demo accounts' password hash (of `wspolnota-demo`).
HASH="$(psql_db -d "$DB" -c "SELECT password_hash FROM platform.accounts WHERE tenant = 'zamosc' AND email = 'mieszkaniec@zamosc.test'")"
[[ "$HASH" == '$argon2'* ]] || die "no demo account hash found"
log "generating $PARTIES parties × $YEARS years ($FIRST_YEAR–$(( FIRST_YEAR + YEARS - 1 ))) and $ACCOUNTS residents (log: generate.log)"
gen_started=$SECONDS
psql_db -d "$DB" -v schema=t_zamosc -v parties="$PARTIES" -v first_year="$FIRST_YEAR" \
    -v years="$YEARS" -v accounts="$ACCOUNTS" -v hash="$HASH" \
    -f "$ROOT/ops/bench/finance/generate.sql" >"$TMP/generate.log" 2>&1 \
    || { tail -n 30 "$TMP/generate.log" >&2; die "data generation failed"; }
GEN_SECS=$((SECONDS - gen_started))
DB_BYTES="$(psql_db -d "$DB" -c "SELECT pg_database_size('$DB')")"
log "generated in ${GEN_SECS} s; database $(( DB_BYTES / 1000000 )) MB"
awk '/^[a-z]/ { step = $0; next } /^Time:/ && step { printf "[bench-finance]   %-22s %s %s\n", step, $2, $3; step = "" }' "$TMP/generate.log" >&2

# ---------------------------------------------------------------- measure
"$BENCH_BIN" \
    --target "http://127.0.0.1:$PORT" \
    --host zamosc.localhost \
    --database-url "$DB_URL" \
    --concurrency "$CONCURRENCY" \
    --account-requests "$ACCOUNT_REQUESTS" \
    --arrears-requests "$ARREARS_REQUESTS" \
    --json "$TMP/bench.json" >"$TMP/bench.md" || rc=$?
rc=${rc:-0}
cat "$TMP/bench.md"
[[ -s "$TMP/bench.json" ]] || die "the bench wrote no results"

mkdir -p "$RESULTS_DIR"
jq --argjson gen "$GEN_SECS" --argjson bytes "$DB_BYTES" --arg pg "$PG_VERSION" \
    --argjson cpus "$(nproc)" --arg kernel "$(uname -r)" \
    '. + { generation: { seconds: $gen, database_bytes: $bytes },
           machine: { cpus: $cpus, kernel: $kernel, postgresql: $pg } }' \
    "$TMP/bench.json" >"$RESULTS_DIR/finance-latest.json.tmp"
mv "$RESULTS_DIR/finance-latest.json.tmp" "$RESULTS_DIR/finance-latest.json"
printf '\nData generated in %s s; database %s GB; PostgreSQL %s, %s CPUs.\n' \
    "$GEN_SECS" "$(awk -v b="$DB_BYTES" 'BEGIN { printf "%.2f", b / 1e9 }')" "$PG_VERSION" "$(nproc)"
log "wrote $RESULTS_DIR/finance-latest.json"
exit "$rc"
