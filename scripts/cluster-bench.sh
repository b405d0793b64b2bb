#!/usr/bin/env bash
# P1 (durable messaging, chatone-bench) against ChatOne on PostgreSQL: one node, then three nodes behind HAProxy with
# the configuration of docs/scaling.md. Each run gets a fresh private PostgreSQL (scripts/postgres.sh: fsync and
# synchronous_commit on).
#
#   scripts/cluster-bench.sh [-- extra chatone-bench arguments]      e.g. -- --rates 1000,2000,3000 --duration 5
#
# Pinning (when there are two cores or more): the load generator on the last core; the server side (every node,
# PostgreSQL, HAProxy) on the other cores, the same cores for one node and for three, so both configurations get
# the same CPU and the difference is what the cluster's own work costs (NOTIFY, each node reading every batch,
# presence and recovery rows). On a 2-core machine three nodes cannot add CPU; more cores (or machines) can.
# BENCH_NO_BUILD=1 skips the release build. Numbers: docs/scaling.md, "Throughput".
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--" ] && shift

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    swift build -c release --product chatone
    swift build -c release --product chatone-bench
fi
bin=$(swift build -c release --show-bin-path)

cores=$(nproc)
server_pin=() bench_pin=()
if [ "$cores" -ge 2 ] && command -v taskset >/dev/null; then
    server_pin=(taskset -c "0-$((cores - 2))")
    bench_pin=(taskset -c "$((cores - 1))")
fi

work=$(mktemp -d /tmp/chatone-cluster-bench.XXXXXX)
chmod 755 "$work" # PostgreSQL runs as its own user and must reach its directory
pids=()
stop_processes() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
cleanup() {
    stop_processes
    scripts/postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_node() { # URL PORT: a node with the bench's settings (every rate limit off, as chatone-bench --spawn does)
    local limits=()
    for name in LOGIN_PER_IP LOGIN_FAILURES_PER_USERNAME REGISTER_PER_IP REFRESH_PER_IP MESSAGES_PER_USER TYPING_PER_USER \
        READS_PER_USER CONVERSATION_CHANGES_PER_USER HANDSHAKES_PER_IP; do limits+=("CHATONE_RATE_$name=off"); done
    env "${limits[@]}" CHATONE_HOST=127.0.0.1 CHATONE_PORT="$2" CHATONE_DATABASE_URL="$1" \
        CHATONE_JWT_SECRET=chatone-bench-secret-0123456789abcdef0123456789 CHATONE_BCRYPT_COST=4 CHATONE_LOG_LEVEL=error \
        CHATONE_SOCKET_MAX_PENDING=100000 CHATONE_BCRYPT_QUEUE=100000 CHATONE_ACCESS_TOKEN_TTL=86400 \
        "${server_pin[@]}" "$bin/chatone" serve >"$work/node-$2.log" 2>&1 &
    pids+=($!)
}
wait_ready() { # PORT
    for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.2; done
    echo "nothing ready on port $1" >&2
    cat "$work"/node-*.log >&2 || true
    exit 1
}
fresh_database() { # prints the URL of a new, empty PostgreSQL
    scripts/postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work/pg"
    "${server_pin[@]}" scripts/postgres.sh start "$work/pg" "$(free_port)" | tail -n 1
}
bench() { # PORT [chatone-bench arguments]
    local port=$1
    shift
    "${bench_pin[@]}" "$bin/chatone-bench" --workload p1 --host 127.0.0.1 --port "$port" "$@"
}

echo "uptime: $(uptime)"
echo "server side on: ${server_pin[*]:-any core}; bench on: ${bench_pin[*]:-any core}"

echo "== one node"
url=$(fresh_database)
port=$(free_port)
start_node "$url" "$port"
wait_ready "$port"
bench "$port" "$@"
stop_processes

echo "== three nodes behind HAProxy (docs/scaling.md)"
url=$(fresh_database)
p1=$(free_port) p2=$(free_port) p3=$(free_port) lb=$(free_port)
start_node "$url" "$p1"
wait_ready "$p1" # the first node makes the schema; the others then start side by side
start_node "$url" "$p2"
start_node "$url" "$p3"
wait_ready "$p2"
wait_ready "$p3"
python3 - "$work/haproxy.cfg" <<'PY'
import re, sys
text = open("docs/scaling.md").read()
config = re.search(r"<!-- haproxy.cfg begin -->\s*```haproxy\n(.*?)```\s*<!-- haproxy.cfg end -->", text, re.S).group(1)
open(sys.argv[1], "w").write(config)
PY
CHATONE_LB_BIND=127.0.0.1:$lb CHATONE_NODE1=127.0.0.1:$p1 CHATONE_NODE2=127.0.0.1:$p2 CHATONE_NODE3=127.0.0.1:$p3 \
    "${server_pin[@]}" haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_ready "$lb"
bench "$lb" "$@"
