"""Protocol corners: empty payloads, ack id range, fragmented WebSocket
messages, heartbeat after an upgrade, and many concurrent clients."""

from __future__ import annotations

import threading

import pytest
import websocket

from sio_helpers import (
    MAX_PAYLOAD,
    PING_INTERVAL,
    PING_TIMEOUT,
    SEPARATOR,
    WS,
    Polling,
    assert_server_alive,
    concurrently,
    open_payload,
    sio_connect_ws,
    ws_url_for,
)


# ---------------------------------------------------------------- empty payloads and ack ids


def test_event_without_arguments(ws_url):
    ws, _, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send('42["message"]')
        assert ws.recv_packet() == '42["message-back"]'
        ws.send('427["message-with-ack"]')
        assert ws.recv_packet() == "437[]"


@pytest.mark.parametrize("ack_id", [0, 1, 2**31, 2**53 - 1])
def test_ack_id_range(ws_url, ack_id):
    ws, _, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send(f'42{ack_id}["message-with-ack","x"]')
        assert ws.recv_packet() == f'43{ack_id}["x"]'


def test_empty_engineio_messages(ws_url):
    with WS(ws_url_for(ws_url, "/engine.io/")) as ws:
        open_payload(ws.recv())
        ws.send("4")
        assert ws.recv_packet() == "4"
        ws.send(b"")
        assert ws.recv_packet() == b""


def test_empty_binary_over_polling(base_url):
    s = Polling(base_url)
    s.open()
    assert s.post("b" + SEPARATOR + "4").status_code == 200
    assert s.get().text == "b" + SEPARATOR + "4"


# ---------------------------------------------------------------- fragmented WebSocket messages


def send_fragmented(ws: WS, parts: list[bytes], opcode: int) -> None:
    for i, part in enumerate(parts):
        frame = websocket.ABNF.create_frame(
            part, opcode if i == 0 else websocket.ABNF.OPCODE_CONT, fin=1 if i == len(parts) - 1 else 0
        )
        ws.ws.send_frame(frame)


def test_fragmented_text_message_is_reassembled(ws_url):
    with WS(ws_url_for(ws_url, "/engine.io/")) as ws:
        open_payload(ws.recv())
        send_fragmented(ws, [b"4hel", "lo wörld".encode()[:3], "lo wörld".encode()[3:]], websocket.ABNF.OPCODE_TEXT)
        assert ws.recv_packet() == "4hello wörld"


def test_fragmented_binary_message_is_reassembled(ws_url):
    with WS(ws_url_for(ws_url, "/engine.io/")) as ws:
        open_payload(ws.recv())
        send_fragmented(ws, [b"\x01\x02", b"", b"\x03"], websocket.ABNF.OPCODE_BINARY)
        assert ws.recv_packet() == b"\x01\x02\x03"


def test_fragments_over_max_payload_close(ws_url, base_url):
    """Each fragment is small, the message is not: maxPayload applies to the whole."""
    with WS(ws_url_for(ws_url, "/engine.io/"), timeout=5) as ws:
        open_payload(ws.recv())
        part = b"x" * 100_000
        try:
            send_fragmented(ws, [b"4" + part] + [part] * 10, websocket.ABNF.OPCODE_TEXT)
        except (BrokenPipeError, ConnectionError, websocket.WebSocketConnectionClosedException):
            pass
        frames = ws.wait_closed(timeout=5, answer_pings=True)
        assert all(len(f) < MAX_PAYLOAD for f in frames)
    assert_server_alive(base_url)


# ---------------------------------------------------------------- heartbeat after upgrade


def test_heartbeat_continues_over_websocket_after_upgrade(base_url, ws_url):
    """After the upgrade the pings come over the WebSocket, and answering them
    keeps the session alive well past interval + timeout."""
    s = Polling(base_url, "/socket.io/")
    s.open()
    with WS(ws_url_for(ws_url, "/socket.io/", s.sid)) as ws:
        ws.send("2probe")
        assert ws.recv() == "3probe"
        ws.send("5")
        ws.send("40")
        assert ws.recv_packet().startswith("40{")
        assert ws.recv_packet() == '42["auth",{}]'
        pings = 0
        for _ in range(4):  # about 1.2 s: more than two ping timeouts
            frame = ws.recv(timeout=PING_INTERVAL + PING_TIMEOUT + 0.5)
            assert frame == "2", frame
            ws.send("3")
            pings += 1
        ws.send('42["message","alive"]')
        assert ws.recv_packet() == '42["message-back","alive"]'
        assert pings == 4


# ---------------------------------------------------------------- concurrency


@pytest.mark.timeout(40)
def test_many_concurrent_websocket_clients_get_only_their_own_replies(ws_url):
    n = 60
    barrier = threading.Barrier(n)

    def one(i: int):
        ws, reply, _ = sio_connect_ws(ws_url, f'40{{"client":{i}}}')
        with ws:
            barrier.wait(timeout=20)
            for k in range(5):
                ws.send(f'42["message",{i},{k}]')
            got = [ws.recv_packet(timeout=10) for _ in range(5)]
        return got == [f'42["message-back",{i},{k}]' for k in range(5)], got

    results = concurrently(*[lambda i=i: one(i) for i in range(n)])
    bad = [got for ok, got in results if not ok]
    assert not bad, bad[:3]


@pytest.mark.timeout(40)
def test_many_concurrent_polling_sessions(base_url):
    n = 30

    def one(i: int):
        s = Polling(base_url)
        s.open()
        assert s.post(f"4from-{i}").status_code == 200
        packets = s.get_until(lambda p: p == f"4from-{i}")
        return [p for p in packets if p.startswith("4")] == [f"4from-{i}"]

    assert all(concurrently(*[lambda i=i: one(i) for i in range(n)]))
