"""Graceful shutdown: SIGTERM makes the executable (a ServiceLifecycle service)
close its sessions and exit promptly, without leaving clients hanging."""

from __future__ import annotations

import queue
import signal
import threading
import time

import pytest
import requests
import socketio

from sio_helpers import Closed, Polling, sio_connect_ws
from sio_server import ConformanceServer


@pytest.mark.timeout(30)
def test_sigterm_closes_sessions_and_exits():
    server = ConformanceServer()
    server.start()
    try:
        ws, reply, _ = sio_connect_ws(server.ws_url)
        poll = Polling(server.base_url)
        poll.open()
        py = socketio.Client(reconnection=False)
        reasons = queue.Queue()
        py.on("disconnect", lambda reason: reasons.put(reason))
        py.connect(server.base_url, transports=["websocket"], wait_timeout=3)

        # a GET parked on the polling session while the server stops
        pending: queue.Queue = queue.Queue()

        def park():
            # keep polling (answering pings) until the session ends one way or another
            while True:
                try:
                    r = poll.get(timeout=5)
                except requests.RequestException as e:
                    pending.put(e)
                    return
                packets = r.text.split("\x1e") if r.status_code == 200 else []
                if r.status_code != 200 or set(packets) - {"2", "6"}:
                    pending.put(r)
                    return
                if "2" in packets:
                    try:
                        poll.post("3")
                    except requests.RequestException:
                        pass

        t = threading.Thread(target=park)
        t.start()
        time.sleep(0.05)

        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=10)
        took = time.monotonic() - started
        assert code == 0, f"exit code {code}; log:\n{server.log_tail()}"
        assert took < 5, f"shutdown took {took:.1f}s"

        # the raw WebSocket is closed (frames before the close are allowed)
        with ws:
            try:
                while True:
                    ws.recv(timeout=2)
            except Closed:
                pass

        # the polling session was ended (close packet, 400, or cut), not left hanging
        t.join(timeout=6)
        assert not t.is_alive(), "parked GET still hanging after shutdown"
        got = pending.get_nowait()
        if isinstance(got, requests.Response):
            assert got.status_code in (200, 400), got.status_code
            if got.status_code == 200:
                assert got.text.split("\x1e")[-1] == "1", got.text

        assert reasons.get(timeout=5) in (
            py.reason.SERVER_DISCONNECT,
            py.reason.TRANSPORT_ERROR,
        )
        py.disconnect()
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()
        server.proc = None
        server.close()
