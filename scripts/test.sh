#!/usr/bin/env bash
# ChatOne's one test command: every Swift test (SQLite, a real MariaDB and a real PostgreSQL), then the end-to-end
# tests with real clients from PyPI (Socket.IO protocol and interop, chat over SQLite, MariaDB and PostgreSQL side by
# side, a three-node cluster behind HAProxy), then schemathesis against the OpenAPI document (over the three
# databases, side by side), then the web client: its Socket.IO module under Node and the page itself in Debian's
# chromium, driven by Playwright.
#
# It installs what it needs when missing (Debian and PyPI packages), starts a private MariaDB and a private PostgreSQL
# and stops them again, and removes everything it made, also when tests fail. The last line is "N passed, M failed".
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d "${TMPDIR:-/tmp}/chatone-test.XXXXXX")
mariadb_dir="$work/mariadb"
postgres_dir="$work/postgres"
# PostgreSQL runs as the `postgres` user, which must be able to enter the work directory.
chmod 711 "$work"
log() { printf '\n==> %s\n' "$*"; }

cleanup() {
    [ -d "$mariadb_dir" ] && scripts/mariadb.sh stop "$mariadb_dir" >/dev/null 2>&1
    [ -d "$postgres_dir" ] && scripts/postgres.sh stop "$postgres_dir" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Debian packages: the MariaDB C client is a build dependency, the server is for the tests.
missing=()
dpkg -s libmariadb-dev >/dev/null 2>&1 || missing+=(libmariadb-dev)
dpkg -s mariadb-server >/dev/null 2>&1 || missing+=(mariadb-server)
dpkg -s postgresql >/dev/null 2>&1 || missing+=(postgresql)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
# strace: the crash tests show with it that every ack follows a sync of SQLite's WAL.
command -v strace >/dev/null 2>&1 || missing+=(strace)
# chromium: the web client's browser test (Playwright drives it; it never downloads a browser of its own).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# …and an emoji font, so that the screenshots it saves show emoji rather than empty boxes.
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || missing+=(fonts-noto-color-emoji)
# node (20 or later, for its WebSocket): the web client's Socket.IO module tests.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >"$work/apt.log" 2>&1 ||
        { apt-get update -q >>"$work/apt.log" 2>&1 && apt-get install -y -q "${missing[@]}" >>"$work/apt.log" 2>&1; } ||
        { cat "$work/apt.log"; echo "could not install ${missing[*]}"; exit 1; }
fi

# --- Python clients, pinned, in a venv of the project's own (re-created when the pins change).
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum Tests/interop/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Python test clients"
    rm -rf "$venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check -r Tests/interop/requirements.txt ||
        { echo "could not install Python test clients"; exit 1; }
    echo "$want" >"$stamp"
fi

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- A private MariaDB and a private PostgreSQL for this run, started side by side.
log "starting MariaDB and PostgreSQL"
scripts/mariadb.sh start "$mariadb_dir" "$(free_port)" >"$work/mariadb.url" 2>"$work/mariadb.log" &
mariadb_pid=$!
scripts/postgres.sh start "$postgres_dir" "$(free_port)" >"$work/postgres.url" 2>"$work/postgres.log" &
postgres_pid=$!
wait "$mariadb_pid"
wait "$postgres_pid"
mysql_url=$(tail -n 1 "$work/mariadb.url")
case "$mysql_url" in
    mysql://*) export CHATONE_TEST_MYSQL_URL="$mysql_url" ;;
    *) cat "$work/mariadb.log"; echo "MariaDB did not start"; exit 1 ;;
esac
postgres_url=$(tail -n 1 "$work/postgres.url")
case "$postgres_url" in
    postgres://*) export CHATONE_TEST_POSTGRES_URL="$postgres_url" CHATONE_TEST_POSTGRES_CA="$postgres_dir/tls/ca.pem" ;;
    *) cat "$work/postgres.log"; echo "PostgreSQL did not start"; exit 1 ;;
esac

