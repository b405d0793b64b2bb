"""Helpers of the end-to-end tests for ChatOne's real-time API: a real `chatone serve` and real python-socketio clients.

The server binary comes from CHATONE_BIN (default: <repo>/.build/debug/chatone). The database is a fresh SQLite
file per server, or, with CHATONE_E2E_DATABASE=mysql (or postgres), a fresh database created on the server named by
CHATONE_TEST_MYSQL_URL (mysql://user:password@host:port/db) or CHATONE_TEST_POSTGRES_URL
(postgres://user:password@host:port/db) and dropped again afterwards.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import requests
import socketio

REPO = Path(__file__).resolve().parents[3]
BIN = Path(os.environ.get("CHATONE_BIN") or REPO / ".build" / "debug" / "chatone")
DATABASE = os.environ.get("CHATONE_E2E_DATABASE", "sqlite").lower()
JWT_SECRET = "e2e-" + uuid.uuid4().hex + uuid.uuid4().hex  # 68 bytes, fresh per run
SHORT_TTL = 4  # seconds; the access-token lifetime of the `short_server` fixture

# Every rate limit off: the tests of other behaviour register, log in and send far faster than people do. The abuse
# tests (test_abuse.py) turn on the limits they test through `extra_env`.
RATE_LIMITS_OFF = {
    name: "off"
    for name in (
        "CHATONE_RATE_LOGIN_PER_IP", "CHATONE_RATE_LOGIN_FAILURES_PER_USERNAME", "CHATONE_RATE_REGISTER_PER_IP",
        "CHATONE_RATE_REFRESH_PER_IP", "CHATONE_RATE_MESSAGES_PER_USER", "CHATONE_RATE_TYPING_PER_USER",
        "CHATONE_RATE_READS_PER_USER", "CHATONE_RATE_CONVERSATION_CHANGES_PER_USER", "CHATONE_RATE_HANDSHAKES_PER_IP",
    )
}

# Generous default for waits: CI machines here are shared and slow. Waits return as soon as the event arrives.
WAIT = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------- databases


class MySQLDatabases:
    """Creates and drops uniquely named databases on the test MariaDB through the `mariadb` CLI."""

    def __init__(self, url: str):
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("mysql", "mariadb") or not parsed.hostname:
            raise RuntimeError("CHATONE_TEST_MYSQL_URL is not a mysql:// URL")
        self.scheme = parsed.scheme
        self.user = urllib.parse.unquote(parsed.username or "root")
        self.password = urllib.parse.unquote(parsed.password or "")
        self.host = parsed.hostname
        self.port = parsed.port or 3306
        self.query = parsed.query
        self.cli = shutil.which("mariadb") or shutil.which("mysql")
        if not self.cli:
            raise RuntimeError("the mariadb (or mysql) command-line client is needed for CHATONE_E2E_DATABASE=mysql")

    def _run(self, sql: str) -> None:
        env = dict(os.environ, MYSQL_PWD=self.password)  # keeps the password off the process list
        subprocess.run(
            [self.cli, "--no-defaults", "-h", self.host, "-P", str(self.port), "-u", self.user, "-e", sql],
            env=env, check=True, capture_output=True, timeout=60,
        )

    def create(self) -> tuple[str, str]:
        name = "chatone_e2e_" + uuid.uuid4().hex[:16]
        self._run(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        auth = urllib.parse.quote(self.user, safe="")
        if self.password:
            auth += ":" + urllib.parse.quote(self.password, safe="")
        url = f"{self.scheme}://{auth}@{self.host}:{self.port}/{name}"
        if self.query:
            url += "?" + self.query
        return name, url

    def drop(self, name: str) -> None:
        try:
            self._run(f"DROP DATABASE IF EXISTS `{name}`")
        except Exception:  # a leftover database on a throw-away server is not worth failing a run for
            pass


class PostgresDatabases:
    """Creates and drops uniquely named databases on the test PostgreSQL through `psql` (the role may create them)."""

    def __init__(self, url: str):
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("postgres", "postgresql") or not parsed.hostname:
            raise RuntimeError("CHATONE_TEST_POSTGRES_URL is not a postgres:// URL")
        self.url = url
        self.scheme = parsed.scheme
        self.user = urllib.parse.unquote(parsed.username or "postgres")
        self.password = urllib.parse.unquote(parsed.password or "")
        self.host = parsed.hostname
        self.port = parsed.port or 5432
        self.database = parsed.path.lstrip("/") or "postgres"
        self.query = parsed.query
        self.cli = shutil.which("psql")
        if not self.cli:
            raise RuntimeError("the psql command-line client is needed for CHATONE_E2E_DATABASE=postgres")

    def _run(self, sql: str) -> None:
        env = dict(os.environ, PGPASSWORD=self.password)  # keeps the password off the process list
        subprocess.run(
            [self.cli, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port), "-U", self.user,
             "-d", self.database, "-c", sql],
            env=env, check=True, capture_output=True, timeout=60,
        )

    def scalar(self, database: str, sql: str) -> str:
        """The first column of the first row of `sql` in `database`, as text (for tests that look at the store)."""
        env = dict(os.environ, PGPASSWORD=self.password)
        done = subprocess.run(
            [self.cli, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port), "-U", self.user,
             "-d", database, "-c", sql],
            env=env, check=True, capture_output=True, timeout=60, text=True,
        )
        return done.stdout.strip()

    def create(self) -> tuple[str, str]:
        name = "chatone_e2e_" + uuid.uuid4().hex[:16]
        self._run(f"CREATE DATABASE {name}")
        auth = urllib.parse.quote(self.user, safe="")
        if self.password:
            auth += ":" + urllib.parse.quote(self.password, safe="")
        url = f"{self.scheme}://{auth}@{self.host}:{self.port}/{name}"
        if self.query:
            url += "?" + self.query
        return name, url

    def drop(self, name: str) -> None:
        try:
            self._run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except Exception:  # a leftover database on a throw-away server is not worth failing a run for
            pass


def scratch_databases(kind: str = DATABASE) -> MySQLDatabases | PostgresDatabases | None:
    """The database server for `kind` (CHATONE_E2E_DATABASE): None for SQLite, else a maker of fresh databases.
    Raises RuntimeError when the server's URL is not set, ValueError for an unknown kind."""
    if kind == "sqlite":
        return None
    if kind == "mysql":
        url = os.environ.get("CHATONE_TEST_MYSQL_URL")
        if not url:
            raise RuntimeError("CHATONE_E2E_DATABASE=mysql needs CHATONE_TEST_MYSQL_URL")
        return MySQLDatabases(url)
    if kind == "postgres":
        url = os.environ.get("CHATONE_TEST_POSTGRES_URL")
        if not url:
            raise RuntimeError("CHATONE_E2E_DATABASE=postgres needs CHATONE_TEST_POSTGRES_URL")
        return PostgresDatabases(url)
    raise ValueError(f"unknown CHATONE_E2E_DATABASE {kind!r}")


