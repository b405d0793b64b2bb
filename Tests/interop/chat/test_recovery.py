"""Socket.IO v4 connection state recovery against a real `chatone serve` process.

python-socketio (5.18) does not implement recovery, and socket.io-client needs npm, which this machine cannot reach;
so the client here is a raw WebSocket speaking Engine.IO v4 / Socket.IO v5 the way socket.io-client does: it keeps
the `pid` from the CONNECT reply and the last string argument of each event as its offset, and presents both in
its CONNECT auth when it reconnects.
"""

import json
import threading

import websocket

from chat_e2e import WAIT, Device, send


class RawSocket:
    """One Engine.IO session over WebSocket, connected to namespace `/`."""

    def __init__(self, server, auth: dict):
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=WAIT)
        opening = self.ws.recv()
        assert opening.startswith("0{"), opening
        self.ws.send("40" + json.dumps(auth))
        reply = self._next_packet()
        assert reply[:1] in ("0", "4"), reply  # CONNECT or CONNECT_ERROR
        self.refused = reply.startswith("4")
        self.reply = json.loads(reply[1:])
        self.last_offset = None

    @property
    def pid(self):
        return self.reply.get("pid")

    @property
    def sid(self):
        return self.reply.get("sid")

    @property
    def recovered(self) -> bool:
        return self.reply.get("recovered") is True

    def recovery_auth(self, token: str) -> dict:
        auth = {"token": token, "pid": self.pid}
        if self.last_offset is not None:
            auth["offset"] = self.last_offset
        return auth

    def _next_packet(self, timeout: float = WAIT) -> str:
        self.ws.settimeout(timeout)
        while True:
            frame = self.ws.recv()
            if frame == "2":
                self.ws.send("3")
                continue
            assert frame.startswith("4"), frame
            return frame[1:]

    def next_event(self, timeout: float = WAIT, skip=("presence:update",)):
        """(name, first argument) of the next event, past those named in `skip`; the offset of every event read is
        remembered, as socket.io-client does."""
        while True:
            packet = self._next_packet(timeout)
            if not packet.startswith("2"):
                continue
            arguments = json.loads(packet[1:])
            if self.pid and len(arguments) > 1 and isinstance(arguments[-1], str):
                self.last_offset = arguments[-1]
            if arguments[0] in skip:
                continue
            return arguments[0], (arguments[1] if len(arguments) > 1 else None)

    def no_event_within(self, seconds: float) -> bool:
        try:
            self.next_event(timeout=seconds)
            return False
        except websocket.WebSocketTimeoutException:
            return True

    def close(self):
        self.ws.close()


def wait_dropped(server, seconds: float = 0.5):
    """The server notices a closed WebSocket at once; a little time for its disconnect handling."""
    threading.Event().wait(seconds)


def test_reconnect_within_window_replays_every_missed_event_once_in_order(server):
    ann, ben = server.register("ann"), server.register("ben")
    conversation = server.direct(ann, ben)["id"]
    ben_socket = RawSocket(server, {"token": ben.token})
    assert ben_socket.pid and not ben_socket.recovered
    send_device = Device.open(server, ann.token, account=ann)
    try:
        send(send_device, conversation, "seen live")
        name, payload = ben_socket.next_event()
        assert (name, payload["content"]) == ("message:new", "seen live")
        assert ben_socket.last_offset
        ben_socket.close()
        wait_dropped(server)

        # Missed: messages sent over the socket and over REST, interleaved.
        expected = []
        for index in range(10):
            content = f"missed {index}"
            if index % 2:
                server.api("POST", f"/api/v1/conversations/{conversation}/messages", ann.token, {"content": content})
            else:
                send(send_device, conversation, content)
            expected.append(content)

        back = RawSocket(server, ben_socket.recovery_auth(ben.token))
        assert back.recovered, back.reply
        assert back.sid == ben_socket.sid and back.pid == ben_socket.pid
        replayed = []
        for _ in expected:
            name, payload = back.next_event()
            assert name == "message:new"
            replayed.append(payload)
        assert [m["content"] for m in replayed] == expected
        seqs = [int(m["seq"]) for m in replayed]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert back.no_event_within(0.5)

        # Live delivery goes on where the replay stopped.
        send(send_device, conversation, "live again")
        name, payload = back.next_event()
        assert (name, payload["content"]) == ("message:new", "live again")
        back.close()
    finally:
        send_device.close()


def test_recovery_needs_the_same_login_and_a_live_token(server):
    ann, ben = server.register("ann"), server.register("ben")
    conversation = server.direct(ann, ben)["id"]
    ben_socket = RawSocket(server, {"token": ben.token})
    server.api("POST", f"/api/v1/conversations/{conversation}/messages", ann.token, {"content": "one"})
    assert ben_socket.next_event()[0] == "message:new"
    ben_socket.close()
    wait_dropped(server)
    server.api("POST", f"/api/v1/conversations/{conversation}/messages", ann.token, {"content": "secret"})

    refused = RawSocket(server, {**ben_socket.recovery_auth(ben.token), "token": "not-a-token"})
    assert refused.refused
    refused.close()

    stolen = RawSocket(server, {**ben_socket.recovery_auth(ben.token), "token": ann.token})
    assert not stolen.recovered and stolen.pid != ben_socket.pid
    assert stolen.no_event_within(0.5)
    stolen.close()

    # The attempt with another user's token dropped the session for good.
    late = RawSocket(server, ben_socket.recovery_auth(ben.token))
    assert not late.recovered
    late.close()
    assert [m["content"] for m in server.history(ben, conversation, after=0)] == ["one", "secret"]


def test_a_python_socketio_client_still_works_with_offsets_appended(server):
    """python-socketio passes the offset to handlers as an extra argument; ChatOne's own arguments are unchanged."""
    ann, ben = server.register("ann"), server.register("ben")
    conversation = server.direct(ann, ben)["id"]
    ann_device, ben_device = Device.open(server, ann.token, account=ann), Device.open(server, ben.token, account=ben)
    try:
        send(ann_device, conversation, "hello")
        message = ben_device.wait_for("message:new")
        assert message["content"] == "hello"
    finally:
        ann_device.close()
        ben_device.close()
