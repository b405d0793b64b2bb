"""Graceful shutdown (API.md "Durability"): SIGTERM during a send burst loses no acknowledged message.

Several python-socketio clients pipeline sends (many emits in flight, each with a clientMessageId) while a REST
client posts too; the test sends SIGTERM in the middle. The server must exit within CHATONE_SHUTDOWN_GRACE, and
after a restart on the same database:

- every acknowledged message is stored, with the `seq` of its ack;
- nothing is stored that was never sent, and of the sends not acknowledged, at most the one running on each
  socket when it closed may be stored (events queued behind it are dropped unanswered, never half-done);
- a retry of every unacknowledged send with its clientMessageId returns the stored message if there is one (same
  id and `seq`), else stores it now: no duplicate;
- every socket was disconnected by the server (so that clients reconnect elsewhere), and every user's
  `lastSeenAt` was recorded before the database closed.
"""

from __future__ import annotations

import random
import signal
import threading
import time
import uuid

import requests
import socketio

from chat_e2e import Server

GRACE = 5
CLIENTS = 4


class AckKeepingClient(socketio.Client):
    """python-socketio hands each incoming packet to a background thread, and its disconnect handler forgets every
    pending ack callback: an ack that arrived just before the server closed the socket can be dropped by the client
    ("Unknown callback received"). The server did answer, so this client keeps its own table of callbacks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_callbacks: dict[int, object] = {}

    def _generate_ack_id(self, namespace, callback):
        ack_id = super()._generate_ack_id(namespace, callback)
        self.kept_callbacks[ack_id] = callback
        return ack_id

    def _handle_ack(self, namespace, id, data):
        callback = self.kept_callbacks.pop(id, None)
        if callback is not None:
            callback(*data)


class Pipeliner(threading.Thread):
    """Emits sends without waiting for their acks (a few in flight at any time), recording every ack."""

    def __init__(self, server: Server, token: str, conversation: str, name: str):
        super().__init__(daemon=True)
        self.server = server
        self.conversation = conversation
        self.name_prefix = name
        self.sent: dict[str, dict] = {}
        self.acked: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.server_disconnected = threading.Event()
        self.disconnected_at = 0.0
        self.client = AckKeepingClient(reconnection=False, handle_sigint=False)
        self.client.on("disconnect", self._on_disconnect)
        self.client.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)

    def _on_disconnect(self, *args):
        self.disconnected_at = time.monotonic()
        self.server_disconnected.set()

    def run(self) -> None:
        n = 0
        while self.client.connected and n < 5000:
            n += 1
            cmid = f"{self.name_prefix}-{n}-{uuid.uuid4().hex[:6]}"
            body = {"conversationId": self.conversation, "content": f"{self.name_prefix} #{n}", "clientMessageId": cmid}

            def on_ack(ack, cmid=cmid):
                if isinstance(ack, dict) and ack.get("success") is True:
                    with self.lock:
                        self.acked[cmid] = ack["data"]

            with self.lock:
                self.sent[cmid] = body
            try:
                self.client.emit("message:send", body, callback=on_ack)
            except Exception:  # noqa: BLE001 - the connection went away under us
                break
            time.sleep(0.003)


def history(server: Server, token: str, conversation_id: str) -> list[dict]:
    messages, after = [], 0
    while True:
        body = server.request("GET", f"/api/v1/conversations/{conversation_id}/messages?after={after}&limit=100",
                              token).json()
        messages += body["data"]
        if not body["page"]["hasMore"]:
            return messages
        after = int(body["page"]["nextCursor"])


def test_sigterm_during_a_send_burst_acks_or_drops_cleanly_and_exits_within_the_grace():
    server = Server(extra_env={"CHATONE_SHUTDOWN_GRACE": str(GRACE), "CHATONE_PRESENCE_GRACE": "3"})
    try:
        users = [server.register("drain") for _ in range(CLIENTS + 1)]
        # Each sender talks to a user without sockets: no client is flooded with message:new, which would fill its
        # outbound buffer and get it disconnected (with its queued acks) long before the SIGTERM.
        silent = server.register("silent")
        conversations = [server.direct(u, silent)["id"] for u in users]
        pipeliners = [Pipeliner(server, u.token, conversations[i], f"s{i}") for i, u in enumerate(users[:CLIENTS])]
        group = conversations[CLIENTS]  # the REST sender's

        rest_user = users[CLIENTS]
        rest_sent: dict[str, dict] = {}
        rest_acked: dict[str, dict] = {}
        rest_stop = threading.Event()

        def rest_sender():
            n = 0
            while not rest_stop.is_set():
                n += 1
                cmid = f"rest-{n}"
                body = {"content": f"rest #{n}", "clientMessageId": cmid}
                rest_sent[cmid] = body
                try:
                    response = requests.post(f"{server.url}/api/v1/conversations/{group}/messages", json=body,
                                             headers={"Authorization": f"Bearer {rest_user.token}"}, timeout=GRACE)
                except requests.RequestException:
                    return
                if response.status_code == 201:
                    rest_acked[cmid] = response.json()["data"]
                elif response.status_code >= 500:
                    return  # the database closed: an error answer, not a hang

        rest = threading.Thread(target=rest_sender, daemon=True)
        for p in pipeliners:
            p.start()
        rest.start()
        time.sleep(random.uniform(0.5, 1.0))
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=GRACE + 5)
        took = time.monotonic() - started
        rest_stop.set()
        assert took <= GRACE, f"shutdown took {took:.1f} s, over the {GRACE} s grace"
        assert code == 0, f"exit code {code}:\n{server.log()}"
        for p in pipeliners:
            assert p.server_disconnected.wait(5), "a socket was not disconnected by the server"
            assert p.disconnected_at >= started, f"{p.name_prefix} was disconnected before the SIGTERM"
            p.join(timeout=10)
        rest.join(timeout=10)
        time.sleep(2)  # the client's packet threads finish handling the last acks
        drained = [line for line in server.log(None).splitlines() if line.endswith("sockets drained")]
        assert drained and "complete=true" in drained[-1], server.log()

        server.restart()
        stored: dict[str, dict] = {}
        for i, conversation in enumerate(conversations):
            messages = history(server, users[i].token, conversation)
            assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1)), "seq not gapless"
            stored.update({m["clientMessageId"]: m for m in messages})

        acked = dict(rest_acked)
        for p in pipeliners:
            acked.update(p.acked)
        sent = dict(rest_sent)
        for p in pipeliners:
            sent.update(p.sent)
        assert acked, "nothing was acked before SIGTERM"
        for cmid, message in acked.items():
            assert cmid in stored, f"acked message {cmid} lost"
            assert (stored[cmid]["id"], stored[cmid]["seq"]) == (message["id"], message["seq"])
        assert set(stored) <= set(sent), "a message was stored that nobody sent"
        for p in pipeliners:
            unacked_stored = [cmid for cmid in p.sent if cmid in stored and cmid not in p.acked]
            assert len(unacked_stored) <= 1, (
                f"{p.name_prefix}: stored without an ack: {unacked_stored} (sent {len(p.sent)}, acked {len(p.acked)})\n"
                + "\n".join(line for line in server.log(None).splitlines()
                             if "drain" in line or "Closed WebSocket" in line or "Triggering" in line))
        rest_unacked_stored = [cmid for cmid in rest_sent if cmid in stored and cmid not in rest_acked]
        assert len(rest_unacked_stored) <= 1, rest_unacked_stored
        in_flight = sum(1 for p in pipeliners for cmid in p.sent if cmid not in p.acked)
        print(f"{len(acked)} acked, {in_flight} socket sends unanswered at the close, shutdown took {took:.2f} s")

        # Every unacknowledged socket send, retried after the restart, settles exactly once.
        for i, p in enumerate(pipeliners):
            for cmid, body in p.sent.items():
                if cmid in p.acked:
                    continue
                response = server.request("POST", f"/api/v1/conversations/{p.conversation}/messages", users[i].token,
                                          {"content": body["content"], "clientMessageId": cmid})
                if cmid in stored:
                    assert response.status_code == 200, response.text
                    assert response.json()["data"]["id"] == stored[cmid]["id"]
                else:
                    assert response.status_code == 201, response.text
        for i, conversation in enumerate(conversations):
            after = history(server, users[i].token, conversation)
            assert [m["seq"] for m in after] == list(range(1, len(after) + 1))
            assert len({(m["senderId"], m["clientMessageId"]) for m in after}) == len(after)

        # lastSeenAt: every socket user went offline at the shutdown, and it was stored.
        for u in users[:CLIENTS]:
            seen = server.api("GET", f"/api/v1/users/{u.id}", silent.token)
            assert seen["lastSeenAt"] is not None, f"no lastSeenAt for {u.username}"
    finally:
        server.stop()
