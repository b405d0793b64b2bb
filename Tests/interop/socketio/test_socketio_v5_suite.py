"""The official Socket.IO v5 test suite, ported to pytest (32 cases).

Source: socketio/socket.io `docs/socket.io-protocol/v5-test-suite/test-suite.js`.
Each test carries `@official("socket.io-v5", "<describe > ... > it>")` naming the
original case; `test_sio_official_mapping.py` checks that all 32 are here.

The first 16 cases repeat Engine.IO checks on the `/socket.io/` path; the last
16 are Socket.IO proper. Server under test: namespaces `/` and `/custom`, each
emitting `auth` with the handshake auth on connect, answering `message` with
`message-back`, and acking `message-with-ack` with its arguments.
"""

from __future__ import annotations

import json
import time

import pytest
import requests

from sio_helpers import (
    CONNECT_TIMEOUT,
    MAX_PAYLOAD,
    PING_INTERVAL,
    PING_TIMEOUT,
    WAIT,
    WS,
    Polling,
    assert_ws_refused,
    concurrently,
    open_payload,
    polling_url,
    sio_connect_ws,
    ws_url_for,
)

SUITE = "socket.io-v5"
PATH = "/socket.io/"
official = pytest.mark.official


def new_session(base_url: str) -> Polling:
    p = Polling(base_url, PATH)
    p.open()
    return p


def expect_open_packet(text: str, upgrades: list[str]) -> dict:
    value = open_payload(text)
    assert set(value) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert isinstance(value["sid"], str) and value["sid"]
    assert value["upgrades"] == upgrades
    assert value["pingInterval"] == int(PING_INTERVAL * 1000)
    assert value["pingTimeout"] == int(PING_TIMEOUT * 1000)
    assert value["maxPayload"] == MAX_PAYLOAD
    return value


def connected(ws_url: str) -> WS:
    """WebSocket with the main namespace connected and its `auth` event consumed."""
    ws, reply, auth = sio_connect_ws(ws_url, "40")
    assert reply.startswith("40{"), reply
    assert auth == '42["auth",{}]', auth
    return ws


def packets(ws: WS, count: int) -> list:
    """The next `count` frames that are not pings (pings answered)."""
    return [ws.recv_packet() for _ in range(count)]


def expect_connect_reply(reply: str, prefix: str, engine_sid: str | None = None) -> str:
    assert reply.startswith(prefix), reply
    body = json.loads(reply[len(prefix):])
    assert set(body) == {"sid"}, body
    assert isinstance(body["sid"], str) and body["sid"]
    if engine_sid is not None:
        # v5: the Socket.IO sid is its own identifier, not the Engine.IO one.
        assert body["sid"] != engine_sid
    return body["sid"]


# =========================================================== Engine.IO part


@official(SUITE, "Engine.IO protocol > handshake > HTTP long-polling > should successfully open a session")
def test_sio01_polling_handshake_opens_session(base_url):
    r = requests.get(polling_url(base_url, PATH), timeout=WAIT)
    assert r.status_code == 200
    expect_open_packet(r.text, ["websocket"])


@official(SUITE, "Engine.IO protocol > handshake > HTTP long-polling > should fail with an invalid 'EIO' query parameter")
def test_sio02_polling_handshake_rejects_bad_eio(base_url):
    assert requests.get(f"{base_url}{PATH}?transport=polling", timeout=WAIT).status_code == 400
    assert requests.get(f"{base_url}{PATH}?EIO=abc&transport=polling", timeout=WAIT).status_code == 400


@official(SUITE, "Engine.IO protocol > handshake > HTTP long-polling > should fail with an invalid 'transport' query parameter")
def test_sio03_polling_handshake_rejects_bad_transport(base_url):
    assert requests.get(f"{base_url}{PATH}?EIO=4", timeout=WAIT).status_code == 400
    assert requests.get(f"{base_url}{PATH}?EIO=4&transport=abc", timeout=WAIT).status_code == 400


