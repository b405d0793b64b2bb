#!/usr/bin/env bash
# Installs the Debian packages a build needs when they are missing (the MariaDB C client, SQLite headers,
# pkg-config). Sourced by serve.sh and bench.sh; test.sh installs these and the test servers itself.
missing=()
dpkg -s libmariadb-dev >/dev/null 2>&1 || missing+=(libmariadb-dev)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
fi
