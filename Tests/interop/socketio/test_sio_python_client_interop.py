"""Interop with the real python-socketio client (pinned in Tests/interop/requirements.txt).

Runs against the same `socketio-conformance` executable as the ported suites.
Beyond the official contract it relies on these extras of the executable:

- event `binary-echo` answered with `binary-back` and the same arguments;
- event `server-ack-request`: the server emits `ask` awaiting the client's ack,
  then emits `ask-result` with what the client acked;
- namespace `/protected`, refused by middleware unless auth is
  `{"token": "letmein"}` (CONNECT_ERROR message "unauthorized", data
  `{"code": "UNAUTHORIZED"}`);
- event `disconnect-me`: the server disconnects that socket.
"""

from __future__ import annotations

import queue
import time

import pytest
import socketio

from sio_helpers import concurrently
from sio_server import ConformanceServer

TRANSPORTS = {
    "websocket": ["websocket"],
    "polling": ["polling"],
    "default": None,  # polling first, then upgrade to WebSocket
}
WAIT = 3.0


class Recorder:
    """Collects events of a python-socketio Client into queues, one per event name."""

    def __init__(self, client: socketio.Client, namespace: str = "/") -> None:
        self.queues: dict[str, queue.Queue] = {}
        self.client = client
        self.namespace = namespace

    def record(self, *events: str) -> "Recorder":
        for event in events:
            q = self.queues.setdefault(event, queue.Queue())

            def handler(*args, _q=q):
                _q.put(args)

            self.client.on(event, handler, namespace=self.namespace)
        return self

    def next(self, event: str, timeout: float = WAIT) -> tuple:
        try:
            return self.queues[event].get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no {event!r} event within {timeout}s") from None

    def nothing(self, event: str, within: float) -> None:
        try:
            got = self.queues[event].get(timeout=within)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected {event!r} event: {got!r}")


def new_client(**kwargs) -> socketio.Client:
    return socketio.Client(
        reconnection=True,
        reconnection_delay=0.1,
        reconnection_delay_max=0.3,
        randomization_factor=0,
        request_timeout=WAIT,
        **kwargs,
    )