passed=0
failed=0
status=0
count() { passed=$((passed + $1)); failed=$((failed + $2)); [ "$2" -eq 0 ] || status=1; }

# --- Swift: build everything once, then run every suite (store and API suites run on SQLite, MariaDB and PostgreSQL).
log "swift build --build-tests"
if ! swift build --build-tests 2>&1 | tee "$work/build.log" | grep -E "error:|Compiling|Build complete" | grep -vE "^\[[0-9]+/[0-9]+\] Compiling" ; then :; fi
if ! grep -q "Build complete" "$work/build.log"; then
    grep -E "error:" "$work/build.log" | head -50
    echo "0 passed, 1 failed"
    exit 1
fi
bin=$(swift build --show-bin-path)
export CHATONE_BIN="$bin/chatone" SOCKETIO_CONFORMANCE_BIN="$bin/socketio-conformance"

log "swift test"
# Only failures and the summary are shown; the whole log is kept until the end of the run.
# Swift Testing and XCTest (the SQLKit benchmark suite) each print their own totals.
count_swift() {  # $1 log file
    local swift_total swift_failed xc_line xc_total xc_failed xc_skipped
    swift_total=$(grep -oE "Test run with [0-9]+ tests?" "$1" | grep -oE "[0-9]+" | tail -n 1)
    swift_failed=$(grep -cP "^✘ Test (?!run with).* failed after" "$1" || true)
    xc_line=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$1" | tail -n 1)
    xc_total=$(echo "$xc_line" | grep -oE "Executed [0-9]+" | grep -oE "[0-9]+")
    xc_failed=$(echo "$xc_line" | grep -oE "with [0-9]+ failure" | grep -oE "[0-9]+")
    xc_skipped=$(echo "$xc_line" | grep -oE "[0-9]+ tests? skipped" | grep -oE "[0-9]+")
    if [ -z "$swift_total" ]; then
        echo "swift test did not finish ($1)"
        count 0 1
    else
        count $((swift_total - swift_failed)) "$swift_failed"
        count $(( ${xc_total:-0} - ${xc_failed:-0} - ${xc_skipped:-0} )) "${xc_failed:-0}"
    fi
}
# The Socket.IO library's suites measure protocol timers (ping intervals, connect windows, polling waits) in
# hundreds of milliseconds: they run first, alone, so that the database suites' CPU load beside them cannot stretch
# those timers. Everything else runs after them, in parallel.
swift test --skip-build --filter SocketIOTests 2>&1 | tee "$work/swift-test-socketio.log" |
    grep -E "^✘|Test run with|error:|Fatal error" || true
count_swift "$work/swift-test-socketio.log"
swift test --skip-build --skip SocketIOTests 2>&1 | tee "$work/swift-test.log" |
    grep -E "^✘|Test run with|Executed [0-9]+ test|error:|Fatal error" || true
count_swift "$work/swift-test.log"

# --- End-to-end: pytest over each area; chat runs once per database, the three side by side.
run_pytest() {  # $1 label, $2 folder, rest: env assignments
    start_pytest "$@"
    finish_pytest "$1"
}
start_pytest() {  # the same arguments; runs in the background, output kept for finish_pytest
    local label=$1 dir=$2
    shift 2
    : >"$work/pytest-$label.out"
    [ -d "$dir" ] && ls "$dir"/test_*.py >/dev/null 2>&1 || return 0
    env "$@" "$venv/bin/python" -m pytest "$dir" -q -p no:cacheprovider --junitxml="$work/pytest-$label.xml" \
        -o junit_family=xunit2 >"$work/pytest-$label.out" 2>&1 &
    echo $! >"$work/pytest-$label.pid"
}
finish_pytest() {  # $1 label: waits for its run, shows its output and counts its results
    local label=$1
    [ -f "$work/pytest-$label.pid" ] || return 0
    wait "$(cat "$work/pytest-$label.pid")"
    log "pytest $label"
    cat "$work/pytest-$label.out"
    local xml="$work/pytest-$label.xml"
    if [ -f "$xml" ]; then
        read -r p f < <("$venv/bin/python" - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(tests - bad - skipped, bad)
PY
)
        count "$p" "$f"
    else
        count 0 1
    fi
}
run_pytest socketio Tests/interop/socketio
start_pytest chat-sqlite Tests/interop/chat CHATONE_E2E_DATABASE=sqlite
start_pytest chat-mariadb Tests/interop/chat CHATONE_E2E_DATABASE=mysql
start_pytest chat-postgres Tests/interop/chat CHATONE_E2E_DATABASE=postgres
finish_pytest chat-sqlite
finish_pytest chat-mariadb
finish_pytest chat-postgres

