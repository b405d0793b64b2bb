"""Robustness from outside: malformed Engine.IO / Socket.IO input over both transports.

Every bad input must end the session cleanly (a 400 / 413 answer, a closed
WebSocket, or a close packet on the next poll) and never take the server down:
after each case a fresh handshake still works. Expected closes follow the
reference server (`packages/engine.io`, `packages/socket.io`,
`packages/socket.io-parser`).
"""

from __future__ import annotations

import json
import random
import socket
import time

import pytest
import requests
import websocket

from sio_helpers import (
    MAX_PAYLOAD,
    SEPARATOR,
    WAIT,
    WS,
    Closed,
    Polling,
    assert_server_alive,
    open_payload,
    polling_url,
    sio_connect_ws,
    ws_url_for,
)

ERRORS = {
    0: "Transport unknown",
    1: "Session ID unknown",
    2: "Bad handshake method",
    3: "Bad request",
    5: "Unsupported protocol version",
}


def expect_error(r: requests.Response, status: int, code: int) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    assert r.json() == {"code": code, "message": ERRORS[code]}


def expect_polling_closed(s: Polling, deadline: float = WAIT) -> None:
    """The session is gone: the next GET is a 400, or carries a close packet followed by 400s."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        r = s.get()
        if r.status_code == 400:
            return
        assert r.status_code == 200, (r.status_code, r.text)
        packets = r.text.split(SEPARATOR)
        if "1" in packets:
            assert s.get().status_code == 400, "session still answers after its close packet"
            return
        for p in packets:
            if p == "2":
                s.post("3")
    raise AssertionError("polling session still open")


def sio_polling_session(base_url: str) -> Polling:
    """Socket.IO over long-polling with the main namespace connected."""
    s = Polling(base_url, "/socket.io/")
    s.open()
    assert s.post("40").status_code == 200
    seen = s.get_until(lambda p: p == '42["auth",{}]')
    assert any(p.startswith("40{") for p in seen), seen
    return s


# ================================================================ HTTP errors


class TestHTTPErrors:
    """Error answers as the reference server gives them: JSON `{code, message}`."""

    @pytest.mark.parametrize("path", ["/engine.io/", "/socket.io/"])
    def test_handshake_error_bodies(self, base_url, path):
        expect_error(requests.get(f"{base_url}{path}?transport=polling", timeout=WAIT), 400, 5)
        expect_error(requests.get(f"{base_url}{path}?EIO=3&transport=polling", timeout=WAIT), 400, 5)
        expect_error(requests.get(f"{base_url}{path}?EIO=4", timeout=WAIT), 400, 0)
        expect_error(requests.get(f"{base_url}{path}?EIO=4&transport=carrier-pigeon", timeout=WAIT), 400, 0)
        expect_error(requests.post(polling_url(base_url, path), data=b"4x", timeout=WAIT), 400, 2)
        # a WebSocket handshake attempted as a plain GET (no upgrade headers)
        expect_error(requests.get(f"{base_url}{path}?EIO=4&transport=websocket", timeout=WAIT), 400, 3)

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_unknown_sid(self, base_url, method):
        url = polling_url(base_url, "/engine.io/", "no-such-session")
        r = requests.request(method, url, data=b"4x" if method == "post" else None, timeout=WAIT)
        expect_error(r, 400, 1)

    def test_transport_mismatch(self, base_url, ws_url):
        # sid of a WebSocket session used with transport=polling
        with WS(ws_url_for(ws_url, "/engine.io/")) as ws:
            sid = open_payload(ws.recv())["sid"]
            expect_error(requests.get(polling_url(base_url, "/engine.io/", sid), timeout=WAIT), 400, 3)
            # the WebSocket session is unaffected
            ws.send("4still-here")
            assert ws.recv_packet() == "4still-here"

    def test_post_over_max_payload_is_413(self, base_url):
        s = Polling(base_url)
        s.open()
        r = s.post("4" + "x" * MAX_PAYLOAD, timeout=5)
        assert r.status_code == 413
        # The session must not hang a later poll: either it is gone, or it is
        # alive and answers within a heartbeat.
        later = s.get(timeout=WAIT)
        assert later.status_code in (200, 400), later.status_code
        assert_server_alive(base_url)

    def test_post_exactly_max_payload_is_accepted(self, base_url):
        s = Polling(base_url)
        s.open()
        body = "4" + "x" * (MAX_PAYLOAD - 1)
        r = s.post(body, timeout=5)
        assert r.status_code == 200 and r.text == "ok"
        assert s.get(timeout=5).text == body

    def test_overlapping_post_closes_session(self, base_url):
        """A second POST while the first one's body is still arriving: 400 and session closed."""
        s = Polling(base_url)
        s.open()
        host, port = base_url.removeprefix("http://").split(":")
        slow = socket.create_connection((host, int(port)), timeout=WAIT)
        try:
            path = s.url().removeprefix(base_url)
            slow.sendall(
                (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                 f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 100\r\n\r\n4hel").encode()
            )
            time.sleep(0.1)  # let the server start reading the first body
            r = s.post("4second")
            assert r.status_code == 400
        finally:
            slow.close()
        expect_polling_closed(s)
        assert_server_alive(base_url)


def test_polling_client_close_without_pending_get(base_url):
    """Client sends the close packet while no GET is parked. The reference
    removes the session at once: the next request on that sid is a 400."""
    s = Polling(base_url)
    s.open()
    r = s.post("1")
    assert r.status_code == 200 and r.text == "ok"
    assert s.post("4after-close").status_code == 400, "POST accepted on a session the client closed"
    assert s.get().status_code == 400


# ================================================================ Engine.IO over polling


BAD_POLLING_BODIES = [
    pytest.param(b"", id="empty"),
    pytest.param(b"abc", id="letters"),
    pytest.param(b"9", id="type-9"),
    pytest.param(b"7hello", id="type-7"),
    pytest.param(b"4hello\x1e", id="trailing-separator"),
    pytest.param(b"\x1e\x1e", id="only-separators"),
    pytest.param(b"4ok\x1ezz", id="good-then-bad"),
    pytest.param(b"\xff\xfe\xfd", id="not-utf8"),
]


@pytest.mark.parametrize("body", BAD_POLLING_BODIES)
def test_polling_bad_payload_closes_session(base_url, body):
    s = Polling(base_url)
    s.open()
    try:
        r = s.post(body)
        assert r.status_code == 400, (r.status_code, r.text)
    except requests.ConnectionError:
        pass
    expect_polling_closed(s)
    assert_server_alive(base_url)


# ================================================================ Engine.IO over WebSocket


BAD_EIO_FRAMES = [
    pytest.param("", id="empty"),
    pytest.param("abc", id="letters"),
    pytest.param("9", id="type-9"),
    pytest.param("7x", id="type-7"),
    pytest.param("\x00", id="nul"),
    pytest.param("😀", id="emoji"),
    # v4 heartbeats go server -> client only; the reference closes with
    # "invalid heartbeat direction" when a client pings
    pytest.param("2", id="client-ping"),
    pytest.param("2probe", id="probe-on-open-session"),
]


@pytest.mark.parametrize("frame", BAD_EIO_FRAMES)
def test_websocket_bad_engineio_packet_closes(ws_url, base_url, frame):
    with WS(ws_url_for(ws_url, "/engine.io/")) as ws:
        open_payload(ws.recv())
        ws.send(frame)
        ws.wait_closed(answer_pings=True)
    assert_server_alive(base_url)


def test_websocket_invalid_utf8_text_frame_closes(ws_url, base_url):
    with WS(ws_url_for(ws_url, "/engine.io/")) as ws:
        open_payload(ws.recv())
        ws.ws.send(b"4\xff\xfe", opcode=websocket.ABNF.OPCODE_TEXT)
        ws.wait_closed(answer_pings=True)
    assert_server_alive(base_url)


@pytest.mark.parametrize("kind", ["text", "binary"])
def test_websocket_frame_over_max_payload_closes(ws_url, base_url, kind):
    with WS(ws_url_for(ws_url, "/engine.io/"), timeout=5) as ws:
        open_payload(ws.recv())
        if kind == "text":
            ws.send("4" + "x" * MAX_PAYLOAD)
        else:
            ws.send(b"\x00" * (MAX_PAYLOAD + 1))
        frames = ws.wait_closed(timeout=5, answer_pings=True)
        assert all(len(f) < 100 for f in frames), "oversized frame was echoed"
    assert_server_alive(base_url)


def test_websocket_frame_at_max_payload_is_echoed(ws_url):
    with WS(ws_url_for(ws_url, "/engine.io/"), timeout=5) as ws:
        open_payload(ws.recv())
        body = "4" + "y" * (MAX_PAYLOAD - 1)
        ws.send(body)
        assert ws.recv_packet(timeout=5) == body


def test_websocket_without_handshake_bytes(base_url):
    """Raw TCP garbage on the HTTP port, then a dropped connection."""
    host, port = base_url.removeprefix("http://").split(":")
    for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\n"):
        s = socket.create_connection((host, int(port)), timeout=WAIT)
        s.sendall(junk)
        s.close()
    assert_server_alive(base_url)


# ================================================================ Socket.IO over WebSocket


BAD_SIO_PACKETS = [
    pytest.param('42["message"', id="truncated-json"),
    pytest.param("42[]", id="empty-array"),
    pytest.param("42[1", id="truncated-array"),
    pytest.param('42["disconnect"]', id="reserved-event-name"),
    pytest.param('42[{"a":1}]', id="event-name-object"),
    pytest.param('42"message"', id="event-not-array"),
    pytest.param("4", id="empty-socketio-packet"),
    pytest.param("4x", id="bad-type-letter"),
    pytest.param("47", id="type-7"),
    pytest.param("49[]", id="type-9"),
    pytest.param("41{}", id="disconnect-with-payload"),
    pytest.param('40"string-auth"', id="connect-auth-not-object"),
    pytest.param("40", id="duplicate-connect"),
    pytest.param('44{"message":"x"}', id="connect-error-from-client"),
    pytest.param('42/custom,["message","x"]', id="event-on-unjoined-namespace"),
    pytest.param("41/custom,", id="disconnect-from-unjoined-namespace"),
    pytest.param('45a-["message",{"_placeholder":true,"num":0}]', id="attachments-not-number"),
    pytest.param('45-1-["message"]', id="attachments-negative"),
    pytest.param('4511-["message"]', id="attachments-over-limit"),
    pytest.param('421.5["message-with-ack",1]', id="ack-id-fraction"),
]


@pytest.mark.parametrize("packet", BAD_SIO_PACKETS)
def test_websocket_bad_socketio_packet_closes(ws_url, base_url, packet):
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        assert reply.startswith("40{")
        ws.send(packet)
        frames = ws.wait_closed(answer_pings=True)
        assert not any(isinstance(f, str) and f.startswith("42") for f in frames), frames
    assert_server_alive(base_url)


def test_event_before_connect_closes_immediately(ws_url, base_url):
    """v5 spec: "If the server does not receive a CONNECT packet first, then it
    MUST close the connection immediately" (not only at connectTimeout)."""
    with WS(ws_url_for(ws_url, "/socket.io/")) as ws:
        open_payload(ws.recv())
        started = time.monotonic()
        ws.send('42["message","too early"]')
        frames = ws.wait_closed(answer_pings=True)
        elapsed = time.monotonic() - started
        assert not any(isinstance(f, str) and f.startswith("42") for f in frames), frames
    assert elapsed < 0.5, f"closed only after {elapsed:.2f}s (connectTimeout), not immediately"
    assert_server_alive(base_url)


def test_websocket_unexpected_binary_frame_closes(ws_url, base_url):
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send(b"\x01\x02\x03")
        ws.wait_closed(answer_pings=True)
    assert_server_alive(base_url)


def test_websocket_text_while_waiting_for_attachment_closes(ws_url, base_url):
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send('451-["message",{"_placeholder":true,"num":0}]')
        ws.send('42["message","not an attachment"]')
        frames = ws.wait_closed(answer_pings=True)
        assert not any(isinstance(f, str) and f.startswith("42") for f in frames), frames
    assert_server_alive(base_url)


def test_websocket_placeholder_out_of_range_closes(ws_url, base_url):
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send('451-["message",{"_placeholder":true,"num":5}]')
        ws.send(b"\x01")
        frames = ws.wait_closed(answer_pings=True)
        assert not any(isinstance(f, str) and f.startswith("45") for f in frames), frames
    assert_server_alive(base_url)


def test_websocket_attachment_count_zero_binary_event(ws_url):
    """`450-` is legal: a binary event with no attachments is delivered at once."""
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send('450-["message","plain"]')
        assert ws.recv_packet() == '42["message-back","plain"]'


def test_websocket_huge_socketio_event_under_max_payload(ws_url):
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        big = "z" * 500_000
        ws.send("42" + json.dumps(["message", big], separators=(",", ":")))
        assert ws.recv_packet(timeout=5) == '42["message-back","' + big + '"]'


# ================================================================ Socket.IO over polling


@pytest.mark.parametrize("body", ["42{}", '42["message"', "4abc", '42abc["message-with-ack",1]', "41{}"])
def test_polling_bad_socketio_packet_closes(base_url, body):
    s = sio_polling_session(base_url)
    r = s.post(body)
    assert r.status_code in (200, 400), r.status_code
    expect_polling_closed(s)
    assert_server_alive(base_url)


def test_polling_socketio_roundtrip_still_works(base_url):
    """Control case for the above: the same session accepts a valid event."""
    s = sio_polling_session(base_url)
    assert s.post('42["message","over-polling"]').status_code == 200
    s.get_until(lambda p: p == '42["message-back","over-polling"]')


# ================================================================ seeded fuzzing


VALID_SIO = [
    '42["message",1,"2",{"3":[true]}]',
    '42456["message-with-ack",1,"2",{"3":[false]}]',
    '452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
    '40/custom,{"token":"abc"}',
    "41/custom,",
    '43456[1,"2"]',
]
ALPHABET = '0123456789[]{}",:-/_abcxyz \\\x1e\x00é😀'


def mutate(rng: random.Random, s: str) -> str:
    ops = rng.randint(1, 3)
    for _ in range(ops):
        op = rng.randrange(4)
        i = rng.randrange(len(s) + 1)
        if op == 0 and s:  # truncate
            s = s[:i]
        elif op == 1:  # insert
            s = s[:i] + rng.choice(ALPHABET) + s[i:]
        elif op == 2 and s:  # replace
            j = min(i, len(s) - 1)
            s = s[:j] + rng.choice(ALPHABET) + s[j + 1:]
        else:  # duplicate a slice
            j = rng.randrange(len(s) + 1)
            a, b = sorted((i, j))
            s = s[:b] + s[a:b] + s[b:]
    return s


@pytest.mark.timeout(60)
def test_fuzz_socketio_over_websocket(ws_url, base_url):
    """1000 mutated Socket.IO packets, each on its own connection.

    After the fuzzed frame, a valid event is sent: the server must either
    answer it or close the connection, within a short time. Anything else
    (a hang, a crash, a 5xx) fails.
    """
    rng = random.Random(20261125)
    failures: list = []
    for n in range(1000):
        if rng.random() < 0.15:
            fuzz: str | bytes = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
        else:
            fuzz = mutate(rng, rng.choice(VALID_SIO))
        ws, reply, _ = sio_connect_ws(ws_url)
        with ws:
            ws.send(fuzz)
            try:
                ws.send('42["message","probe"]')
                end = time.monotonic() + WAIT
                while True:
                    frame = ws.recv_packet(timeout=max(0.01, end - time.monotonic()))
                    if frame == '42["message-back","probe"]':
                        break
            except (Closed, BrokenPipeError, ConnectionError, websocket.WebSocketConnectionClosedException):
                pass
            except TimeoutError:
                failures.append(fuzz)
        if len(failures) >= 5:
            break  # enough to report; each costs a full wait
    assert_server_alive(base_url)
    assert not failures, f"{len(failures)} inputs got neither an answer nor a close: {failures[:10]!r}"


@pytest.mark.timeout(60)
def test_fuzz_engineio_over_polling(base_url):
    """300 mutated long-polling payloads: every POST gets 200 or 400, never a 5xx or a hang."""
    rng = random.Random(4242)
    valid = ["4hello", "4a\x1e4b", "bAQIDBA==", "3", "6", "4hello\x1ebAQIDBA=="]
    for n in range(300):
        s = Polling(base_url)
        s.open()
        body = mutate(rng, rng.choice(valid)).encode("utf-8", "surrogatepass")
        try:
            r = s.post(body)
        except requests.ConnectionError:
            continue
        assert r.status_code in (200, 400), f"case {n}: {body!r} -> {r.status_code} {r.text!r}"
        if r.status_code == 200:
            # Accepted: the session either still works (a probe comes back) or
            # was closed by what it received (e.g. a close packet) and says so.
            probe = s.post("4probe")
            assert probe.status_code in (200, 400), f"case {n}: probe after {body!r} -> {probe.status_code}"
            end = time.monotonic() + WAIT
            while probe.status_code == 200:
                assert time.monotonic() < end, f"case {n}: session after {body!r} neither echoes nor closes"
                g = s.get()
                if g.status_code == 400:
                    break  # closed by what it received (see test_polling_client_close_without_pending_get)
                assert g.status_code == 200, f"case {n}: poll after {body!r} -> {g.status_code}"
                packets = g.text.split(SEPARATOR)
                if "4probe" in packets or "1" in packets:
                    break
                if "2" in packets:
                    s.post("3")
        else:
            expect_polling_closed(s)
    assert_server_alive(base_url)


@pytest.mark.timeout(60)
def test_fuzz_engineio_over_websocket(ws_url, base_url):
    """500 mutated Engine.IO frames on the echo endpoint, each on its own
    connection: echoed as sent, or the connection closed; never a hang."""
    rng = random.Random(777)
    valid = ["4hello", "4", "3", "6", "4{\"json\":[1,2]}", "4é😀"]
    failures: list = []
    for n in range(500):
        if rng.random() < 0.2:
            frame: str | bytes = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 12)))
        else:
            frame = mutate(rng, rng.choice(valid))
        with WS(ws_url_for(ws_url, "/engine.io/")) as ws:
            open_payload(ws.recv())
            try:
                ws.send(frame)
                ws.send("4probe")
                end = time.monotonic() + WAIT
                while True:
                    got = ws.recv_packet(timeout=max(0.01, end - time.monotonic()))
                    if got == "4probe":
                        break
                    # anything echoed before the probe must be exactly what was sent
                    assert got == frame, f"case {n}: sent {frame!r}, got {got!r}"
            except (Closed, BrokenPipeError, ConnectionError, websocket.WebSocketConnectionClosedException):
                pass
            except TimeoutError:
                failures.append(frame)
        if len(failures) >= 5:
            break
    assert_server_alive(base_url)
    assert not failures, f"{len(failures)} frames got neither an echo nor a close: {failures[:10]!r}"