@official(SUITE, "Engine.IO protocol > handshake > HTTP long-polling > should fail with an invalid request method")
def test_sio04_polling_handshake_rejects_bad_method(base_url):
    url = polling_url(base_url, PATH)
    assert requests.post(url, timeout=WAIT).status_code == 400
    assert requests.put(url, timeout=WAIT).status_code == 400


@official(SUITE, "Engine.IO protocol > handshake > WebSocket > should successfully open a session")
def test_sio05_websocket_handshake_opens_session(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        expect_open_packet(ws.recv(), [])


@official(SUITE, "Engine.IO protocol > handshake > WebSocket > should fail with an invalid 'EIO' query parameter")
def test_sio06_websocket_handshake_rejects_bad_eio(ws_url):
    assert_ws_refused(f"{ws_url}{PATH}?transport=websocket")
    assert_ws_refused(f"{ws_url}{PATH}?EIO=abc&transport=websocket")


@official(SUITE, "Engine.IO protocol > handshake > WebSocket > should fail with an invalid 'transport' query parameter")
def test_sio07_websocket_handshake_rejects_bad_transport(ws_url):
    assert_ws_refused(f"{ws_url}{PATH}?EIO=4")
    assert_ws_refused(f"{ws_url}{PATH}?EIO=4&transport=abc")


@official(SUITE, "Engine.IO protocol > heartbeat > HTTP long-polling > should send ping/pong packets")
def test_sio08_polling_ping_pong(base_url):
    s = new_session(base_url)
    for _ in range(3):
        r = s.get()
        assert r.status_code == 200
        assert r.text == "2"
        assert s.post("3").status_code == 200


@official(SUITE, "Engine.IO protocol > heartbeat > HTTP long-polling > should close the session upon ping timeout")
def test_sio09_polling_ping_timeout(base_url):
    s = new_session(base_url)
    time.sleep(PING_INTERVAL + PING_TIMEOUT + 0.3)  # slack over the original for a loaded machine
    assert s.get().status_code == 400


@official(SUITE, "Engine.IO protocol > heartbeat > WebSocket > should send ping/pong packets")
def test_sio10_websocket_ping_pong(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        open_payload(ws.recv())
        for _ in range(3):
            assert ws.recv(timeout=PING_INTERVAL + 0.5) == "2"
            ws.send("3")


@official(SUITE, "Engine.IO protocol > heartbeat > WebSocket > should close the session upon ping timeout")
def test_sio11_websocket_ping_timeout(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        started = time.monotonic()
        frames = ws.wait_closed(timeout=PING_INTERVAL + PING_TIMEOUT + 1.0)
        elapsed = time.monotonic() - started
    assert frames[0].startswith("0")
    assert "2" in frames, f"no ping before the timeout: {frames!r}"
    assert elapsed >= PING_INTERVAL + PING_TIMEOUT - 0.05, f"closed too early ({elapsed:.3f}s)"


@official(SUITE, "Engine.IO protocol > close > HTTP long-polling > should forcefully close the session")
def test_sio12_polling_client_close(base_url):
    s = new_session(base_url)

    def close_later():
        time.sleep(0.05)
        return s.post("1")

    poll, post = concurrently(lambda: s.get(), close_later)
    assert poll.status_code == 200
    assert poll.text == "6"
    assert post.status_code == 200
    assert s.get().status_code == 400


@official(SUITE, "Engine.IO protocol > close > WebSocket > should forcefully close the session")
def test_sio13_websocket_client_close(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        open_payload(ws.recv())
        ws.send("1")
        ws.wait_closed(answer_pings=True)


def upgraded(base_url: str, ws_url: str) -> tuple[Polling, WS]:
    s = new_session(base_url)
    ws = WS(ws_url_for(ws_url, PATH, s.sid))
    ws.send("2probe")
    assert ws.recv() == "3probe"
    return s, ws


def finish_upgrade_and_sync(ws: WS) -> None:
    """Send "5", then CONNECT over the WebSocket: its answer proves "5" was handled."""
    ws.send("5")
    ws.send("40")
    assert ws.recv_packet().startswith("40{")
    assert ws.recv_packet() == '42["auth",{}]'


@official(SUITE, "Engine.IO protocol > upgrade > should successfully upgrade from HTTP long-polling to WebSocket")
def test_sio14_upgrade(base_url, ws_url):
    s, ws = upgraded(base_url, ws_url)
    with ws:
        ws.send("5")
        # The original stops here; a Socket.IO CONNECT over the upgraded
        # transport shows the upgrade actually took.
        ws.send("40")
        assert ws.recv_packet().startswith("40{")


@official(SUITE, "Engine.IO protocol > upgrade > should ignore HTTP requests with same sid after upgrade")
def test_sio15_polling_refused_after_upgrade(base_url, ws_url):
    s, ws = upgraded(base_url, ws_url)
    with ws:
        finish_upgrade_and_sync(ws)
        assert s.get().status_code == 400


@official(SUITE, "Engine.IO protocol > upgrade > should ignore WebSocket connection with same sid after upgrade")
def test_sio16_second_websocket_refused_after_upgrade(base_url, ws_url):
    s, ws = upgraded(base_url, ws_url)
    with ws:
        finish_upgrade_and_sync(ws)
        assert_ws_refused(ws_url_for(ws_url, PATH, s.sid))


# =========================================================== Socket.IO part


@official(SUITE, "Socket.IO protocol > connect > should allow connection to the main namespace")
def test_sio17_connect_main_namespace(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        engine_sid = open_payload(ws.recv())["sid"]
        ws.send("40")
        expect_connect_reply(ws.recv_packet(), "40", engine_sid)
        assert ws.recv_packet() == '42["auth",{}]'


@official(SUITE, "Socket.IO protocol > connect > should allow connection to the main namespace with a payload")
def test_sio18_connect_main_namespace_with_auth(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        engine_sid = open_payload(ws.recv())["sid"]
        ws.send('40{"token":"123"}')
        expect_connect_reply(ws.recv_packet(), "40", engine_sid)
        assert ws.recv_packet() == '42["auth",{"token":"123"}]'


@official(SUITE, "Socket.IO protocol > connect > should allow connection to a custom namespace")
def test_sio19_connect_custom_namespace(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        engine_sid = open_payload(ws.recv())["sid"]
        ws.send("40/custom,")
        expect_connect_reply(ws.recv_packet(), "40/custom,", engine_sid)
        assert ws.recv_packet() == '42/custom,["auth",{}]'


@official(SUITE, "Socket.IO protocol > connect > should allow connection to a custom namespace with a payload")
def test_sio20_connect_custom_namespace_with_auth(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        engine_sid = open_payload(ws.recv())["sid"]
        ws.send('40/custom,{"token":"abc"}')
        expect_connect_reply(ws.recv_packet(), "40/custom,", engine_sid)
        assert ws.recv_packet() == '42/custom,["auth",{"token":"abc"}]'


@official(SUITE, "Socket.IO protocol > connect > should disallow connection to an unknown namespace")
def test_sio21_connect_unknown_namespace(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        open_payload(ws.recv())
        ws.send("40/random")
        assert ws.recv_packet() == '44/random,{"message":"Invalid namespace"}'


@official(SUITE, "Socket.IO protocol > connect > should disallow connection with an invalid handshake")
def test_sio22_connect_invalid_handshake(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        open_payload(ws.recv())
        ws.send("4abc")
        ws.wait_closed(answer_pings=True)


@official(SUITE, "Socket.IO protocol > connect > should close the connection if no handshake is received")
def test_sio23_connect_timeout(ws_url):
    with WS(ws_url_for(ws_url, PATH)) as ws:
        open_payload(ws.recv())
        started = time.monotonic()
        # Pongs are sent, so a close can only come from connectTimeout, not
        # from the heartbeat (the original does not answer pings and would
        # also pass on a ping timeout).
        ws.wait_closed(timeout=CONNECT_TIMEOUT + WAIT, answer_pings=True)
        elapsed = time.monotonic() - started
    assert elapsed >= CONNECT_TIMEOUT - 0.15, f"closed after {elapsed:.3f}s, before connectTimeout"


@official(SUITE, "Socket.IO protocol > disconnect > should disconnect from the main namespace")
def test_sio24_disconnect_main_namespace(ws_url):
    ws = connected(ws_url)
    with ws:
        ws.send("41")
        # Nothing is sent back for the DISCONNECT, and the Engine.IO session
        # stays open: the next frame is the regular ping.
        assert ws.recv(timeout=PING_INTERVAL + 0.5) == "2"


@official(SUITE, "Socket.IO protocol > disconnect > should connect then disconnect from a custom namespace")
def test_sio25_connect_then_disconnect_custom_namespace(ws_url):
    ws = connected(ws_url)
    with ws:
        assert ws.recv(timeout=PING_INTERVAL + 0.5) == "2"
        ws.send("3")
        ws.send("40/custom")
        assert ws.recv_packet().startswith("40/custom,")
        assert ws.recv_packet() == '42/custom,["auth",{}]'
        ws.send("41/custom")
        ws.send('42["message","message to main namespace"]')
        assert ws.recv_packet() == '42["message-back","message to main namespace"]'


@official(SUITE, "Socket.IO protocol > message > should send a plain-text packet")
def test_sio26_plain_text_event(ws_url):
    ws = connected(ws_url)
    with ws:
        ws.send('42["message",1,"2",{"3":[true]}]')
        assert ws.recv_packet() == '42["message-back",1,"2",{"3":[true]}]'


@official(SUITE, "Socket.IO protocol > message > should send a packet with binary attachments")
def test_sio27_binary_event(ws_url):
    ws = connected(ws_url)
    with ws:
        ws.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
        ws.send(bytes([1, 2, 3]))
        ws.send(bytes([4, 5, 6]))
        got = packets(ws, 3)
        assert got[0] == '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
        assert got[1] == bytes([1, 2, 3])
        assert got[2] == bytes([4, 5, 6])


@official(SUITE, "Socket.IO protocol > message > should send a plain-text packet with an ack")
def test_sio28_plain_text_event_with_ack(ws_url):
    ws = connected(ws_url)
    with ws:
        ws.send('42456["message-with-ack",1,"2",{"3":[false]}]')
        assert ws.recv_packet() == '43456[1,"2",{"3":[false]}]'


@official(SUITE, "Socket.IO protocol > message > should send a packet with binary attachments and an ack")
def test_sio29_binary_event_with_ack(ws_url):
    ws = connected(ws_url)
    with ws:
        ws.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
        ws.send(bytes([1, 2, 3]))
        ws.send(bytes([4, 5, 6]))
        got = packets(ws, 3)
        assert got[0] == '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
        assert got[1] == bytes([1, 2, 3])
        assert got[2] == bytes([4, 5, 6])


@official(SUITE, "Socket.IO protocol > message > should close the connection upon invalid format (unknown packet type)")
def test_sio30_invalid_packet_type_closes(ws_url):
    ws = connected(ws_url)
    with ws:
        ws.send("4abc")
        ws.wait_closed(answer_pings=True)


@official(SUITE, "Socket.IO protocol > message > should close the connection upon invalid format (invalid payload format)")
def test_sio31_invalid_payload_closes(ws_url):
    ws = connected(ws_url)
    with ws:
        ws.send("42{}")
        ws.wait_closed(answer_pings=True)


@official(SUITE, "Socket.IO protocol > message > should close the connection upon invalid format (invalid ack id)")
def test_sio32_invalid_ack_id_closes(ws_url):
    ws = connected(ws_url)
    with ws:
        ws.send('42abc["message-with-ack",1,"2",{"3":[false]}]')
        ws.wait_closed(answer_pings=True)
