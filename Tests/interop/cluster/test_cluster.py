"""Three `chatone serve` nodes on one PostgreSQL behind HAProxy (docs/scaling.md): delivery, idempotency, presence,
typing, receipts, removal and revocation across nodes, and a `kill -9` of a node during a send burst."""

import os
import signal
import threading
import time
import uuid

import requests

from chat_e2e import WAIT, Device, wait_until


def group(via, creator, members, title="cluster"):
    return via.api("POST", "/api/v1/conversations", creator.token,
                   {"type": "group", "title": title, "memberIds": [m.id for m in members]})


def on(node, account, devices, transports=("websocket",)):
    """A socket of `account` on `node` (a node, or the proxy), with a fresh login of its own."""
    device = Device.open(node, account.login(), account=account, transports=transports)
    devices.append(device)
    return device


def seqs(device, conversation_id):
    return [m["seq"] for m in device.events("message:new") if m["conversationId"] == conversation_id]


def test_concurrent_sends_from_three_nodes_reach_every_device_in_seq_order(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a, b, c = (n.register("cl") for n in (n1, n2, n3))
    conversation = group(n1, a, [b, c])["id"]
    senders = [on(n1, a, devices), on(n2, b, devices), on(n3, c, devices)]
    # Listeners: every member on every node, and one through the proxy over long-polling.
    listeners = [on(node, member, devices) for node in (n1, n2, n3) for member in (a, b, c)]
    listeners.append(on(cluster.proxy, a, devices, transports=("polling",)))
    per_sender = 25

    def burst(device, name):
        for i in range(per_sender):
            device.ok("message:send", {"conversationId": conversation, "content": f"{name}-{i}", "clientMessageId": f"{name}-{i}"})

    threads = [threading.Thread(target=burst, args=(d, name)) for d, name in zip(senders, "abc")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    total = per_sender * 3
    for listener in listeners:
        listener.wait_count("message:new", total, lambda m: m["conversationId"] == conversation, timeout=30)
        assert seqs(listener, conversation) == list(range(1, total + 1)), "gapless, in order, each once"
    stored = n2.history(a, conversation, limit=100)
    assert [m["seq"] for m in stored] == list(range(1, total + 1))
    assert len({m["clientMessageId"] for m in stored}) == total
    # The senders' own sockets hear the other two senders' messages, in order, not their own.
    for device, name in zip(senders, "abc"):
        heard = [m for m in device.events("message:new") if m["conversationId"] == conversation]
        assert len(heard) == 2 * per_sender and all(not m["content"].startswith(name + "-") for m in heard)
        assert [m["seq"] for m in heard] == sorted(m["seq"] for m in heard)


def test_large_messages_and_ids_unique_across_nodes(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a, b = n1.register("big"), n2.register("big")
    conversation = n1.direct(a, b)["id"]
    listener = on(n3, b, devices)
    content = "x" * 3900 + "é" * 50  # one message; the notification carries only its range
    ids = set()
    for node in (n1, n2, n3):
        message = node.api("POST", f"/api/v1/conversations/{conversation}/messages", a.token, {"content": content})
        ids.add(message["id"])
    assert len(ids) == 3
    got = listener.wait_count("message:new", 3, lambda m: m["conversationId"] == conversation)
    assert [m["content"] for m in got] == [content] * 3


def test_idempotent_retry_on_another_node_returns_the_stored_message(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a, b = n1.register("idem"), n1.register("idem")
    conversation = n1.direct(a, b)["id"]
    listener = on(n3, b, devices)
    body = {"content": "once", "clientMessageId": "retry-" + uuid.uuid4().hex}
    first = n1.request("POST", f"/api/v1/conversations/{conversation}/messages", a.token, body)
    retry = n2.request("POST", f"/api/v1/conversations/{conversation}/messages", a.token, body)
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json()["data"]["id"] == first.json()["data"]["id"]
    listener.wait_for("message:new", lambda m: m["conversationId"] == conversation)
    listener.assert_no("message:new", lambda m: m["conversationId"] == conversation and m["seq"] != 1, within=1.0)
    assert [m["seq"] for m in n3.history(a, conversation)] == [1]


def test_presence_typing_and_receipts_cross_nodes(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a, b = n1.register("pres"), n2.register("pres")
    conversation = n1.direct(a, b)["id"]
    watcher = on(n1, a, devices)
    other = on(n2, b, devices)
    watcher.wait_for("presence:update", lambda p: p["userId"] == b.id and p["online"] is True)
    # REST on a third node sees b online (a socket on node 2).
    assert n3.api("GET", f"/api/v1/users/{b.id}", a.token)["online"] is True
    other.ok("typing", {"conversationId": conversation, "isTyping": True})
    watcher.wait_for("typing", lambda t: t["userId"] == b.id and t["isTyping"] is True)
    message = watcher.ok("message:send", {"conversationId": conversation, "content": "read me"})
    other.wait_for("message:new", lambda m: m["id"] == message["id"])
    other.ok("message:read", {"conversationId": conversation, "seq": message["seq"]})
    watcher.wait_for("message:read", lambda r: r["userId"] == b.id and r["lastReadSeq"] == message["seq"])
    # A second device of b on node 3, then b's node-2 socket goes: b stays online, nothing announced.
    third = on(n3, b, devices)
    other.close()
    watcher.assert_no("presence:update", lambda p: p["userId"] == b.id and p["online"] is False, within=1.5)
    third.close()
    watcher.wait_for("presence:update", lambda p: p["userId"] == b.id and p["online"] is False)
    offline = [p for p in watcher.events("presence:update") if p["userId"] == b.id and p["online"] is False]
    assert len(offline) == 1, offline


def test_group_removal_is_final_on_every_node(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a, b, c = n1.register("rm"), n1.register("rm"), n1.register("rm")
    conversation = group(n1, a, [b, c])["id"]
    removed = [on(node, c, devices) for node in (n1, n2, n3)]
    stays = on(n3, b, devices)
    sender = on(n2, a, devices)
    sender.ok("message:send", {"conversationId": conversation, "content": "before"})
    for device in removed:
        device.wait_for("message:new", lambda m: m["conversationId"] == conversation)
    stop = threading.Event()

    def keep_sending():
        i = 0
        while not stop.is_set():
            sender.call("message:send", {"conversationId": conversation, "content": f"during-{i}"})
            i += 1

    thread = threading.Thread(target=keep_sending)
    thread.start()
    time.sleep(0.3)
    n1.api("DELETE", f"/api/v1/conversations/{conversation}/members/{c.id}", a.token)
    for device in removed:
        device.wait_for("conversation:removed", lambda e: e["conversationId"] == conversation)
    time.sleep(0.5)
    stop.set()
    thread.join(timeout=30)
    sender.ok("message:send", {"conversationId": conversation, "content": "after"})
    stays.wait_for("message:new", lambda m: m["content"] == "after")
    for device in removed:
        events = device.events()
        names = [event for event, _ in device._events]
        last_removed = max(i for i, event in enumerate(names) if event == "conversation:removed")
        after = [events[i] for i in range(last_removed + 1, len(names)) if names[i] == "message:new"]
        assert not after, f"message after removal: {after}"


def test_a_group_change_reaches_each_member_on_every_node_with_their_own_view_and_crosses_the_bus_once(cluster, devices):
    n1, n2, n3 = cluster.nodes
    owner = n1.register("big")
    members = [n1.register("big") for _ in range(59)]
    conversation = group(n1, owner, members, title="before")["id"]
    watchers = [(on(n2, owner, devices), owner, 1), (on(n3, members[0], devices), members[0], 0),
                (on(n2, members[1], devices), members[1], 1), (on(n1, members[2], devices), members[2], 1)]
    # Views differ: one member has read the one message, everyone else has it unread.
    n1.api("POST", f"/api/v1/conversations/{conversation}/messages", owner.token, {"content": "hello all"})
    for device, account, _ in watchers[1:]:
        device.wait_for("message:new", lambda m: m["conversationId"] == conversation)
    n3.api("POST", f"/api/v1/conversations/{conversation}/read", members[0].token, {"seq": 1})
    payloads = lambda: int(cluster.databases.scalar(cluster.db_name, "SELECT count(*) FROM cluster_payloads"))
    before = payloads()
    n1.api("PATCH", f"/api/v1/conversations/{conversation}", owner.token, {"title": "after"})
    for device, account, unread in watchers:
        update = device.wait_for("conversation:update", lambda c: c["id"] == conversation and c["title"] == "after")
        assert update["unreadCount"] == unread, (account.username, update["unreadCount"])
        assert len(update["members"]) == 60
        assert len([c for c in device.events("conversation:update") if c["id"] == conversation]) == 1
    # 60 views of a 60-member group (~12 KB each) cross the bus as one notification: at most one stored payload,
    # not one per member.
    assert payloads() - before <= 1


def test_revoked_login_is_disconnected_on_every_node(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a = n1.register("rev")
    token = a.login()
    sockets = [Device.open(node, token, account=a) for node in (n1, n2, n3)]
    devices.extend(sockets)
    keeper = on(n2, a, devices)
    session = next(s for s in n1.api("GET", "/api/v1/auth/sessions", token) if s["current"])
    n3.api("DELETE", f"/api/v1/auth/sessions/{session['id']}", a.token)
    for device in sockets:
        device.wait_for("session:revoked", lambda e: e["sessionId"] == session["id"])
        assert device.disconnected.wait(WAIT)
    assert keeper.connected


def test_a_node_stalled_past_its_lease_takes_its_id_back_and_keeps_serving(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a, c = n1.register("stall"), n3.register("stall")
    conversation = n1.direct(a, c)["id"]
    watcher = on(n1, a, devices)
    on(n3, c, devices)
    watcher.wait_for("presence:update", lambda p: p["userId"] == c.id and p["online"] is True)
    before = len(watcher.events("presence:update"))
    # Frozen for longer than its 10 s lease: a live node reaps it, and c (only there) goes offline.
    os.kill(n3.process.pid, signal.SIGSTOP)
    try:
        watcher.wait_for("presence:update", lambda p: p["userId"] == c.id and p["online"] is False, timeout=15)
    finally:
        os.kill(n3.process.pid, signal.SIGCONT)
    # Back, it finds its lease reaped, takes its id again (nobody else took it) and goes on serving; c's socket is
    # there again (re-announced, or reconnected after its heartbeat timed out) and contacts hear c online.
    assert wait_until(lambda: "id taken back" in n3.log(), timeout=10), n3.log()[-3000:]
    assert n3.process.poll() is None
    assert wait_until(lambda: any(p["userId"] == c.id and p["online"] is True for p in watcher.events("presence:update")[before:]),
                      timeout=15)
    again = on(n3, c, devices)
    sent = watcher.ok("message:send", {"conversationId": conversation, "content": "still here?"})
    again.wait_for("message:new", lambda m: m["id"] == sent["id"])
    reply = again.ok("message:send", {"conversationId": conversation, "content": "yes"})
    watcher.wait_for("message:new", lambda m: m["id"] == reply["id"])
    assert [m["seq"] for m in n1.history(a, conversation, limit=10)] == [1, 2]


def test_kill_9_of_a_node_during_a_send_burst(cluster, devices):
    n1, n2, n3 = cluster.nodes
    a, b, c = n1.register("kill"), n1.register("kill"), n1.register("kill")
    conversation = group(n1, a, [b, c])["id"]
    watcher = on(n1, a, devices)
    victim_only = on(n2, c, devices)  # c's only socket is on the node that dies
    watcher.wait_for("presence:update", lambda p: p["userId"] == c.id and p["online"] is True)
    listener = on(n3, b, devices)
    acked: dict[str, dict] = {}
    lock = threading.Lock()
    stop = threading.Event()
    errors: list = []

    def burst(name, node):
        i = 0
        while not stop.is_set() and i < 400:
            cmid = f"{name}-{i}"
            body = {"content": cmid, "clientMessageId": cmid}
            try:
                r = requests.post(f"{node.url}/api/v1/conversations/{conversation}/messages", json=body,
                                  headers={"Authorization": f"Bearer {a.token}"}, timeout=10)
                if r.status_code in (200, 201):
                    with lock:
                        acked[cmid] = r.json()["data"]
            except requests.RequestException as error:
                errors.append((cmid, str(error)))
            i += 1

    threads = [threading.Thread(target=burst, args=(name, node)) for name, node in (("k1", n1), ("k2", n2), ("kp", cluster.proxy))]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    killed_at = time.monotonic()
    n2.kill()
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    # c, who was only on the dead node, goes offline for a (once) within 15 s (the 10 s lease and one 2 s heartbeat).
    watcher.wait_for("presence:update", lambda p: p["userId"] == c.id and p["online"] is False, timeout=15)
    assert time.monotonic() - killed_at < 15
    assert len([p for p in watcher.events("presence:update") if p["userId"] == c.id and p["online"] is False]) == 1
    assert not victim_only.connected or wait_until(lambda: not victim_only.connected, timeout=10)
    # Every acked message is stored exactly once, in a gapless sequence.
    stored = []
    after = 0
    while True:
        page = n1.history(a, conversation, after=after, limit=100)
        stored += page
        if len(page) < 100:
            break
        after = page[-1]["seq"]
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
    by_cmid = {}
    for m in stored:
        assert m["clientMessageId"] not in by_cmid, "stored twice"
        by_cmid[m["clientMessageId"]] = m
    for cmid, message in acked.items():
        assert by_cmid[cmid]["id"] == message["id"]
    # b's socket on a surviving node received every stored message once, in order (a sender's retry of an
    # unanswered send on the dead node lands on a live one and is delivered there).
    total = len(stored)
    listener.wait_count("message:new", total, lambda m: m["conversationId"] == conversation, timeout=30)
    assert seqs(listener, conversation) == list(range(1, total + 1))
    # c comes back online by reconnecting through the proxy to a live node.
    before = len(watcher.events("presence:update"))
    back = on(cluster.proxy, c, devices)
    assert wait_until(lambda: any(p["userId"] == c.id and p["online"] is True
                                  for p in watcher.events("presence:update")[before:]), timeout=WAIT)
    assert back.connected
