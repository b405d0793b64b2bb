"""Raw-protocol checks beyond the official suites, using the executable's extra
namespace `/protected` and events `server-ack-request`, `binary-echo`,
`disconnect-me` (see FINDINGS.md for the contract)."""

from __future__ import annotations

import json
import re

from sio_helpers import (
    SEPARATOR,
    WS,
    Polling,
    open_payload,
    sio_connect_ws,
    ws_url_for,
)

PROTECTED_OK = '40/protected,{"token":"letmein"}'


def connect_protected(ws: WS) -> str:
    ws.send(PROTECTED_OK)
    reply = ws.recv_packet()
    assert reply.startswith("40/protected,{"), reply
    # like the other namespaces, /protected emits `auth` on connect
    assert ws.recv_packet() == '42/protected,["auth",{"token":"letmein"}]'
    return json.loads(reply[len("40/protected,"):])["sid"]


def test_middleware_refusal_raw_packet(ws_url):
    with WS(ws_url_for(ws_url, "/socket.io/")) as ws:
        open_payload(ws.recv())
        ws.send('40/protected,{"token":"nope"}')
        got = ws.recv_packet()
        assert got.startswith("44/protected,"), got
        assert json.loads(got[len("44/protected,"):]) == {
            "message": "unauthorized",
            "data": {"code": "UNAUTHORIZED"},
        }
        # the refusal concerns that namespace only: "/" can still be joined
        ws.send("40")
        assert ws.recv_packet().startswith("40{")


def test_middleware_accepts_token_raw(ws_url):
    with WS(ws_url_for(ws_url, "/socket.io/")) as ws:
        open_payload(ws.recv())
        connect_protected(ws)
        ws.send('42/protected,["message","p"]')
        assert ws.recv_packet() == '42/protected,["message-back","p"]'


def test_socket_ids_differ_per_namespace(ws_url):
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        main_sid = json.loads(reply[2:])["sid"]
        ws.send("40/custom,")
        custom = ws.recv_packet()
        assert custom.startswith("40/custom,")
        assert json.loads(custom[len("40/custom,"):])["sid"] != main_sid


def test_server_side_disconnect_keeps_other_namespaces(ws_url):
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        connect_protected(ws)
        ws.send('42/protected,["disconnect-me"]')
        assert ws.recv_packet() == "41/protected,"
        ws.send('42["message","still here"]')
        assert ws.recv_packet() == '42["message-back","still here"]'


def test_reconnect_namespace_on_same_engine_session(ws_url):
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        first = json.loads(reply[2:])["sid"]
        ws.send('42["disconnect-me"]')
        assert ws.recv_packet() == "41"
        ws.send('40{"again":true}')
        again = ws.recv_packet()
        assert again.startswith("40{"), again
        assert json.loads(again[2:])["sid"] != first
        assert ws.recv_packet() == '42["auth",{"again":true}]'


def test_server_to_client_ack_raw(ws_url):
    ws, _, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send('42["server-ack-request","q",1]')
        ask = ws.recv_packet()
        m = re.fullmatch(r'42(\d+)\["ask","q",1\]', ask)
        assert m, ask
        ws.send(f'43{m.group(1)}["answer",{{"n":2}}]')
        assert ws.recv_packet() == '42["ask-result","answer",{"n":2}]'


def test_server_to_client_binary_ack_raw(ws_url):
    ws, _, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send('42["server-ack-request"]')
        ask = ws.recv_packet()
        m = re.fullmatch(r'42(\d+)\["ask"\]', ask)
        assert m, ask
        ws.send(f'461-{m.group(1)}[{{"_placeholder":true,"num":0}},"t"]')
        ws.send(b"\x09\x08")
        assert ws.recv_packet() == '451-["ask-result",{"_placeholder":true,"num":0},"t"]'
        assert ws.recv_packet() == b"\x09\x08"


def test_unknown_ack_id_is_ignored(ws_url):
    ws, _, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send('43999["nobody asked"]')
        ws.send('42["message","after"]')
        assert ws.recv_packet() == '42["message-back","after"]'


