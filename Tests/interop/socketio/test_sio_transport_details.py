"""Transport details beyond the official suites: upgrade with a parked poll and
queued data, connectTimeout over polling, server close over WebSocket, CORS."""

from __future__ import annotations

import time

import requests

from sio_helpers import (
    CONNECT_TIMEOUT,
    SEPARATOR,
    WAIT,
    WS,
    Polling,
    assert_ws_refused,
    concurrently,
    open_payload,
    polling_url,
    ws_url_for,
)


def test_parked_poll_is_released_with_noop_on_probe(base_url, ws_url):
    """A GET already waiting when the probe arrives is answered at once with a
    noop, so the client can pause polling and finish the upgrade."""
    s = Polling(base_url)
    s.open()

    def parked_get():
        # A ping may come first on a loaded machine: answer it and park again.
        while True:
            r = s.get()
            if r.status_code != 200 or r.text != "2":
                return r
            s.post("3")

    def probe():
        time.sleep(0.05)  # the GET is parked by now
        ws = WS(ws_url_for(ws_url, "/engine.io/", s.sid))
        ws.send("2probe")
        assert ws.recv() == "3probe"
        return ws

    r, ws = concurrently(parked_get, probe)
    with ws:
        assert r.status_code == 200
        assert r.text == "6"
        ws.send("5")
        ws.send("4after")
        assert ws.recv_packet() == "4after"


def test_no_message_lost_or_duplicated_across_upgrade(base_url, ws_url):
    """Echoes queued on polling before the upgrade arrive exactly once, on one
    transport or the other, and before anything sent after it."""
    s = Polling(base_url)
    s.open()
    assert s.post(SEPARATOR.join(["4one", "4two"])).status_code == 200
    ws = WS(ws_url_for(ws_url, "/engine.io/", s.sid))
    with ws:
        ws.send("2probe")
        assert ws.recv() == "3probe"
        seen: list[str] = []
        # drain polling until the noop that lets the client switch
        for _ in range(5):
            packets = s.get().text.split(SEPARATOR)
            seen.extend(p for p in packets if p not in ("6", "2"))
            if "6" in packets:
                break
        ws.send("5")
        ws.send("4three")
        while True:
            frame = ws.recv_packet()
            seen.append(frame)
            if frame == "4three":
                break
        assert seen == ["4one", "4two", "4three"], seen


def test_polling_connect_timeout(base_url):
    """No Socket.IO CONNECT within connectTimeout (1 s) over polling: the session
    is closed even though the client answers every ping."""
    s = Polling(base_url, "/socket.io/")
    s.open()
    started = time.monotonic()
    while True:
        r = s.get()
        elapsed = time.monotonic() - started
        if r.status_code == 400:
            break
        assert r.status_code == 200
        packets = r.text.split(SEPARATOR)
        if "1" in packets:
            break
        assert packets == ["2"] or set(packets) <= {"2", "6"}, packets
        s.post("3")
        assert elapsed < CONNECT_TIMEOUT + WAIT, "session still open long after connectTimeout"
    assert elapsed >= CONNECT_TIMEOUT - 0.15, f"closed after {elapsed:.2f}s, before connectTimeout"


def test_websocket_server_close_sends_close_frame(ws_url):
    """When the server ends a session it says so with a WebSocket close frame
    rather than only dropping TCP (clients then report a clean close)."""
    with WS(ws_url_for(ws_url, "/engine.io/")) as ws:
        open_payload(ws.recv())
        ws.send("1")
        try:
            while True:
                ws.ws.settimeout(WAIT)
                opcode, frame = ws.ws.recv_data_frame(control_frame=True)
                if opcode == 8:  # close
                    break
                assert opcode in (1, 9, 10), opcode  # text (pings) or control frames
        except Exception as e:  # noqa: BLE001 - report what happened instead
            raise AssertionError(f"connection ended without a close frame: {e!r}") from None


