#!/usr/bin/env bash
# Payments benchmark: start-payment and notification-processing throughput of the payments
# e-service, at the service level in-process (no HTTP server), on SQLite and PostgreSQL, next
# to plain SQL of comparable work on the same backend in the same run.
#
#   ops/bench/payments/run.sh
#   BENCH_PAY_PARTIES=500 BENCH_PAY_BACKENDS=postgres ops/bench/payments/run.sh   # smaller
#
# Needs: cargo; for PostgreSQL a server on 127.0.0.1:5432 (user postgres, trust auth). It DROPS
# and recreates the database wsp_bench_pay (dropped again at the end); SQLite runs in a
# temporary folder. Markdown on stdout, progress on stderr, JSON in
# ops/bench/results/payments-latest.json. Exits 1 if any operation failed.
#
#   BENCH_PAY_PARTIES             parties = payments = notifications per backend      (2000)
#   BENCH_PAY_CONCURRENCY         concurrent tasks (operations and baselines)         (8)
#   BENCH_PAY_SQLITE_CONCURRENCY  concurrent tasks on SQLite only      (BENCH_PAY_CONCURRENCY)
#   BENCH_PAY_BACKENDS            sqlite | postgres | both                            (both)
#   BENCH_PAY_DATABASE            PostgreSQL database to create and drop              (wsp_bench_pay)
#   BENCH_PAY_PG_CONNECTIONS      PostgreSQL pool size of the store                   (16)
#   BENCH_PG                      PostgreSQL host:port                                (127.0.0.1:5432)
#   BENCH_SKIP_BUILD=1            use the binary already built
#   CARGO_TARGET_DIR              cargo's target dir (/work/target-release if it exists, else target)
set -euo pipefail

log() { printf '[bench-payments] %s\n' "$*" >&2; }
die() { printf '[bench-payments] error: %s\n' "$*" >&2; exit 1; }

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
BENCH_BIN="$TARGET_DIR/release/wspolnota-bench-payments"

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    command -v cargo >/dev/null 2>&1 || die "'cargo' is not installed"
    log "building (release) wspolnota-bench-payments into $TARGET_DIR"
    CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p wspolnota-bench-payments >&2
fi
[[ -x "$BENCH_BIN" ]] || die "no bench binary at $BENCH_BIN"

# The binary reads the BENCH_PAY_* and BENCH_PG variables itself.
export BENCH_PAY_BACKENDS="${BENCH_PAY_BACKENDS:-both}"
exec "$BENCH_BIN" --tenants-dir "$ROOT/tenants" --json "$ROOT/ops/bench/results/payments-latest.json"