# --- Schemathesis: the REST API against its OpenAPI document, once per database (side by side); one count per
# operation and run.
start_schemathesis() {  # $1 label, rest: env assignments
    local label=$1
    shift
    env "$@" "$venv/bin/python" Tests/interop/schemathesis/run_schemathesis.py >"$work/schemathesis-$label.log" 2>&1 &
    echo $! >"$work/schemathesis-$label.pid"
}
finish_schemathesis() {  # $1 label
    local label=$1
    wait "$(cat "$work/schemathesis-$label.pid")"
    log "schemathesis $label"
    local out="$work/schemathesis-$label.log"
    cat "$out"
    local line
    line=$(grep -E "^schemathesis: [0-9]+ operations passed, [0-9]+ failed$" "$out" | tail -n 1)
    if [ -n "$line" ]; then
        count "$(echo "$line" | grep -oE "[0-9]+ operations" | grep -oE "[0-9]+")" "$(echo "$line" | grep -oE "[0-9]+ failed" | grep -oE "[0-9]+")"
    else
        count 0 1
    fi
}
# The cluster test (three nodes on PostgreSQL behind HAProxy, docs/scaling.md) runs beside them.
dpkg -s haproxy >/dev/null 2>&1 || { apt-get install -y -q haproxy >>"$work/apt.log" 2>&1 ||
    { apt-get update -q >>"$work/apt.log" 2>&1 && apt-get install -y -q haproxy >>"$work/apt.log" 2>&1; }; }
start_pytest cluster Tests/interop/cluster
start_schemathesis sqlite CHATONE_E2E_DATABASE=sqlite
start_schemathesis mariadb CHATONE_E2E_DATABASE=mysql
start_schemathesis postgres CHATONE_E2E_DATABASE=postgres
finish_schemathesis sqlite
finish_schemathesis mariadb
finish_schemathesis postgres
finish_pytest cluster

# --- The web client: its Socket.IO module under Node's test runner (against socketio-conformance), then the page in
# chromium through Playwright (screenshots in .build/artifacts/web).
log "node --test Tests/web"
if node --experimental-websocket --test --test-reporter=tap Tests/web/ >"$work/node-test.log" 2>&1 ||
    grep -qE "^# pass [0-9]+" "$work/node-test.log"; then
    grep -E "^not ok|^# (pass|fail)" "$work/node-test.log"
    node_pass=$(grep -oE "^# pass [0-9]+" "$work/node-test.log" | grep -oE "[0-9]+" | tail -n 1)
    node_fail=$(grep -oE "^# fail [0-9]+" "$work/node-test.log" | grep -oE "[0-9]+" | tail -n 1)
    count "${node_pass:-0}" "${node_fail:-0}"
else
    cat "$work/node-test.log"
    count 0 1
fi
run_pytest web Tests/interop/web CHATONE_E2E_DATABASE=sqlite

# --- Load generator smoke: every workload of chatone-bench at tiny sizes against the debug chatone (one test).
log "chatone-bench --smoke"
if timeout 120 "$bin/chatone-bench" --smoke --spawn "$CHATONE_BIN" >"$work/bench-smoke.log" 2>&1; then
    tail -n 1 "$work/bench-smoke.log"
    count 1 0
else
    cat "$work/bench-smoke.log"
    count 0 1
fi

echo
echo "$passed passed, $failed failed"
exit $status
