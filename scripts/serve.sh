#!/usr/bin/env bash
# Builds and starts `chatone serve` (SQLite by default: the database file chatone.sqlite in this folder).
# Installs the Debian build dependencies first when they are missing. Extra arguments go to `chatone serve`,
# e.g. scripts/serve.sh --port 8080 --database-url sqlite:///var/lib/chatone/chat.sqlite
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/install-build-deps.sh

swift build --product chatone
exec "$(swift build --show-bin-path)/chatone" serve "$@"
