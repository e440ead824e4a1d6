#!/usr/bin/env bash
# Notifications benchmark: payment reminders for N parties (default 100,000) enqueued, planned
# into e-mail messages and drained through the project's real SMTP test server (aiosmtpd,
# crates/notify/tests/support/smtp_server.py, run as a child process, writing every message to
# disk) on SQLite and PostgreSQL, next to plain multi-row INSERTs of the same rows, and plain-TCP
# / lettre-pool SMTP sends of the same messages to the same server, in the same run.
#
#   ops/bench/notify/run.sh                                   # N = 100,000, drain all of them
#   BENCH_NT_DRAIN=2000 ops/bench/notify/run.sh               # N = 100,000, drain 2,000
#   BENCH_NT_PARTIES=2000 ops/bench/notify/run.sh             # quick
#
# Needs: cargo, python3 with aiosmtpd; for PostgreSQL a server on 127.0.0.1:5432 (user postgres,
# trust auth). It DROPS and recreates the database wsp_bench_nt (dropped again at the end);
# SQLite and the received mail go to a temporary folder (removed at the end). Markdown on
# stdout, progress on stderr, JSON in ops/bench/notify/results/latest.json. Exits 1 if a check
# failed (reminders, messages, delivered, files received == parties or the drain size), 2 on an
# error.
#
#   BENCH_NT_PARTIES      parties, N                                            (100000)
#   BENCH_NT_DRAIN        messages drained through SMTP (the rest stay not due) (N)
#   BENCH_NT_BATCH        messages claimed per deliver() call                   (100)
#   BENCH_NT_LETTRE_SAMPLE messages the lettre-pool baseline sends (time scaled) (2000)
#   BENCH_NT_BACKENDS     sqlite | postgres | both                              (both)
#   BENCH_NT_DATABASE     PostgreSQL database to create and drop                (wsp_bench_nt)
#   BENCH_NT_WORK_DIR     where SQLite data and received mail go (kept)         (a temp folder)
#   BENCH_NT_JSON         where the JSON goes              (ops/bench/notify/results/latest.json)
#   BENCH_PG              PostgreSQL host:port                                  (127.0.0.1:5432)
#   BENCH_SKIP_BUILD=1    use the binary already built
#   CARGO_TARGET_DIR      cargo's target dir (/work/target-release if it exists, else target)
set -euo pipefail

log() { printf '[bench-notify] %s\n' "$*" >&2; }
die() { printf '[bench-notify] error: %s\n' "$*" >&2; exit 1; }

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
BENCH_BIN="$TARGET_DIR/release/wspolnota-bench-notify"

command -v python3 >/dev/null 2>&1 || die "'python3' is not installed"
python3 -c 'import aiosmtpd' 2>/dev/null || die "python3 has no aiosmtpd (pip install aiosmtpd)"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    command -v cargo >/dev/null 2>&1 || die "'cargo' is not installed"
    log "building (release) wspolnota-bench-notify into $TARGET_DIR"
    CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p wspolnota-bench-notify >&2
fi
[[ -x "$BENCH_BIN" ]] || die "no bench binary at $BENCH_BIN"

# The binary reads the BENCH_NT_* and BENCH_PG variables itself.
exec "$BENCH_BIN" --tenants-dir "$ROOT/tenants" \
    --smtp-server "$ROOT/crates/notify/tests/support/smtp_server.py" \
    --json "${BENCH_NT_JSON:-$ROOT/ops/bench/notify/results/latest.json}"
