"""A client that keeps sending but stops reading must not grow server memory
without bound: the server's per-connection outbound buffer is capped (4 MiB by
default) and, by default, the session is closed when it overflows.

The Engine.IO echo endpoint makes this easy to provoke: every message sent is
queued back to the sender, so a sender that never reads fills its own buffer.
"""

from __future__ import annotations

import pathlib
import time

import pytest
import requests
import websocket

from sio_helpers import WS, Polling, assert_server_alive, open_payload, ws_url_for

CHUNK = 900_000  # under maxPayload, so each message is accepted on its own
MAX_OUTBOUND = 4 * 1024 * 1024  # the library's default maxOutboundBufferSize
RSS_ALLOWANCE_MB = 96  # growth tolerated while the test runs (allocator slack, kernel buffers are not RSS)


def rss_mb(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.timeout(30)
def test_polling_client_that_never_polls_is_closed(base_url, conformance_server):
    before = rss_mb(conformance_server.proc.pid)
    s = Polling(base_url)
    s.open()
    for i in range(8):  # 7.2 MB of echoes if nothing bounded them
        # Each POST also carries a pong ("3"), so the session cannot die of a
        # ping timeout: only the outbound bound can close it.
        try:
            r = s.post("4" + "x" * (CHUNK - 1) + "\x1e3", timeout=5)
        except requests.ConnectionError:
            break
        # Like the reference, a closing session may still answer "ok" (and
        # ignore the data) until its last packets are delivered.
        assert r.status_code in (200, 400), (r.status_code, r.text[:200])
    r = s.get(timeout=5)
    if r.status_code == 200:
        packets = r.text.split("\x1e")
        assert packets[-1] == "1", "the session was not closed after its buffer overflowed"
        assert len(r.text) <= MAX_OUTBOUND, f"{len(r.text)} bytes were queued for one client"
        r = s.get()
    assert r.status_code == 400
    grown = rss_mb(conformance_server.proc.pid) - before
    assert grown < RSS_ALLOWANCE_MB, f"server RSS grew by {grown:.0f} MB"
    assert_server_alive(base_url)


@pytest.mark.timeout(30)
def test_websocket_client_that_never_reads_is_closed(ws_url, base_url, conformance_server):
    before = rss_mb(conformance_server.proc.pid)
    ws = WS(ws_url_for(ws_url, "/engine.io/"), timeout=5)
    try:
        open_payload(ws.recv())
        sent = 0
        payload = "4" + "y" * (CHUNK - 1)
        try:
            for _ in range(100):  # 90 MB of echoes if nothing stopped it
                ws.send(payload)
                ws.send("3")  # unsolicited pong: rules out a ping timeout as the cause
                sent += 1
        except (BrokenPipeError, ConnectionError, websocket.WebSocketConnectionClosedException,
                websocket.WebSocketTimeoutException, TimeoutError, OSError):
            pass
        # Whatever the kernel buffered is drained now; the server must have
        # closed the connection rather than keep queueing.
        received = 0
        end = time.monotonic() + 10
        closed = False
        while time.monotonic() < end:
            try:
                frame = ws.recv(timeout=2)
            except Exception:
                closed = True
                break
            received += len(frame)
        assert closed, f"connection still open after {sent} messages and {received} bytes read"
        assert received < sent * CHUNK, "every echo was delivered: nothing was bounded"
    finally:
        ws.close()
    grown = rss_mb(conformance_server.proc.pid) - before
    assert grown < RSS_ALLOWANCE_MB, f"server RSS grew by {grown:.0f} MB"
    assert_server_alive(base_url)
