"""Idle connections are closed (FINDINGS F8), busy ones are not.

A separate `socketio-conformance` runs with `--idle-timeout 1` and a
pingInterval (2 s) longer than that, so a long-polling GET the server holds
outlives the idle timeout.
"""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests
import websocket

from sio_server import spawn_conformance, stop_conformance

IDLE_TIMEOUT = 1.0
PING_INTERVAL_MS = 2000


@pytest.fixture(scope="module")
def idle_server():
    proc, port, log = spawn_conformance(["--idle-timeout", str(IDLE_TIMEOUT), "--ping-interval", str(PING_INTERVAL_MS)], "/engine.io/?EIO=4&transport=polling", "--idle-timeout")
    yield port
    stop_conformance(proc, log)


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def seconds_until_closed(s: socket.socket, limit: float = 8.0) -> float:
    """Reads (and drops) until the peer closes; returns how long that took."""
    start = time.monotonic()
    s.settimeout(limit)
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return time.monotonic() - start
        except socket.timeout:
            pytest.fail(f"connection still open after {limit}s")
        if not chunk:
            return time.monotonic() - start


def read_response(s: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, f"closed before a response head: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        assert chunk, "closed inside a response body"
        body += chunk
    assert len(body) == length, "unexpected bytes after the response"
    return status, body


def get(s: socket.socket, port: int, path: str) -> None:
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())


def test_connection_that_sends_nothing_is_closed(idle_server):
    s = connect(idle_server)
    try:
        elapsed = seconds_until_closed(s)
    finally:
        s.close()
    assert IDLE_TIMEOUT * 0.8 <= elapsed <= IDLE_TIMEOUT + 2.0, elapsed


def test_unfinished_request_head_is_closed(idle_server):
    s = connect(idle_server)
    try:
        s.sendall(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")
        elapsed = seconds_until_closed(s)
    finally:
        s.close()
    assert IDLE_TIMEOUT * 0.8 <= elapsed <= IDLE_TIMEOUT + 2.0, elapsed


def test_keep_alive_connection_idle_after_a_request_is_closed(idle_server):
    s = connect(idle_server)
    try:
        get(s, idle_server, "/engine.io/?EIO=4&transport=polling")
        status, body = read_response(s)
        assert status == 200 and body.startswith(b"0{"), body
        # a second request on the same connection within the timeout still works
        time.sleep(IDLE_TIMEOUT / 2)
        get(s, idle_server, "/engine.io/?EIO=4&transport=polling")
        status, body = read_response(s)
        assert status == 200 and body.startswith(b"0{"), body
        elapsed = seconds_until_closed(s)
    finally:
        s.close()
    assert IDLE_TIMEOUT * 0.8 <= elapsed <= IDLE_TIMEOUT + 2.0, elapsed


def test_long_polling_get_held_past_the_idle_timeout_is_not_cut(idle_server):
    s = connect(idle_server)
    try:
        get(s, idle_server, "/engine.io/?EIO=4&transport=polling")
        status, body = read_response(s)
        assert status == 200
        handshake = json.loads(body[1:])
        assert handshake["pingInterval"] == PING_INTERVAL_MS
        sid = handshake["sid"]
        # nothing to send yet: the server holds this GET until its first ping
        start = time.monotonic()
        get(s, idle_server, f"/engine.io/?EIO=4&transport=polling&sid={sid}")
        s.settimeout(10)
        status, body = read_response(s)
        held = time.monotonic() - start
    finally:
        s.close()
    assert status == 200 and body == b"2", body
    assert held >= IDLE_TIMEOUT + 0.5, f"GET answered after {held:.2f}s, not held past the idle timeout"


def test_websocket_stays_open_past_the_idle_timeout(idle_server):
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{idle_server}/engine.io/?EIO=4&transport=websocket", timeout=10
    )
    try:
        opening = ws.recv()
        assert opening.startswith("0{"), opening
        pings = 0
        start = time.monotonic()
        # two heartbeats (2 s apart) span more than three idle timeouts
        while pings < 2:
            message = ws.recv()
            if message == "2":
                pings += 1
                ws.send("3")
        assert time.monotonic() - start > 3 * IDLE_TIMEOUT
        ws.send("4still here")
        assert ws.recv() == "4still here"
    finally:
        ws.close()
