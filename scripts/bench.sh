#!/usr/bin/env bash
# Builds chatone and chatone-bench in release mode and runs one or more workloads against a server the bench
# starts itself (fresh SQLite per workload), pinned when there are two cores: server on core 0, bench on core 1.
#
#   scripts/bench.sh p1                      # P1 with its defaults (50 pairs, 1000..15000 msg/s)
#   scripts/bench.sh p2 --sockets 10000      # extra arguments go to chatone-bench
#   scripts/bench.sh all
#   scripts/bench.sh smoke                   # the CI smoke run, on release builds
#
# BENCH_NO_BUILD=1 skips the build. See docs/performance.md for the workloads and today's numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

workload=${1:-p1}
shift || true

. scripts/install-build-deps.sh

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    swift build -c release --product chatone
    swift build -c release --product chatone-bench
fi
bin=$(swift build -c release --show-bin-path)

# 10,000 sockets need as many descriptors on each side; the spawned server inherits this limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pin=()
[ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && pin=(--pin)

echo "uptime: $(uptime)"
if [ "$workload" = smoke ]; then
    exec "$bin/chatone-bench" --smoke --spawn "$bin/chatone" "${pin[@]}" "$@"
fi
exec "$bin/chatone-bench" --workload "$workload" --spawn "$bin/chatone" "${pin[@]}" "$@"
