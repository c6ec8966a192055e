#!/usr/bin/env bash
# Kill -9 during screening ingest (SECURITY-TESTS T8.1) for more rounds than
# the 3 that `go test ./...` runs on CI: 20 for a pull request, 200 nightly.
#
#   scripts/crash-test.sh [ROUNDS] [SEED]
#
# Each round kills the real server with SIGKILL while 16 clients submit,
# restarts it on the same SQLite data directory and checks that every
# submission answered 201 is stored with its alert. A failing run prints
# its seed; pass it as SEED to repeat the answers and kill times.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-20}"
case "$rounds" in '' | *[!0-9]* | 0) echo "usage: $0 [ROUNDS] [SEED]" >&2; exit 2 ;; esac
export HUHANG_CRASH=1 HUHANG_CRASH_ROUNDS="$rounds"
if [ -n "${2:-}" ]; then export HUHANG_CRASH_SEED="$2"; fi
# About 2.5 s a round; the timeout leaves room for slow disks.
exec go test -count=1 -run '^TestKill9DuringIngest$' -v -timeout "$((rounds * 10 + 120))s" ./internal/crashtest