# ================================================================ HTTP-level abuse


def test_chunked_post_over_max_payload_is_413(base_url):
    """A chunked body has no Content-Length up front: the limit must still
    hold while the body streams in."""
    s = Polling(base_url)
    s.open()

    def body():
        yield b"4"
        for _ in range(11):
            yield b"x" * 100_000  # 1.1 MB in total

    try:
        r = requests.post(s.url(), data=body(), headers={"Content-Type": "text/plain;charset=UTF-8"}, timeout=5)
        assert r.status_code == 413, (r.status_code, r.text[:100])
    except requests.ConnectionError:
        pass  # cut off mid-upload is acceptable too
    assert_server_alive(base_url)


def test_chunked_post_under_max_payload_is_accepted(base_url):
    s = Polling(base_url)
    s.open()

    def body():
        yield b"4"
        for _ in range(5):
            yield b"y" * 1000

    r = requests.post(s.url(), data=body(), headers={"Content-Type": "text/plain;charset=UTF-8"}, timeout=5)
    assert r.status_code == 200 and r.text == "ok"
    assert s.get().text == "4" + "y" * 5000


def test_slow_clients_do_not_block_others(base_url):
    """Fifty connections that send half a request line and stop: a normal
    client is still served at once."""
    host, port = base_url.removeprefix("http://").split(":")
    idle = []
    try:
        for _ in range(50):
            c = socket.create_connection((host, int(port)), timeout=WAIT)
            c.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")
            idle.append(c)
        started = time.monotonic()
        assert_server_alive(base_url)
        assert time.monotonic() - started < 1.0
    finally:
        for c in idle:
            c.close()


