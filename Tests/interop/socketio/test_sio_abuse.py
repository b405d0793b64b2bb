"""Abuse resistance: one client must not be able to exhaust the server.

A separate `socketio-conformance` runs with a short request timeout (1 s), a long idle
timeout (30 s, so only the request timeout can explain a close), a short connect timeout
(2 s) and at most 50 pending sessions (connected to no namespace). `GET /stats` reports
the server's open and pending sessions and what the "/slow" namespace's 10 ms handler ran.
"""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import websocket

from sio_helpers import WS, Closed, open_payload, ws_url_for, MAX_PAYLOAD
from sio_server import spawn_conformance, stop_conformance

REQUEST_TIMEOUT = 1.0
CONNECT_TIMEOUT_MS = 2000
MAX_PENDING = 50


@pytest.fixture(scope="module")
def abuse_server():
    proc, port, log = spawn_conformance(["--request-timeout", str(REQUEST_TIMEOUT), "--idle-timeout", "30", "--connect-timeout", str(CONNECT_TIMEOUT_MS),
         "--max-pending-sessions", str(MAX_PENDING), "--ping-interval", "2000"], "/stats", "(abuse settings)")
    yield port
    returncode = stop_conformance(proc, log)
    assert returncode in (0, -15), "server crashed during the abuse tests"


def stats(port: int) -> dict:
    return requests.get(f"http://127.0.0.1:{port}/stats", timeout=5).json()


def wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def is_closed_by_peer(s: socket.socket) -> bool:
    """Whether the peer closed (reads whatever it sent, e.g. a 408, first)."""
    s.setblocking(False)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return True
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        s.setblocking(True)


# ---------------------------------------------------------------- slow HTTP requests


@pytest.mark.timeout(60)
def test_slow_bodies_are_cut_after_the_request_timeout(abuse_server):
    port = abuse_server
    conns = []
    for _ in range(100):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(
            b"POST /engine.io/?EIO=4&transport=polling&sid=whatever HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n4"
        )
        conns.append(s)
    start = time.monotonic()
    # Trickle one byte per connection every 0.2 s: each stays "active", none finishes.
    closed_after: dict[int, float] = {}
    while len(closed_after) < len(conns) and time.monotonic() - start < REQUEST_TIMEOUT + 5:
        for i, s in enumerate(conns):
            if i in closed_after:
                continue
            if is_closed_by_peer(s):
                closed_after[i] = time.monotonic() - start
                continue
            try:
                s.send(b"x")
            except OSError:
                closed_after[i] = time.monotonic() - start
        time.sleep(0.2)
    for s in conns:
        s.close()
    assert len(closed_after) == 100, f"{100 - len(closed_after)} of 100 slow bodies still held"
    assert max(closed_after.values()) <= REQUEST_TIMEOUT + 3, max(closed_after.values())
    assert min(closed_after.values()) >= REQUEST_TIMEOUT * 0.5, min(closed_after.values())


def test_trickled_request_head_is_cut_after_the_request_timeout(abuse_server):
    s = socket.create_connection(("127.0.0.1", abuse_server), timeout=10)
    start = time.monotonic()
    closed = None
    try:
        for byte in b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"y" * 200:
            if is_closed_by_peer(s):
                closed = time.monotonic() - start
                break
            try:
                s.send(bytes([byte]))
            except OSError:
                closed = time.monotonic() - start
                break
            time.sleep(0.05)
    finally:
        s.close()
    assert closed is not None, "a head trickled for 10 s was never cut"
    assert REQUEST_TIMEOUT * 0.5 <= closed <= REQUEST_TIMEOUT + 2, closed


def test_held_long_poll_outlives_the_request_timeout(abuse_server):
    port = abuse_server
    r = requests.get(f"http://127.0.0.1:{port}/engine.io/?EIO=4&transport=polling", timeout=5)
    sid = open_payload(r.text)["sid"]
    start = time.monotonic()
    # Nothing is queued: the server holds this GET until its first ping (2 s).
    r = requests.get(f"http://127.0.0.1:{port}/engine.io/?EIO=4&transport=polling&sid={sid}", timeout=10)
    held = time.monotonic() - start
    assert r.status_code == 200 and r.text == "2", r.text
    assert held >= REQUEST_TIMEOUT + 0.5, held


# ---------------------------------------------------------------- pending sessions