def test_cors_headers_for_polling(base_url):
    origin = "http://chat.example.test"
    r = requests.get(polling_url(base_url, "/socket.io/"), headers={"Origin": origin}, timeout=WAIT)
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == origin
    assert r.headers.get("Access-Control-Allow-Credentials") == "true"
    pre = requests.options(
        polling_url(base_url, "/socket.io/"),
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=WAIT,
    )
    assert pre.status_code in (200, 204)
    assert pre.headers.get("Access-Control-Allow-Origin") == origin
    assert "POST" in pre.headers.get("Access-Control-Allow-Methods", "")


def test_polling_content_type_and_no_caching_issues(base_url):
    r = requests.get(polling_url(base_url, "/socket.io/"), timeout=WAIT)
    assert r.headers.get("Content-Type", "").startswith("text/plain")
    sid = open_payload(r.text)["sid"]
    # a cache-busting `t` parameter, as browsers add, is accepted
    r2 = requests.get(polling_url(base_url, "/socket.io/", sid, t="Nx1yZ3"), timeout=WAIT)
    assert r2.status_code == 200


def test_second_probe_during_upgrade_is_refused(base_url, ws_url):
    """While one WebSocket is probing, another WebSocket for the same sid is
    refused; the first one still completes the upgrade."""
    s = Polling(base_url)
    s.open()
    with WS(ws_url_for(ws_url, "/engine.io/", s.sid)) as first:
        first.send("2probe")
        assert first.recv() == "3probe"
        assert_ws_refused(ws_url_for(ws_url, "/engine.io/", s.sid))
        first.send("5")
        first.send("4done")
        assert first.recv_packet() == "4done"


def test_bad_first_packet_on_upgrade_socket_keeps_polling_session(base_url, ws_url):
    """A WebSocket that sends something other than the probe is dropped, but
    the polling session it tried to take over carries on."""
    s = Polling(base_url)
    s.open()
    with WS(ws_url_for(ws_url, "/engine.io/", s.sid)) as ws:
        ws.send("4not-a-probe")
        ws.wait_closed()
    assert s.post("4still-polling").status_code == 200
    s.get_until(lambda p: p == "4still-polling")


def test_upgrade_of_closed_session_is_refused(base_url, ws_url):
    s = Polling(base_url)
    s.open()
    assert s.post("1").status_code == 200  # client closes the session
    assert_ws_refused(ws_url_for(ws_url, "/engine.io/", s.sid))


def test_upgrade_with_unknown_sid_is_refused(ws_url):
    assert_ws_refused(ws_url_for(ws_url, "/engine.io/", "AAAAAAAAAAAAAAAAAAAA"))


def test_sid_is_bound_to_its_endpoint(base_url):
    """A session of the Engine.IO echo endpoint is unknown to the Socket.IO
    endpoint and vice versa (two servers, two session tables)."""
    e = Polling(base_url, "/engine.io/")
    e.open()
    r = requests.get(polling_url(base_url, "/socket.io/", e.sid), timeout=WAIT)
    assert r.status_code == 400 and r.json()["code"] == 1
    s = Polling(base_url, "/socket.io/")
    s.open()
    r = requests.get(polling_url(base_url, "/engine.io/", s.sid), timeout=WAIT)
    assert r.status_code == 400 and r.json()["code"] == 1


def test_post_refused_after_upgrade(base_url, ws_url):
    s = Polling(base_url)
    s.open()
    with WS(ws_url_for(ws_url, "/engine.io/", s.sid)) as ws:
        ws.send("2probe")
        assert ws.recv() == "3probe"
        ws.send("5")
        ws.send("4sync")
        assert ws.recv_packet() == "4sync"
        r = s.post("4late")
        assert r.status_code == 400
        assert r.json()["code"] == 3  # transport mismatch, as the reference answers
        ws.send("4still")
        assert ws.recv_packet() == "4still"