@pytest.mark.parametrize("where", ["url", "header"])
def test_oversized_request_head_is_answered_or_closed(base_url, where):
    """A 100 kB request line or header is refused (Node answers 431 past
    16 kB) or the connection is closed -- not left open with no answer, which
    lets a client pin server connections at will."""
    host, port = base_url.removeprefix("http://").split(":")
    big = "p" * 100_000
    if where == "url":
        head = f"GET /engine.io/?EIO=4&transport=polling&pad={big} HTTP/1.1\r\nHost: x\r\n\r\n"
    else:
        head = f"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n"
    c = socket.create_connection((host, int(port)), timeout=WAIT)
    try:
        try:
            c.sendall(head.encode())
            data = c.recv(200)
        except socket.timeout:
            raise AssertionError(f"no answer and no close {WAIT}s after a 100 kB request {where}") from None
        except ConnectionError:
            data = b""
        if data:
            status = int(data.split(b" ", 2)[1])
            assert 400 <= status < 500, data[:100]
    finally:
        c.close()
    assert_server_alive(base_url)


# ================================================================ maxPayload counts bytes, not characters


def test_polling_max_payload_counts_utf8_bytes(base_url):
    """500,001 characters but 1,000,001 bytes: over the limit (the reference
    counts `Buffer.byteLength`)."""
    s = Polling(base_url)
    s.open()
    assert s.post("4" + "é" * 500_000, timeout=5).status_code == 413
    s2 = Polling(base_url)
    s2.open()
    body = "4" + "é" * 499_999  # 999,999 bytes
    assert s2.post(body, timeout=5).status_code == 200
    assert s2.get(timeout=5).text == body


def test_websocket_max_payload_counts_utf8_bytes(ws_url, base_url):
    with WS(ws_url_for(ws_url, "/engine.io/"), timeout=5) as ws:
        open_payload(ws.recv())
        ws.send("4" + "é" * 500_000)  # 1,000,001 bytes
        frames = ws.wait_closed(timeout=5, answer_pings=True)
        assert all(len(f) < 1000 for f in frames)
    with WS(ws_url_for(ws_url, "/engine.io/"), timeout=5) as ws:
        open_payload(ws.recv())
        body = "4" + "é" * 499_999
        ws.send(body)
        assert ws.recv_packet(timeout=5) == body
    assert_server_alive(base_url)
