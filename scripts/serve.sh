#!/usr/bin/env bash
# Builds and starts `chatone serve` (SQLite by default: the database file chatone.sqlite in this folder).
# Installs the Debian build dependencies first when they are missing. Extra arguments go to `chatone serve`,
# e.g. scripts/serve.sh --port 8080 --database-url sqlite:///var/lib/chatone/chat.sqlite
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
dpkg -s libmariadb-dev >/dev/null 2>&1 || missing+=(libmariadb-dev)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

swift build --product chatone
exec "$(swift build --show-bin-path)/chatone" serve "$@"
