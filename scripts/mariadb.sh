#!/usr/bin/env bash
# A private MariaDB server for tests, without systemd.
#
#   scripts/mariadb.sh start DIR PORT   install mariadb-server/libmariadb-dev when missing, create a datadir in DIR,
#                                       start mariadbd on 127.0.0.1:PORT, create user and database `chatone`,
#                                       and print the connection URL as the last line of stdout.
#   scripts/mariadb.sh stop DIR         shut that server down and remove DIR (safe to call more than once).
#
# Progress goes to stderr so that `url=$(scripts/mariadb.sh start DIR PORT | tail -1)` gets only the URL.
set -euo pipefail

log() { echo "mariadb.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_packages() {
    local missing=()
    command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
    command -v mariadb-install-db >/dev/null 2>&1 || missing+=(mariadb-server)
    [ -f /usr/include/mariadb/mysql.h ] || missing+=(libmariadb-dev)
    [ ${#missing[@]} -eq 0 ] && return 0
    local pkgs
    pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
    log "installing $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! as_root apt-get install -y -q $pkgs >&2; then
        log "install failed; running apt-get update once and retrying"
        as_root apt-get update -q >&2
        # shellcheck disable=SC2086
        as_root apt-get install -y -q $pkgs >&2
    fi
}

server_bin() {
    if command -v mariadbd >/dev/null 2>&1; then command -v mariadbd; else echo /usr/sbin/mariadbd; fi
}

start() {
    local dir=$1 port=$2
    ensure_packages
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    local sock="$dir/mysqld.sock" pidfile="$dir/mysqld.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        log "a server already runs from $dir; stop it first"
        exit 1
    fi
    rm -rf "$dir/data"
    log "creating datadir in $dir/data"
    mariadb-install-db --no-defaults --user=root --datadir="$dir/data" \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 \
        || { cat "$dir/install.log" >&2; exit 1; }

    # A throw-away CA and server certificate so tests can exercise TLS (sslmode=required / verify-ca / verify-full);
    # plain connections keep working. The server reports the CA path as @@ssl_ca.
    local tls_args=()
    if command -v openssl >/dev/null 2>&1 && make_certificates "$dir/tls" >"$dir/tls.log" 2>&1; then
        tls_args=(--ssl-ca="$dir/tls/ca.pem" --ssl-cert="$dir/tls/server-cert.pem" --ssl-key="$dir/tls/server-key.pem")
    else
        log "no TLS certificates (openssl missing or failed); the server runs without TLS"
    fi

    log "starting mariadbd on 127.0.0.1:$port"
    # --no-defaults: the system's /etc/mysql config (its socket, datadir, log paths) must not leak into a private server.
    # innodb_flush_log_at_trx_commit=1 (the production setting, docs/operations.md): the crash tests check durability
    # against it, and ChatOne warns at start-up under anything else.
    # innodb_ft_min_token_size=1 and no stopword list: message search finds every word, "a" and "the" included
    # (docs/search.md; InnoDB's defaults skip words under 3 characters and a list of English ones).
    nohup "$(server_bin)" --no-defaults --user=root --datadir="$dir/data" --socket="$sock" --port="$port" \
        --bind-address=127.0.0.1 --pid-file="$pidfile" --log-error="$dir/error.log" \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        --innodb-buffer-pool-size=64M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=1 \
        --innodb-ft-min-token-size=1 --innodb-ft-enable-stopword=0 \
        --max-connections=500 --skip-name-resolve "${tls_args[@]}" \
        </dev/null >"$dir/stdout.log" 2>&1 &
    echo $! >"$dir/launcher.pid"

    local waited=0
    until mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; do
        if ! kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null; then
            log "mariadbd exited during start-up:"; tail -n 30 "$dir/error.log" >&2 || true; exit 1
        fi
        waited=$((waited + 1))
        if [ "$waited" -ge 300 ]; then
            log "mariadbd did not answer within 30 s:"; tail -n 30 "$dir/error.log" >&2 || true; exit 1
        fi
        sleep 0.1
    done

    local password
    password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
    echo "$password" >"$dir/password"
    mariadb --no-defaults --socket="$sock" -uroot <<SQL
CREATE USER 'chatone'@'localhost' IDENTIFIED BY '$password';
CREATE USER 'chatone'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'chatone'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO 'chatone'@'127.0.0.1';
CREATE DATABASE chatone CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
FLUSH PRIVILEGES;
SQL
    log "ready"
    echo "mysql://chatone:$password@127.0.0.1:$port/chatone"
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
}

stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    local sock="$dir/mysqld.sock" pid=""
    [ -f "$dir/mysqld.pid" ] && pid=$(cat "$dir/mysqld.pid" 2>/dev/null || true)
    [ -z "$pid" ] && [ -f "$dir/launcher.pid" ] && pid=$(cat "$dir/launcher.pid" 2>/dev/null || true)
    if [ -S "$sock" ]; then
        timeout 20 mariadb-admin --no-defaults --socket="$sock" -uroot shutdown >/dev/null 2>&1 || true
    fi
    if [ -n "$pid" ]; then
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            log "mariadbd $pid still running; sending TERM"
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
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