def test_binary_echo_over_polling(base_url):
    s = Polling(base_url, "/socket.io/")
    s.open()
    assert s.post("40").status_code == 200
    s.get_until(lambda p: p == '42["auth",{}]')
    body = '451-["binary-echo",{"_placeholder":true,"num":0},"x"]' + SEPARATOR + "bAQID"
    assert s.post(body).status_code == 200
    seen = s.get_until(lambda p: p == "bAQID")
    i = seen.index("bAQID")
    assert seen[i - 1] == '451-["binary-back",{"_placeholder":true,"num":0},"x"]', seen


def test_binary_echo_attachments_in_nested_positions(ws_url):
    ws, _, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send('452-["binary-echo",{"a":[{"_placeholder":true,"num":1}],"b":{"_placeholder":true,"num":0}}]')
        ws.send(b"first")
        ws.send(b"second")
        head = ws.recv_packet()
        assert head.startswith("452-["), head
        payload = json.loads(head[4:])
        assert payload[0] == "binary-back"
        # attachments may be renumbered, but each placeholder must point at the right bytes
        atts = [ws.recv_packet(), ws.recv_packet()]
        assert atts[payload[1]["b"]["num"]] == b"first"
        assert atts[payload[1]["a"][0]["num"]] == b"second"


def test_unicode_unknown_namespace_is_named_in_connect_error(ws_url):
    with WS(ws_url_for(ws_url, "/socket.io/")) as ws:
        open_payload(ws.recv())
        ws.send("40/ünï😀,")
        assert ws.recv_packet() == '44/ünï😀,{"message":"Invalid namespace"}'


def test_explicit_main_namespace(ws_url):
    """`/` spelled out (`40/,`) is the main namespace, answered without a prefix."""
    with WS(ws_url_for(ws_url, "/socket.io/")) as ws:
        open_payload(ws.recv())
        ws.send('40/,{"x":1}')
        assert ws.recv_packet().startswith("40{")
        assert ws.recv_packet() == '42["auth",{"x":1}]'


def test_auth_payload_echoed_exactly(ws_url):
    auth = '{"token":"t😀k\\"en","nested":{"list":[1,2.5,null,false]},"empty":{}}'
    with WS(ws_url_for(ws_url, "/socket.io/")) as ws:
        open_payload(ws.recv())
        ws.send("40" + auth)
        assert ws.recv_packet().startswith("40{")
        got = ws.recv_packet()
        assert got.startswith('42["auth",')
        assert json.loads(got[2:]) == ["auth", json.loads(auth)]


def test_ack_on_custom_namespace(ws_url):
    ws, _, _ = sio_connect_ws(ws_url, "40/custom,")
    with ws:
        ws.send('42/custom,5["message-with-ack",1,"b"]')
        assert ws.recv_packet() == '43/custom,5[1,"b"]'


def test_binary_event_on_custom_namespace(ws_url):
    ws, _, _ = sio_connect_ws(ws_url, "40/custom,")
    with ws:
        ws.send('451-/custom,["message",{"_placeholder":true,"num":0}]')
        ws.send(b"\xde\xad")
        assert ws.recv_packet() == '451-/custom,["message-back",{"_placeholder":true,"num":0}]'
        assert ws.recv_packet() == b"\xde\xad"


def test_binary_ack_on_custom_namespace(ws_url):
    ws, _, _ = sio_connect_ws(ws_url, "40/custom,")
    with ws:
        ws.send('451-/custom,12["message-with-ack",{"_placeholder":true,"num":0}]')
        ws.send(b"\xbe\xef")
        assert ws.recv_packet() == '461-/custom,12[{"_placeholder":true,"num":0}]'
        assert ws.recv_packet() == b"\xbe\xef"


def test_polling_backlog_is_delivered_in_order_across_capped_payloads(base_url):
    """40 queued echoes: each GET carries at most 16 packets (python-engineio's
    limit), and together they deliver every packet once, in order."""
    s = Polling(base_url)
    s.open()
    sent = [f"4m{i}" for i in range(40)]
    assert s.post(SEPARATOR.join(sent)).status_code == 200
    got: list[str] = []
    sizes = []
    while len(got) < len(sent):
        packets = [p for p in s.get().text.split(SEPARATOR) if p not in ("2", "6")]
        sizes.append(len(packets))
        got.extend(packets)
    assert got == sent
    assert max(sizes) <= 16, sizes
