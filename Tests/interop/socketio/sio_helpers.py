"""Small raw-protocol clients used by the Engine.IO / Socket.IO tests.

Nothing here understands the protocols beyond framing: the tests spell out the
packets they send and expect, so a mistake in the server cannot be hidden by a
helper that "fixes" it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import requests
import websocket  # websocket-client

# Engine.IO constants the conformance server is configured with.
PING_INTERVAL = 0.300
PING_TIMEOUT = 0.200
MAX_PAYLOAD = 1_000_000
CONNECT_TIMEOUT = 1.000

# How long to wait for something that should happen "now" (a reply, a close).
WAIT = 2.0

SEPARATOR = "\x1e"
TEXT_HEADERS = {"Content-Type": "text/plain;charset=UTF-8"}


# --------------------------------------------------------------------------
# HTTP long-polling
# --------------------------------------------------------------------------


def polling_url(base_url: str, path: str, sid: str | None = None, **extra) -> str:
    query = {"EIO": "4", "transport": "polling"}
    if sid is not None:
        query["sid"] = sid
    query.update(extra)
    return f"{base_url}{path}?{urlencode(query)}"


def open_payload(text: str) -> dict:
    assert text.startswith("0"), f"expected an Engine.IO open packet, got {text!r}"
    return json.loads(text[1:])


class Polling:
    """One Engine.IO session over HTTP long-polling.

    Requests reuse keep-alive connections (one `requests.Session` per thread,
    so a GET and a POST can run in parallel): with pingTimeout at 200 ms, the
    time to open a new TCP connection for each pong matters on a loaded machine.
    """

    def __init__(self, base_url: str, path: str = "/engine.io/") -> None:
        self.base_url = base_url
        self.path = path
        self.sid: str | None = None
        self.handshake: dict | None = None
        self._local = threading.local()

    @property
    def http(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def open(self) -> str:
        r = self.http.get(polling_url(self.base_url, self.path), timeout=WAIT)
        assert r.status_code == 200, f"handshake failed: {r.status_code} {r.text!r}"
        self.handshake = open_payload(r.text)
        self.sid = self.handshake["sid"]
        return self.sid

    def url(self, **extra) -> str:
        return polling_url(self.base_url, self.path, self.sid, **extra)

    def get(self, timeout: float = WAIT, **extra) -> requests.Response:
        return self.http.get(self.url(**extra), timeout=timeout)

    def post(self, body: str | bytes, timeout: float = WAIT, **extra) -> requests.Response:
        data = body.encode() if isinstance(body, str) else body
        return self.http.post(self.url(**extra), data=data, headers=TEXT_HEADERS, timeout=timeout)

    def get_packets(self, timeout: float = WAIT) -> list[str]:
        r = self.get(timeout=timeout)
        assert r.status_code == 200, f"poll failed: {r.status_code} {r.text!r}"
        return r.text.split(SEPARATOR)

    def get_until(self, predicate, deadline: float = WAIT) -> list[str]:
        """Poll (answering pings) until a packet matches; returns all packets seen."""
        seen: list[str] = []
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            packets = self.get_packets()
            seen.extend(packets)
            for p in packets:
                if p == "2":
                    self.post("3")
            if any(predicate(p) for p in packets):
                return seen
        raise AssertionError(f"no matching packet within {deadline}s; saw {seen!r}")


def raw_http_get_then_abort(base_url: str, path_and_query: str, hold: float = 0.005) -> None:
    """Send a GET on a raw TCP socket and drop the connection without reading.

    This is what a browser's AbortController (or a closed tab) looks like to the
    server: the request arrived, then the peer went away.
    """
    host, port = base_url.removeprefix("http://").split(":")
    s = socket.create_connection((host, int(port)), timeout=WAIT)
    s.sendall(
        f"GET {path_and_query} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n".encode()
    )
    time.sleep(hold)
    # RST rather than FIN so the server cannot mistake it for a half-close.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()


def concurrently(*calls):
    """Run callables in parallel threads; returns their results in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(c) for c in calls]
        return [f.result() for f in futures]


# --------------------------------------------------------------------------
# WebSocket
# --------------------------------------------------------------------------


class Closed(Exception):
    """The peer closed the WebSocket (close frame or dropped TCP connection)."""

    def __init__(self, code: int | None = None) -> None:
        super().__init__(f"closed (code {code})")
        self.code = code


class HandshakeRejected(Exception):
    """The HTTP upgrade was refused (no 101)."""

    def __init__(self, status: int | None) -> None:
        super().__init__(f"upgrade refused with HTTP {status}")
        self.status = status