def wait_until(predicate, timeout: float = WAIT, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached within {timeout}s")


@pytest.fixture(params=list(TRANSPORTS), ids=list(TRANSPORTS))
def transport(request):
    return request.param


@pytest.fixture
def client(base_url, transport):
    sio = new_client()
    rec = Recorder(sio).record("auth", "message-back", "binary-back", "ask-result", "disconnect")
    sio.connect(base_url, transports=TRANSPORTS[transport], auth={"user": "py", "n": 1}, wait_timeout=WAIT)
    yield sio, rec, transport
    sio.disconnect()


def expect_transport(sio: socketio.Client, transport: str) -> None:
    if transport == "polling":
        assert sio.transport() == "polling"
    else:
        # the default client starts on polling and upgrades in the background
        wait_until(lambda: sio.transport() == "websocket", what="upgrade to websocket")


# ------------------------------------------------------------------ connect


def test_connect_receives_auth_and_uses_transport(client):
    sio, rec, transport = client
    assert rec.next("auth") == ({"user": "py", "n": 1},)
    expect_transport(sio, transport)
    assert sio.connected
    # v5: the namespace socket id is not the Engine.IO session id.
    assert sio.get_sid("/") and sio.get_sid("/") != sio.eio.sid


def test_connect_without_auth_gets_empty_auth(base_url, transport):
    sio = new_client()
    rec = Recorder(sio).record("auth")
    sio.connect(base_url, transports=TRANSPORTS[transport], wait_timeout=WAIT)
    try:
        assert rec.next("auth") == ({},)
    finally:
        sio.disconnect()


# ------------------------------------------------------------------ events and acks


def test_event_roundtrip(client):
    sio, rec, transport = client
    expect_transport(sio, transport)
    args = (1, "2", {"3": [True, None, 4.5]}, ["é", "😀"])
    sio.emit("message", args)
    assert rec.next("message-back") == args


def test_many_events_keep_order(client):
    sio, rec, transport = client
    for i in range(50):
        sio.emit("message", i)
    assert [rec.next("message-back")[0] for _ in range(50)] == list(range(50))


def test_client_to_server_ack(client):
    sio, rec, transport = client
    expect_transport(sio, transport)
    result = sio.call("message-with-ack", (1, "2", {"3": [False]}), timeout=WAIT)
    assert result == (1, "2", {"3": [False]})
    assert sio.call("message-with-ack", "single", timeout=WAIT) == "single"


def test_server_to_client_ack(client):
    sio, rec, transport = client
    asked = queue.Queue()

    def on_ask(*args):
        asked.put(args)
        # Something the server could not produce on its own.
        return {"answer": 42, "echo": list(args), "transport": transport}

    sio.on("ask", on_ask)
    expect_transport(sio, transport)
    sio.emit("server-ack-request", {"q": "life"})
    ask_args = asked.get(timeout=WAIT)
    got = rec.next("ask-result")
    assert got == ({"answer": 42, "echo": list(ask_args), "transport": transport},)


def test_binary_roundtrip(client):
    sio, rec, transport = client
    expect_transport(sio, transport)
    blob = bytes(range(256)) * 4
    sio.emit("binary-echo", (blob, {"nested": b"\x00\x01", "list": [b"\xff", "text"]}, "plain"))
    got = rec.next("binary-back")
    assert got == (blob, {"nested": b"\x00\x01", "list": [b"\xff", "text"]}, "plain")
    assert isinstance(got[0], bytes)


def test_binary_ack(client):
    sio, rec, transport = client
    expect_transport(sio, transport)
    result = sio.call("message-with-ack", (b"\x01\x02\x03", "x"), timeout=WAIT)
    assert result == (b"\x01\x02\x03", "x")


def test_custom_namespace(base_url, transport):
    sio = new_client()
    main = Recorder(sio, "/").record("auth", "message-back")
    custom = Recorder(sio, "/custom").record("auth", "message-back")
    sio.connect(base_url, transports=TRANSPORTS[transport], namespaces=["/", "/custom"],
                auth={"k": "v"}, wait_timeout=WAIT)
    try:
        assert main.next("auth") == ({"k": "v"},)
        assert custom.next("auth") == ({"k": "v"},)
        sio.emit("message", "to-custom", namespace="/custom")
        assert custom.next("message-back") == ("to-custom",)
        main.nothing("message-back", within=0.2)
        assert sio.call("message-with-ack", "ack-custom", namespace="/custom", timeout=WAIT) == "ack-custom"
    finally:
        sio.disconnect()


def test_simple_client(base_url, transport):
    with socketio.SimpleClient() as sio:
        sio.connect(base_url, transports=TRANSPORTS[transport], auth={"simple": True}, wait_timeout=WAIT)
        assert sio.receive(timeout=WAIT) == ["auth", {"simple": True}]
        sio.emit("message", ("a", 1))  # a tuple is sent as several arguments
        assert sio.receive(timeout=WAIT) == ["message-back", "a", 1]
        assert sio.call("message-with-ack", "x", timeout=WAIT) == "x"


# ------------------------------------------------------------------ middleware refusal


def test_middleware_refusal_arrives_as_connect_error(base_url, transport):
    sio = new_client()
    errors = queue.Queue()
    sio.on("connect_error", lambda *args: errors.put(args), namespace="/protected")
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(base_url, transports=TRANSPORTS[transport], namespaces=["/protected"],
                    auth={"token": "wrong"}, wait_timeout=WAIT)
    try:
        got = errors.get(timeout=WAIT)
        assert got == ({"message": "unauthorized", "data": {"code": "UNAUTHORIZED"}},)
        assert not sio.connected
    finally:
        sio.disconnect()


def test_middleware_refusal_without_auth(base_url):
    sio = new_client()
    errors = queue.Queue()
    sio.on("connect_error", lambda *args: errors.put(args), namespace="/protected")
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(base_url, transports=["websocket"], namespaces=["/protected"], wait_timeout=WAIT)
    try:
        assert errors.get(timeout=WAIT) == ({"message": "unauthorized", "data": {"code": "UNAUTHORIZED"}},)
    finally:
        sio.disconnect()


def test_middleware_accepts_valid_token(base_url, transport):
    sio = new_client()
    connected = queue.Queue()
    sio.on("connect", lambda: connected.put(True), namespace="/protected")
    sio.connect(base_url, transports=TRANSPORTS[transport], namespaces=["/protected"],
                auth={"token": "letmein"}, wait_timeout=WAIT)
    try:
        assert connected.get(timeout=WAIT) is True
        assert "/protected" in sio.namespaces
    finally:
        sio.disconnect()


# ------------------------------------------------------------------ reconnect


def test_server_disconnect_then_reconnect(base_url, transport):
    """`disconnect-me` makes the server disconnect the socket.

    A server-side disconnect is final for the client (reason "io server
    disconnect"; Socket.IO clients do not retry it on their own), so the
    client reconnects explicitly and must get a new, working session.
    """
    sio = new_client()
    rec = Recorder(sio).record("auth", "message-back", "disconnect")
    sio.connect(base_url, transports=TRANSPORTS[transport], auth={"round": 1}, wait_timeout=WAIT)
    try:
        assert rec.next("auth") == ({"round": 1},)
        first_sid = sio.get_sid()
        sio.emit("disconnect-me")
        (reason,) = rec.next("disconnect")
        assert reason == sio.reason.SERVER_DISCONNECT
        wait_until(lambda: not sio.connected and sio.eio.state == "disconnected", what="client disconnected")

        sio.connect(base_url, transports=TRANSPORTS[transport], auth={"round": 2}, wait_timeout=WAIT)
        assert rec.next("auth") == ({"round": 2},)
        assert sio.get_sid() != first_sid
        sio.emit("message", "after-reconnect")
        assert rec.next("message-back") == ("after-reconnect",)
    finally:
        sio.disconnect()


@pytest.mark.timeout(40)
@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
def test_reconnect_after_server_restart(transports):
    """Kill the server process (SIGKILL), start it again on the same port: the
    client notices the lost transport, retries on its own and is usable again."""
    server = ConformanceServer()
    server.start()
    sio = new_client()
    rec = Recorder(sio).record("auth", "message-back", "disconnect")
    connects = queue.Queue()
    sio.on("connect", lambda: connects.put(time.monotonic()))
    try:
        sio.connect(server.base_url, transports=transports, auth={"r": 1}, wait_timeout=WAIT)
        connects.get(timeout=WAIT)
        assert rec.next("auth") == ({"r": 1},)
        sio.emit("message", "before")
        assert rec.next("message-back") == ("before",)

        server.kill()
        (reason,) = rec.next("disconnect", timeout=5)
        assert reason == sio.reason.TRANSPORT_ERROR, reason
        server.start()

        connects.get(timeout=10)  # automatic reconnection
        assert rec.next("auth", timeout=WAIT) == ({"r": 1},)
        sio.emit("message", "after")
        assert rec.next("message-back") == ("after",)
    finally:
        sio.disconnect()
        server.close()


def test_large_binary_roundtrip(client):
    """Half a megabyte each way; over polling it travels base64-encoded (~670 kB),
    still under maxPayload."""
    sio, rec, transport = client
    blob = bytes((i * 7) % 256 for i in range(500_000))
    sio.emit("binary-echo", blob)
    assert rec.next("binary-back", timeout=30) == (blob,)


def test_server_to_client_binary_ack(client):
    sio, rec, transport = client
    sio.on("ask", lambda *args: (b"\x00\xffbinary-answer", {"t": transport}))
    expect_transport(sio, transport)
    sio.emit("server-ack-request")
    assert rec.next("ask-result") == (b"\x00\xffbinary-answer", {"t": transport})


def test_idle_connection_survives_heartbeats(client):
    """1.5 s idle is five ping intervals: the client's pongs must keep the
    session alive on every transport, and it still works afterwards."""
    sio, rec, transport = client
    expect_transport(sio, transport)
    sid = sio.get_sid()
    time.sleep(1.5)
    assert sio.connected and sio.get_sid() == sid, "session was replaced while idle"
    rec.nothing("disconnect", within=0.01)
    sio.emit("message", "after-idle")
    assert rec.next("message-back") == ("after-idle",)


@pytest.mark.timeout(40)
def test_many_python_clients_upgrading_at_once(base_url):
    """Fifteen default-transport clients connect together (all polling, then
    all upgrading) and each gets exactly its own replies."""
    n = 15
    clients = []
    try:
        for i in range(n):
            sio = new_client()
            rec = Recorder(sio).record("auth", "message-back")
            clients.append((sio, rec))

        def connect(i):
            sio, rec = clients[i]
            sio.connect(base_url, auth={"i": i}, wait_timeout=10)
            return rec.next("auth", timeout=10) == ({"i": i},)

        assert all(concurrently(*[lambda i=i: connect(i) for i in range(n)]))
        for i, (sio, rec) in enumerate(clients):
            for k in range(3):
                sio.emit("message", (i, k))
        for i, (sio, rec) in enumerate(clients):
            assert [rec.next("message-back", timeout=10) for _ in range(3)] == [(i, k) for k in range(3)]
            rec.nothing("message-back", within=0.01)
        for sio, _ in clients:
            wait_until(lambda sio=sio: sio.transport() == "websocket", timeout=10, what="upgrade")
    finally:
        for sio, _ in clients:
            sio.disconnect()