# --------------------------------------------------------------------------------------------- server


class Server:
    """One `chatone serve` process on a free port with its own database."""

    def __init__(self, access_ttl: int | None = None, extra_env: dict[str, str] | None = None,
                 wrapper: list[str] | None = None, database_url: str | None = None):
        """`database_url`: a database to share with other servers (a cluster node); it is neither made nor dropped."""
        if not BIN.exists():
            pytest.fail(f"chatone binary not found at {BIN}; build it or set CHATONE_BIN", pytrace=False)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="chatone-e2e-"))
        self.log_path = self.dir / "server.log"
        self._mysql: MySQLDatabases | PostgresDatabases | None = None
        self._mysql_name: str | None = None
        try:
            self._mysql = None if database_url else scratch_databases()
        except (RuntimeError, ValueError) as error:
            pytest.fail(str(error), pytrace=False)
        if database_url:
            pass
        elif self._mysql:
            self._mysql_name, database_url = self._mysql.create()
        else:
            database_url = f"sqlite://{self.dir / 'chat.sqlite'}"
        env = dict(os.environ)
        env.update(
            CHATONE_JWT_SECRET=JWT_SECRET,
            CHATONE_BCRYPT_COST="4",
            CHATONE_LOG_LEVEL=os.environ.get("CHATONE_E2E_LOG_LEVEL", "debug"),  # debug: the token-leak test reads it all
            CHATONE_CORS_ORIGINS="http://e2e.example",
            **RATE_LIMITS_OFF,
        )
        env.pop("CHATONE_DATABASE_URL", None)
        if access_ttl is not None:
            env["CHATONE_ACCESS_TOKEN_TTL"] = str(access_ttl)
        env.update(extra_env or {})
        self._env = env
        self._command = (wrapper or []) + [
            str(BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--database-url", database_url]
        self._log = open(self.log_path, "wb")
        self._start()

    def _start(self) -> None:
        self.process = subprocess.Popen(self._command, stdout=self._log, stderr=subprocess.STDOUT, env=self._env,
                                        cwd=self.dir)
        self._wait_ready()

    def kill(self) -> None:
        """`kill -9`: the process dies at once, in the middle of whatever it was doing."""
        self.process.kill()
        self.process.wait(timeout=30)

    def restart(self) -> None:
        """Starts the server again on the same port and database (after `kill` or a graceful stop)."""
        assert self.process.poll() is not None, "the server is still running"
        self._log.write(b"\n===== restart =====\n")
        self._log.flush()
        self._start()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log()
                self.stop()
                pytest.fail(f"chatone exited with {self.process.returncode}:\n{log}", pytrace=False)
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        log = self.log()
        self.stop()
        pytest.fail(f"chatone did not become ready within {timeout} s:\n{log}", pytrace=False)

    def log(self, tail: int | None = 20000) -> str:
        """The server's output so far: its last `tail` characters, or all of it."""
        try:
            text = self.log_path.read_text(errors="replace")
            return text if tail is None else text[-tail:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        if self._mysql and self._mysql_name:
            self._mysql.drop(self._mysql_name)
            self._mysql_name = None
        shutil.rmtree(self.dir, ignore_errors=True)

    # REST ------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, token: str | None = None, json=None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, json=json, timeout=30, **kwargs)

    def counter(self, name: str) -> int:
        """The value of an unlabelled counter on /metrics; it must be there exactly once."""
        text = self.request("GET", "/metrics").text
        values = [line.split()[-1] for line in text.splitlines() if line.startswith(name + " ")]
        assert len(values) == 1, (name, values)
        return int(float(values[0]))

    def api(self, method: str, path: str, token: str | None = None, json=None, expect: int | tuple = (200, 201)):
        """A REST call that must succeed; returns the envelope's `data`."""
        response = self.request(method, path, token, json)
        expected = expect if isinstance(expect, tuple) else (expect,)
        assert response.status_code in expected, f"{method} {path}: {response.status_code} {response.text}"
        body = response.json()
        assert body["success"] is True, body
        return body["data"]

    def register(self, prefix: str = "u", display_name: str | None = None) -> "Account":
        username = f"{prefix}_{uuid.uuid4().hex[:10]}"
        password = "pw-" + uuid.uuid4().hex
        body = {"username": username, "password": password}
        if display_name:
            body["displayName"] = display_name
        data = self.api("POST", "/api/v1/auth/register", json=body, expect=201)
        return Account(self, data["user"], password, data["accessToken"])

    def direct(self, a: "Account", b: "Account") -> dict:
        """The direct conversation of two accounts, opened over REST."""
        return self.api("POST", "/api/v1/conversations", a.token, {"type": "direct", "userId": b.id})

    def history(self, account: "Account", conversation_id: str, **query) -> list[dict]:
        params = "&".join(f"{k}={v}" for k, v in query.items())
        return self.api("GET", f"/api/v1/conversations/{conversation_id}/messages?{params}", account.token)


class Account:
    """A registered user: its first token, and helpers to log in more devices and connect sockets."""

    def __init__(self, server: Server, user: dict, password: str, token: str):
        self.server = server
        self.user = user
        self.id: str = user["id"]
        self.username: str = user["username"]
        self.password = password
        self.token = token

    def login(self) -> str:
        """A fresh access token from a new login (another device)."""
        data = self.server.api("POST", "/api/v1/auth/login", json={"username": self.username, "password": self.password})
        return data["accessToken"]

    def connect(self, token: str | None = None, **kwargs) -> "Device":
        return Device.open(self.server, token or self.token, account=self, **kwargs)

    def device(self, **kwargs) -> "Device":
        """A socket on a newly logged-in device of this user."""
        return Device.open(self.server, self.login(), account=self, **kwargs)


# --------------------------------------------------------------------------------------------- sockets


class Device:
    """A python-socketio client that records every event it receives, thread-safely, in arrival order."""

    def __init__(self, server: Server, account: Account | None = None):
        self.server = server
        self.account = account
        self.client = socketio.Client(reconnection=False, handle_sigint=False)
        # python-engineio hands every incoming message to a thread of its own, so two events that arrived in
        # order can reach the handlers out of order on a busy machine. The tests check the order the server
        # sent things in, so messages are handled on the reading thread, in arrival order (the handlers here only
        # record what arrived).
        trigger = self.client.eio._trigger_event

        def in_arrival_order(event, *args, **kwargs):
            if event == "message":
                kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)

        self.client.eio._trigger_event = in_arrival_order
        self._events: list[tuple[str, tuple]] = []
        self._cond = threading.Condition()
        self.disconnected = threading.Event()
        self.disconnect_reasons: list = []
        self.connect_errors: queue.Queue = queue.Queue()
        self.client.on("*", self._record)
        self.client.on("disconnect", self._on_disconnect)
        self.client.on("connect_error", lambda data=None: self.connect_errors.put(data))

    @classmethod
    def open(cls, server: Server, token: str | None, account: Account | None = None, transports=("websocket",),
             headers: dict | None = None, auth: dict | None = None) -> "Device":
        device = cls(server, account)
        device.connect(token, transports=transports, headers=headers, auth=auth)
        return device

    def connect(self, token: str | None, transports=("websocket",), headers: dict | None = None,
                auth: dict | None = None) -> None:
        if auth is None and token is not None:
            auth = {"token": token}
        self.client.connect(self.server.url, auth=auth, headers=headers or {}, transports=list(transports),
                            wait_timeout=WAIT)

    def _record(self, event, *args):
        with self._cond:
            self._events.append((event, args))
            self._cond.notify_all()

    def _on_disconnect(self, *args):
        self.disconnect_reasons.append(args[0] if args else None)
        self.disconnected.set()

    @property
    def connected(self) -> bool:
        return self.client.connected

    def call(self, event: str, data=None, timeout: float = WAIT):
        """Emits with an acknowledgement and returns the ack's payload (the envelope)."""
        return self.client.call(event, data, timeout=timeout)

    def ok(self, event: str, data=None, timeout: float = WAIT):
        """Emits, asserts a success envelope, and returns its `data`."""
        ack = self.call(event, data, timeout=timeout)
        assert isinstance(ack, dict) and ack.get("success") is True, f"{event} {data!r}: {ack!r}"
        return ack["data"]

    def error(self, event: str, data=None, timeout: float = WAIT) -> dict:
        """Emits, asserts a failure envelope, and returns its `error` object."""
        ack = self.call(event, data, timeout=timeout)
        assert isinstance(ack, dict) and ack.get("success") is False, f"{event} {data!r}: {ack!r}"
        assert set(ack) == {"success", "error"}, ack
        return ack["error"]

    def events(self, name: str | None = None) -> list:
        """Payloads (first argument) of every event received so far, optionally of one name."""
        with self._cond:
            return [args[0] if args else None for event, args in self._events if name is None or event == name]

    def wait_for(self, name: str, predicate=lambda payload: True, timeout: float = WAIT):
        """The first received `name` event whose payload satisfies `predicate`, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event, args in self._events:
                    payload = args[0] if args else None
                    if event == name and predicate(payload):
                        return payload
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [event for event, _ in self._events]
                    raise AssertionError(f"no matching {name!r} within {timeout} s; received {seen}")
                self._cond.wait(remaining)

    def wait_count(self, name: str, count: int, predicate=lambda payload: True, timeout: float = WAIT) -> list:
        """Waits until at least `count` matching `name` events have arrived; returns them in arrival order."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [args[0] if args else None for event, args in self._events
                         if event == name and predicate(args[0] if args else None)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"only {len(found)} of {count} {name!r} events within {timeout} s")
                self._cond.wait(remaining)

    def assert_no(self, name: str, predicate=lambda payload: True, within: float = 1.0) -> None:
        """Fails if a matching `name` event arrives (or has arrived) within `within` seconds."""
        time.sleep(within)
        matching = [p for p in self.events(name) if predicate(p)]
        assert not matching, f"unexpected {name!r}: {matching}"

    def clear(self) -> None:
        with self._cond:
            self._events.clear()

    def close(self) -> None:
        try:
            self.client.disconnect()
        except Exception:
            pass


def token_exp(token: str) -> float:
    """The `exp` claim of a JWT (seconds since 1970), read without verifying: the tests only need the time."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return float(json.loads(base64.urlsafe_b64decode(payload))["exp"])


def sleep_until(epoch: float) -> None:
    delay = epoch - time.time()
    if delay > 0:
        time.sleep(delay)


def wait_until(condition, timeout: float = WAIT, interval: float = 0.05) -> bool:
    """Polls `condition` until it is true or `timeout` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def connect_refused(server: Server, **kwargs) -> object:
    """Connects a socket that the server must refuse; returns the `connect_error` payload."""
    device = Device(server)
    with pytest.raises(socketio.exceptions.ConnectionError):
        device.connect(kwargs.pop("token", None), **kwargs)
    try:
        return device.connect_errors.get(timeout=WAIT)
    finally:
        device.close()


def send(device: Device, conversation_id: str, content: str, client_message_id: str | None = None) -> dict:
    """Sends over the socket and returns the acked Message."""
    body = {"conversationId": conversation_id, "content": content}
    if client_message_id is not None:
        body["clientMessageId"] = client_message_id
    return device.ok("message:send", body)