@pytest.mark.timeout(120)
def test_token_less_handshake_flood_is_capped(abuse_server):
    port = abuse_server
    url = f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling"
    assert wait_for(lambda: stats(port)["pendingSessions"] == 0, CONNECT_TIMEOUT_MS / 1000 + 3)
    local = threading.local()
    statuses: dict[int, int] = {}
    peak = {"pending": 0}
    lock = threading.Lock()
    done = threading.Event()

    def handshake(_):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        try:
            r = session.get(url, timeout=10)
            code = r.status_code
            if code == 503:
                assert r.json() == {"code": 6, "message": "Server busy"}, r.text
        except requests.ConnectionError:
            code = -1
        with lock:
            statuses[code] = statuses.get(code, 0) + 1

    def watch():
        while not done.is_set():
            peak["pending"] = max(peak["pending"], stats(port)["pendingSessions"])
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    start = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(handshake, range(5000)))
    finally:
        done.set()
        watcher.join()
    elapsed = time.monotonic() - start
    assert statuses.get(-1, 0) == 0, statuses
    assert set(statuses) <= {200, 503}, statuses
    assert peak["pending"] <= MAX_PENDING, peak
    # Slots free only when pending sessions time out, every CONNECT_TIMEOUT.
    windows = elapsed / (CONNECT_TIMEOUT_MS / 1000) + 1
    assert statuses.get(200, 0) <= MAX_PENDING * windows, (statuses, elapsed)
    assert statuses.get(503, 0) >= 5000 - MAX_PENDING * windows, (statuses, elapsed)
    # Every pending session is closed after the connect timeout.
    assert wait_for(lambda: stats(port)["pendingSessions"] == 0, CONNECT_TIMEOUT_MS / 1000 + 3), stats(port)
    assert wait_for(lambda: stats(port)["sessions"] == 0, 5), stats(port)
    assert requests.get(url, timeout=5).status_code == 200


# ---------------------------------------------------------------- inbound backpressure


@pytest.mark.timeout(60)
def test_flooding_client_that_leaves_stops_costing_the_server(abuse_server):
    port = abuse_server
    before = stats(port)
    ws = websocket.WebSocket()
    ws.connect(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", suppress_origin=True, timeout=5)
    open_payload(ws.recv())
    ws.send("40/slow,")
    assert ws.recv().startswith("40/slow,")
    ws.sock.settimeout(0.2)
    stop = threading.Event()
    sent = {"n": 0}

    def flood():
        frames = [websocket.ABNF.create_frame(f'42/slow,["slow",{i}]', websocket.ABNF.OPCODE_TEXT).format()
                  for i in range(20_000)]
        i = 0
        while i < len(frames) and not stop.is_set():
            try:
                ws.sock.send(frames[i])
                i += 1
            except socket.timeout:
                continue  # the server is not reading: TCP pushes back
            except OSError:
                break
        sent["n"] = i

    sender = threading.Thread(target=flood)
    sender.start()
    time.sleep(1.5)
    stop.set()
    sender.join()
    # Leave abruptly (RST), as a killed client does.
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    ws.sock.close()
    time.sleep(0.3)
    at_leave = stats(port)
    time.sleep(2.0)
    after = stats(port)
    ran = after["slowStarted"] - before["slowStarted"]
    after_leave = after["slowStarted"] - at_leave["slowStarted"]
    assert sent["n"] > 1000, sent
    # 1.8 s of 10 ms handlers is at most ~180 events, whatever the client wrote.
    assert ran < 400, (ran, sent)
    assert after_leave <= 2, f"{after_leave} events ran after the client left (sent {sent['n']})"
    assert after["slowStartedAfterClose"] - before["slowStartedAfterClose"] <= 1, after


# ---------------------------------------------------------------- WebSocket payload limit


@pytest.mark.parametrize("fragmented", [False, True])
def test_websocket_message_over_max_payload_closes_with_1009(ws_url, fragmented):
    with WS(ws_url_for(ws_url, "/engine.io/"), timeout=5) as ws:
        open_payload(ws.recv())
        if fragmented:
            part = b"x" * 100_000
            parts = [b"4" + part] + [part] * 10
            try:
                for i, chunk in enumerate(parts):
                    opcode = websocket.ABNF.OPCODE_TEXT if i == 0 else websocket.ABNF.OPCODE_CONT
                    ws.ws.send_frame(websocket.ABNF.create_frame(chunk, opcode, fin=int(i == len(parts) - 1)))
            except (BrokenPipeError, ConnectionError, websocket.WebSocketConnectionClosedException):
                pass
        else:
            try:
                ws.send("4" + "x" * MAX_PAYLOAD)
            except (BrokenPipeError, ConnectionError, websocket.WebSocketConnectionClosedException):
                pass  # the server may close while the big message is still being written
        code = None
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                frame = ws.recv(timeout=5)
            except Closed as closed:
                code = closed.code
                break
            if frame == "2":
                ws.send("3")
        assert code == 1009, code
