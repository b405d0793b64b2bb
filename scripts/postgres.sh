#!/usr/bin/env bash
# A private PostgreSQL server for tests and local clusters, without systemd.
#
#   scripts/postgres.sh start DIR PORT   install Debian's postgresql when missing, create a cluster in DIR, start it on
#                                        127.0.0.1:PORT (with TLS), create role and database `chatone`, and print the
#                                        connection URL as the last line of stdout.
#   scripts/postgres.sh stop DIR         shut that server down and remove DIR (safe to call more than once).
#
# initdb refuses to run as root, so the cluster belongs to the `postgres` user and every server command runs as it
# (`runuser`); DIR must be reachable by that user (the script opens DIR itself, not its parents).
# Progress goes to stderr so that `url=$(scripts/postgres.sh start DIR PORT | tail -1)` gets only the URL.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && echo "$dir"
}

ensure_packages() {
    [ -n "$(bindir)" ] && [ -x "$(bindir)/initdb" ] && command -v psql >/dev/null 2>&1 && return 0
    log "installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y -q postgresql >&2; then
        log "install failed; running apt-get update once and retrying"
        as_root apt-get update -q >&2
        as_root apt-get install -y -q postgresql >&2
    fi
}

# Runs a command as the cluster's owner: root switches user, anyone else must already be able to.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

owner() { if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi; }

start() {
    local dir=$1 port=$2
    ensure_packages
    local bin
    bin=$(bindir)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        log "a server already runs from $dir; stop it first"
        exit 1
    fi
    rm -rf "$dir/data" "$dir/sock" "$dir/tls"
    mkdir -p "$dir/data" "$dir/sock"
    chmod 755 "$dir"
    chown "$(owner)" "$dir/data" "$dir/sock"
    chmod 700 "$dir/data"
    if ! as_owner test -w "$dir/data"; then
        log "user $(owner) cannot reach $dir (a parent directory is closed to it); use a DIR it can enter"
        exit 1
    fi

    local password
    password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
    echo "$password" >"$dir/password"
    log "creating a cluster in $dir/data"
    # Local (socket) logins are trusted for the administrator; TCP logins need a password. --no-sync: a fresh
    # cluster need not survive a power cut while it is being made (the server itself runs with fsync on).
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
        --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }

    # A throw-away CA and server certificate so tests can exercise TLS (sslmode=require / verify-ca / verify-full);
    # plain connections keep working.
    local tls_args=""
    if command -v openssl >/dev/null 2>&1 && make_certificates "$dir/tls" >"$dir/tls.log" 2>&1; then
        chown -R "$(owner)" "$dir/tls"
        chmod 600 "$dir/tls/server-key.pem"
        tls_args="-c ssl=on -c ssl_cert_file=$dir/tls/server-cert.pem -c ssl_key_file=$dir/tls/server-key.pem -c ssl_ca_file=$dir/tls/ca.pem"
    else
        log "no TLS certificates (openssl missing or failed); the server runs without TLS"
    fi

    log "starting postgres on 127.0.0.1:$port"
    # fsync and synchronous_commit on: the production settings (docs/postgresql.md); ChatOne warns under anything else.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/sock/server.log" -w -t 60 \
        -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c max_connections=1000 -c shared_buffers=64MB \
            -c fsync=on -c synchronous_commit=on $tls_args" start >"$dir/pg_ctl.log" 2>&1 \
        || { cat "$dir/pg_ctl.log" >&2; tail -n 30 "$dir/sock/server.log" >&2 || true; exit 1; }

    as_owner psql -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" -U postgres -d postgres >/dev/null <<SQL
CREATE ROLE chatone LOGIN CREATEDB PASSWORD '$password';
CREATE DATABASE chatone OWNER chatone;
SQL
    log "ready"
    echo "postgres://chatone:$password@127.0.0.1:$port/chatone"
}

make_certificates() {
    local tls=$1
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=chatone test CA" \
        -keyout "$tls/ca-key.pem" -out "$tls/ca.pem"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server-key.pem" -out "$tls/server.csr"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$tls/ext.cnf"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" -CAcreateserial -days 2 \
        -extfile "$tls/ext.cnf" -out "$tls/server-cert.pem"
    chmod 644 "$tls/ca.pem"
}

stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    local bin
    bin=$(bindir || true)
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
        local pid
        pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            log "postgres $pid still running; sending KILL"
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir"
}

case "${1:-}" in
start)
    [ $# -eq 3 ] || { echo "usage: $0 start DIR PORT" >&2; exit 2; }
    start "$2" "$3"
    ;;
stop)
    [ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }
    stop "$2"
    ;;
*)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