class WS:
    """A WebSocket whose frames are read one at a time, text as str, binary as bytes."""

    def __init__(self, url: str, timeout: float = WAIT) -> None:
        self.url = url
        self.ws = websocket.WebSocket()
        self.ws.settimeout(timeout)
        self.closed = False
        try:
            self.ws.connect(url, suppress_origin=True)
        except websocket.WebSocketBadStatusException as e:
            raise HandshakeRejected(e.status_code) from e
        except (websocket.WebSocketConnectionClosedException, ConnectionError) as e:
            raise HandshakeRejected(None) from e

    def send(self, data: str | bytes) -> None:
        if isinstance(data, (bytes, bytearray)):
            self.ws.send_binary(bytes(data))
        else:
            self.ws.send(data)

    def recv(self, timeout: float = WAIT) -> str | bytes:
        """Next data frame. Raises Closed when the connection ends, TimeoutError if nothing comes."""
        if self.closed:
            raise Closed()
        self.ws.settimeout(timeout)
        try:
            while True:
                opcode, frame = self.ws.recv_data_frame(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    return frame.data.decode("utf-8")
                if opcode == websocket.ABNF.OPCODE_BINARY:
                    return bytes(frame.data)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    self.closed = True
                    code = int.from_bytes(frame.data[:2], "big") if len(frame.data) >= 2 else None
                    raise Closed(code)
                # ping / pong control frames: keep reading
        except websocket.WebSocketTimeoutException as e:
            raise TimeoutError(f"no frame within {timeout}s on {self.url}") from e
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError) as e:
            if isinstance(e, TimeoutError):
                raise
            self.closed = True
            raise Closed() from e
        except websocket.WebSocketProtocolException as e:
            self.closed = True
            raise Closed() from e

    def recv_packet(self, timeout: float = WAIT, answer_pings: bool = True) -> str | bytes:
        """Next frame that is not an Engine.IO ping or noop; pings are answered with pongs.

        Noops ("6") carry nothing and a server may send them on either transport.
        """
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no non-ping frame within {timeout}s")
            frame = self.recv(left)
            if frame == "2":
                if answer_pings:
                    self.send("3")
                continue
            if frame == "6":
                continue
            return frame

    def wait_closed(self, timeout: float = WAIT, answer_pings: bool = False) -> list:
        """Read until the server closes; returns the frames received meanwhile."""
        frames: list = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"connection still open after {timeout}s; frames: {frames!r}")
            try:
                frame = self.recv(left)
            except Closed:
                return frames
            except TimeoutError:
                raise AssertionError(f"connection still open after {timeout}s; frames: {frames!r}") from None
            if frame == "2" and answer_pings:
                self.send("3")
            frames.append(frame)

    def close(self) -> None:
        try:
            self.ws.close(timeout=0.2)
        except Exception:
            pass
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def ws_url_for(ws_base: str, path: str, sid: str | None = None, **query) -> str:
    q = {"EIO": "4", "transport": "websocket"}
    if sid is not None:
        q["sid"] = sid
    q.update(query)
    return f"{ws_base}{path}?{urlencode(q)}"


def assert_ws_refused(url: str) -> None:
    """The server must not open an Engine.IO session for this URL.

    Either the upgrade is refused outright (what the reference server does), or
    the WebSocket is closed before any Engine.IO open packet is sent.
    """
    try:
        ws = WS(url)
    except HandshakeRejected as e:
        assert e.status is None or 400 <= e.status < 500, f"unexpected status {e.status}"
        return
    try:
        frames = ws.wait_closed(WAIT)
    finally:
        ws.close()
    assert not any(isinstance(f, str) and f.startswith("0") for f in frames), (
        f"server opened a session for {url}: {frames!r}"
    )


# --------------------------------------------------------------------------
# Socket.IO over a raw WebSocket
# --------------------------------------------------------------------------


def sio_connect_ws(ws_base: str, namespace_packet: str = "40") -> tuple[WS, str, str]:
    """Engine.IO handshake, then Socket.IO CONNECT; returns (ws, connect reply, auth event)."""
    ws = WS(ws_url_for(ws_base, "/socket.io/"))
    open_payload(ws.recv())
    ws.send(namespace_packet)
    reply = ws.recv_packet()
    auth = ws.recv_packet()
    return ws, reply, auth


def assert_server_alive(base_url: str) -> None:
    """A fresh Engine.IO and Socket.IO handshake still work."""
    for path in ("/engine.io/", "/socket.io/"):
        r = requests.get(polling_url(base_url, path), timeout=WAIT)
        assert r.status_code == 200, f"{path} handshake after the test: {r.status_code} {r.text!r}"
        open_payload(r.text)
