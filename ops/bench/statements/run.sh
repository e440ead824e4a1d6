#!/usr/bin/env bash
# Statements benchmark: a generated MT940 statement (mBank CompanyNet, one credit per line paying
# a party's property tax through its virtual account, 1 % to unknown accounts) parsed, matched
# (parse + match, no writes), and imported — matched and posted — by the statements e-service on
# SQLite and PostgreSQL, next to PostgreSQL's COPY (SQLite: a prepared multi-row INSERT in one
# transaction) of the same rows into a plain table in the same run; "post" = import − match
# seconds. On PostgreSQL also the "floor": PostgreSQL itself INSERT … SELECTing the rows the
# import's posting wrote into empty copies of their tables (same indexes), and post ÷ floor;
# and "plain": the same rows into copies without indexes (the volume alone), and post ÷ plain;
# and "minimal": the least ANY posting must write per credit (the line with its claim, the one
# ledger line crediting the payer, the message, with their keys), against COPY.
# With BENCH_ST_UNDO_MAX, "undo": the clerk's undo of an import (every posting reversed), timed.
# Files are streamed (never read whole). Each phase runs in a process of its own, so its peak
# RSS (VmHWM) is its own.
#
#   ops/bench/statements/run.sh                                       # N = 1,000,000, sizes N/10,N
#   BENCH_ST_SIZES=10000,100000,1000000 BENCH_ST_IMPORT_MAX=100000 ops/bench/statements/run.sh
#   BENCH_ST_LINES=20000 BENCH_ST_PARTIES=2000 ops/bench/statements/run.sh          # quick
#
# Needs: cargo; for PostgreSQL a server on 127.0.0.1:5432 (user postgres, trust auth). It DROPS
# and recreates the database wsp_bench_st (dropped again at the end); SQLite and the statement
# files go to a temporary folder (removed at the end; ~330 MiB per million lines). Markdown on
# stdout, progress on stderr, JSON in ops/bench/results/statements-latest.json. Exits 1 if a
# check failed (lines imported, matched + unmatched = credits, one journal entry per credit,
# the ledger balances), 2 on an error.
#
#   BENCH_ST_LINES        lines of the largest file, N                          (1000000)
#   BENCH_ST_PARTIES      parties, P                                            (100000)
#   BENCH_ST_SIZES        file sizes, comma-separated                           (N/10,N)
#   BENCH_ST_IMPORT_MAX   import only files up to this many lines               (all)
#   BENCH_ST_UNDO_MAX     also undo (timed) the imports of files up to this many lines  (none)
#   BENCH_ST_BACKENDS     sqlite | postgres | both                              (both)
#   BENCH_ST_IPH          nrb (ID IPH = the 26-digit NRB) | tail (its 16-digit client part) (nrb)
#   BENCH_ST_CHUNK        statement lines the import processes per chunk                (2000)
#   BENCH_ST_DATABASE     PostgreSQL database to create and drop                (wsp_bench_st)
#   BENCH_ST_KEEP_DB=1    leave the PostgreSQL database in place at the end
#   BENCH_ST_WORK_DIR     where files and SQLite data go (kept)                 (a temp folder)
#   BENCH_ST_JSON         where the JSON goes          (ops/bench/results/statements-latest.json)
#   BENCH_PG              PostgreSQL host:port                                  (127.0.0.1:5432)
#   BENCH_SKIP_BUILD=1    use the binary already built
#   CARGO_TARGET_DIR      cargo's target dir (/work/target-release if it exists, else target)
set -euo pipefail

log() { printf '[bench-statements] %s\n' "$*" >&2; }
die() { printf '[bench-statements] error: %s\n' "$*" >&2; exit 1; }

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
BENCH_BIN="$TARGET_DIR/release/wspolnota-bench-statements"

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    command -v cargo >/dev/null 2>&1 || die "'cargo' is not installed"
    log "building (release) wspolnota-bench-statements into $TARGET_DIR"
    CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p wspolnota-bench-statements >&2
fi
[[ -x "$BENCH_BIN" ]] || die "no bench binary at $BENCH_BIN"

# The binary reads the BENCH_ST_* and BENCH_PG variables itself.
exec "$BENCH_BIN" run --tenants-dir "$ROOT/tenants" \
    --json "${BENCH_ST_JSON:-$ROOT/ops/bench/results/statements-latest.json}"
