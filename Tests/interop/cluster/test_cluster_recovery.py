"""Connection state recovery across nodes (docs/realtime.md, "Across nodes"): a client that drops recovers on another
node — also through HAProxy after its own node was killed with -9 during a send burst — and gets every missed
`message:new` and conversation event exactly once, in order, with `recovered: true` and its socket id back.

The client is the raw Engine.IO/Socket.IO WebSocket client of Tests/interop/chat/test_recovery.py (python-socketio
does not implement recovery). This module gets a cluster of its own (the fixture is per module).
"""

import json
import threading
import time
import uuid
from types import SimpleNamespace

import requests
import websocket

from chat_e2e import WAIT, Device, wait_until
from test_recovery import RawSocket


def raw(endpoint_port: int, auth: dict) -> RawSocket:
    return RawSocket(SimpleNamespace(port=endpoint_port), auth)


def drain(socket: RawSocket, until, timeout: float = 30.0) -> list:
    """Reads events (name, payload) until `until(events)` holds; presence updates are skipped."""
    events = []
    deadline = time.monotonic() + timeout
    while not until(events):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; got {[(n, p.get('seq') if isinstance(p, dict) else p) for n, p in events]}"
        events.append(socket.next_event(timeout=left))
    return events


def test_a_client_dropped_on_one_node_recovers_on_another_with_every_missed_event_once(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a, b, c = n1.register("xr"), n1.register("xr"), n1.register("xr")
    direct = n1.direct(a, b)["id"]
    b_socket = raw(n1.port, {"token": b.token})
    assert b_socket.pid and not b_socket.recovered
    n2.api("POST", f"/api/v1/conversations/{direct}/messages", a.token, {"content": "seen live"})
    name, payload = b_socket.next_event()
    assert (name, payload["content"]) == ("message:new", "seen live")
    b_socket.close()
    time.sleep(0.5)  # node 1 notices the closed WebSocket at once and records the drop

    # Missed, from every node: messages of the direct conversation over REST and a socket, a new group with b
    # (conversation:new) and its first messages.
    a_device = Device.open(n3, a.login(), account=a)
    devices.append(a_device)
    expected = []
    for i in range(6):
        content = f"missed {i}"
        if i % 2:
            (n1, n2)[i % 4 // 2].api("POST", f"/api/v1/conversations/{direct}/messages", a.token, {"content": content})
        else:
            a_device.ok("message:send", {"conversationId": direct, "content": content})
        expected.append(("message:new", direct, content))
    group = n2.api("POST", "/api/v1/conversations", c.token, {"type": "group", "title": "later", "memberIds": [a.id, b.id]})["id"]
    expected.append(("conversation:new", group, None))
    for i in range(3):
        content = f"group {i}"
        (n1, n3, n2)[i].api("POST", f"/api/v1/conversations/{group}/messages", c.token, {"content": content})
        expected.append(("message:new", group, content))
    # Every node has delivered it all before b comes back (the replay is what the recovering node emitted).
    for node in (n1, n2, n3):
        assert len(node.history(b, direct, after=0)) == 7 and len(node.history(b, group, after=0)) == 3
    time.sleep(0.5)

    back = raw(n2.port, b_socket.recovery_auth(b.token))
    assert back.recovered, back.reply
    assert back.sid == b_socket.sid and back.pid == b_socket.pid
    events = drain(back, lambda got: len(got) >= len(expected))
    got = []
    for name, payload in events:
        if name == "message:new":
            got.append((name, payload["conversationId"], payload["content"]))
        elif name == "conversation:new":
            got.append((name, payload["id"], None))
        else:
            got.append((name, None, None))
    # Per conversation in order, each once; the group's conversation:new before its first message.
    assert sorted(got, key=str) == sorted(expected, key=str), got
    for conversation in (direct, group):
        mine = [g for g in got if g[1] == conversation]
        assert mine == [e for e in expected if e[1] == conversation], mine
    assert back.no_event_within(1.0), "nothing more: each missed event exactly once"

    # Live delivery goes on on the new node, and the session was taken once: its pid recovers nothing elsewhere.
    n3.api("POST", f"/api/v1/conversations/{direct}/messages", a.token, {"content": "live again"})
    name, payload = back.next_event()
    assert (name, payload["content"]) == ("message:new", "live again")
    again = raw(n3.port, b_socket.recovery_auth(b.token))
    assert not again.recovered and again.pid != b_socket.pid
    again.close()
    back.close()


def test_a_client_whose_node_is_killed_recovers_through_the_proxy_with_nothing_lost_or_twice(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a, b = n1.register("kr"), n1.register("kr")
    conversation = n1.api("POST", "/api/v1/conversations", a.token, {"type": "group", "title": "burst", "memberIds": [b.id]})["id"]

    # b's socket through HAProxy; the sticky cookie says which node it landed on.
    b_socket = raw(cluster.proxy_port, {"token": b.token})
    assert b_socket.pid and not b_socket.recovered
    cookie = " ".join(value for key, value in b_socket.ws.getheaders().items() if key.lower() == "set-cookie")
    names = [f"node{i + 1}" for i in range(3)]
    landed = [i for i, name in enumerate(names) if f"chatone_node={name}" in cookie]
    assert len(landed) == 1, f"no sticky cookie in the WebSocket handshake: {b_socket.ws.getheaders()}"
    victim = cluster.nodes[landed[0]]
    survivors = [node for node in cluster.nodes if node is not victim]

    received = []  # (seq, offset) as b's first socket got them
    closed = threading.Event()

    def read_until_dead():
        try:
            while True:
                name, payload = b_socket.next_event(timeout=60)
                if name == "message:new" and payload["conversationId"] == conversation:
                    received.append(payload["seq"])
        except (websocket.WebSocketException, OSError, AssertionError):
            closed.set()

    reader = threading.Thread(target=read_until_dead, daemon=True)
    reader.start()

    stop = threading.Event()
    acked: dict[str, dict] = {}
    lock = threading.Lock()

    def burst(name, node):
        i = 0
        while not stop.is_set() and i < 300:
            cmid = f"{name}-{i}-{uuid.uuid4().hex[:6]}"
            try:
                r = requests.post(f"{node.url}/api/v1/conversations/{conversation}/messages",
                                  json={"content": cmid, "clientMessageId": cmid},
                                  headers={"Authorization": f"Bearer {a.token}"}, timeout=10)
                if r.status_code in (200, 201):
                    with lock:
                        acked[cmid] = r.json()["data"]
            except requests.RequestException:
                pass
            i += 1

    senders = [threading.Thread(target=burst, args=(f"s{i}", node)) for i, node in enumerate(survivors + [victim, cluster.proxy])]
    for thread in senders:
        thread.start()
    assert wait_until(lambda: len(received) >= 20, timeout=30), "b's socket hears the burst"
    victim.kill()
    assert closed.wait(WAIT), "the killed node's WebSocket ends"
    reader.join(timeout=WAIT)
    last_seen = list(received)
    assert last_seen and b_socket.last_offset

    # Back through the proxy at once, while the burst goes on, onto a live node.
    back = raw(cluster.proxy_port, b_socket.recovery_auth(b.token))
    assert back.recovered, back.reply
    assert back.sid == b_socket.sid
    time.sleep(1.0)
    stop.set()
    for thread in senders:
        thread.join(timeout=60)
    stored = []
    after = 0
    while True:
        page = survivors[0].history(a, conversation, after=after, limit=100)
        stored += page
        if len(page) < 100:
            break
        after = page[-1]["seq"]
    total = len(stored)
    assert [m["seq"] for m in stored] == list(range(1, total + 1))
    assert {m["clientMessageId"] for m in stored} >= set(acked), "every acked message is stored"

    replayed = []

    def all_in(events):
        return len(last_seen) + len([1 for n, p in events if n == "message:new" and p["conversationId"] == conversation]) >= total

    for name, payload in drain(back, all_in, timeout=60):
        if name == "message:new" and payload["conversationId"] == conversation:
            replayed.append(payload["seq"])
    assert last_seen + replayed == list(range(1, total + 1)), "every message once, in seq order, across the node's death"
    assert back.no_event_within(1.0)
    back.close()
    victim.restart()
