"""Crash safety: `kill -9` in the middle of a send burst loses no acknowledged message and never reuses a `seq`.

API.md "Durability": a message is acknowledged only once its transaction is committed and synced. Several
python-socketio clients send at a steady rate (each message with its own clientMessageId) into shared
conversations; the test kills the server with SIGKILL at a random moment, restarts it on the same database and
checks, round after round:

- every acknowledged message is stored, with the `seq` and id of its ack;
- each conversation's `seq` runs 1..n without gaps, and no `seq`, message id or (sender, clientMessageId) belongs
  to two messages;
- a send that was in flight when the server died (no ack) is settled by retrying it with the same
  clientMessageId after the restart: the retry returns the stored message if it had committed (same id and
  `seq`), or stores it now, never twice.

The fsync check runs the server under strace and shows that every ack is preceded by an fsync of SQLite's WAL,
made after the message was sent; with `CHATONE_SQLITE_SYNCHRONOUS=normal` the same check finds no such sync,
so the check can tell the two apart. (On MariaDB the redo-log sync is the database server's, not ChatOne's: the
server's own `innodb_flush_log_at_trx_commit` is read at start-up, and the test asserts ChatOne saw 1 and did
not warn; see docs/operations.md.)
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid

import pytest
import socketio

from chat_e2e import DATABASE, Server

ROUNDS = 3
SENDERS = 4
SEND_INTERVAL = 0.01  # seconds between one client's sends: a steady stream, about 400 messages a second in all


class Sender(threading.Thread):
    """One socket sending into a few conversations until its connection dies or it is told to stop."""

    def __init__(self, server: Server, token: str, conversations: list[str], name: str):
        super().__init__(daemon=True)
        self.server = server
        self.token = token
        self.conversations = conversations
        self.name_prefix = name
        self.stop_flag = threading.Event()
        self.acked: dict[str, dict] = {}  # clientMessageId -> acked Message
        self.unsettled: dict[str, dict] = {}  # clientMessageId -> the send body, sent but not acked
        self.errors: list = []
        self.client = socketio.Client(reconnection=False, handle_sigint=False)

    def run(self) -> None:
        try:
            self.client.connect(self.server.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10)
        except Exception as error:  # noqa: BLE001 - a failed connect is reported by the test
            self.errors.append(f"connect: {error!r}")
            return
        n = 0
        while not self.stop_flag.is_set() and self.client.connected:
            n += 1
            cmid = f"{self.name_prefix}-{uuid.uuid4().hex[:12]}"
            body = {"conversationId": random.choice(self.conversations), "content": f"{self.name_prefix} #{n}",
                    "clientMessageId": cmid}
            self.unsettled[cmid] = body
            try:
                ack = self.client.call("message:send", body, timeout=3)
            except Exception:  # noqa: BLE001 - the server died: this send stays unsettled
                break
            if isinstance(ack, dict) and ack.get("success") is True:
                self.acked[cmid] = ack["data"]
                del self.unsettled[cmid]
            else:
                # An error ack means "not stored" only if the server says so; keep it unsettled and let the retry
                # after the restart decide.
                self.errors.append(ack)
            time.sleep(SEND_INTERVAL)
        if self.client.connected:
            self.client.disconnect()


def all_messages(server: Server, token: str, conversation_id: str) -> list[dict]:
    """A conversation's whole history, oldest first, paged forwards."""
    messages: list[dict] = []
    after = 0
    while True:
        response = server.request("GET", f"/api/v1/conversations/{conversation_id}/messages?after={after}&limit=100",
                                  token)
        assert response.status_code == 200, response.text
        body = response.json()
        messages += body["data"]
        if not body["page"]["hasMore"]:
            return messages
        after = int(body["page"]["nextCursor"])


def check_store(server: Server, token: str, conversations: list[str], acked: dict[str, dict]) -> dict[str, dict]:
    """Asserts the invariants over every conversation; returns the stored messages by clientMessageId."""
    stored: dict[str, dict] = {}
    for conversation_id in conversations:
        messages = all_messages(server, token, conversation_id)
        seqs = [m["seq"] for m in messages]
        assert seqs == list(range(1, len(messages) + 1)), f"seq not gapless in {conversation_id}: {seqs}"
        ids = [m["id"] for m in messages]
        assert len(set(ids)) == len(ids), "one message id stored twice"
        keys = [(m["senderId"], m["clientMessageId"]) for m in messages]
        assert len(set(keys)) == len(keys), "one clientMessageId stored twice"
        for message in messages:
            stored[message["clientMessageId"]] = message
    for cmid, ack in acked.items():
        assert cmid in stored, f"acked message {cmid} (seq {ack['seq']}) lost"
        found = stored[cmid]
        assert (found["id"], found["seq"], found["conversationId"], found["content"]) == (
            ack["id"], ack["seq"], ack["conversationId"], ack["content"]), (found, ack)
    return stored


def test_kill_9_loses_no_acked_message_and_reuses_no_seq():
    server = Server()
    try:
        users = [server.register("crash") for _ in range(SENDERS)]
        group = server.api("POST", "/api/v1/conversations", users[0].token,
                           {"type": "group", "title": "crash", "memberIds": [u.id for u in users[1:]]})["id"]
        direct = server.direct(users[0], users[1])["id"]
        conversations = [group, direct]
        targets = {0: [group, direct], 1: [group, direct]}
        acked: dict[str, dict] = {}
        total_unsettled = 0
        for round_number in range(ROUNDS):
            senders = [Sender(server, u.token, targets.get(i, [group]), f"r{round_number}u{i}")
                       for i, u in enumerate(users)]
            for sender in senders:
                sender.start()
            time.sleep(random.uniform(0.4, 1.2))
            server.kill()
            for sender in senders:
                sender.stop_flag.set()
            for sender in senders:
                sender.join(timeout=10)
                assert not sender.is_alive()
            round_acked = {cmid: m for s in senders for cmid, m in s.acked.items()}
            assert round_acked, f"no message was acked before the kill: {[s.errors for s in senders]}"
            acked.update(round_acked)

            server.restart()
            stored = check_store(server, users[0].token, conversations, acked)

            # Sends in flight at the kill: a retry with the same clientMessageId settles each exactly once.
            for i, sender in enumerate(senders):
                for cmid, body in sender.unsettled.items():
                    total_unsettled += 1
                    response = server.request("POST", f"/api/v1/conversations/{body['conversationId']}/messages",
                                              users[i].token, {"content": body["content"], "clientMessageId": cmid})
                    assert response.status_code in (200, 201), response.text
                    message = response.json()["data"]
                    if cmid in stored:
                        assert response.status_code == 200 and message["id"] == stored[cmid]["id"], (message, stored[cmid])
                        assert message["seq"] == stored[cmid]["seq"]
                    else:
                        assert response.status_code == 201, message
                    acked[cmid] = message
            check_store(server, users[0].token, conversations, acked)
            print(f"round {round_number}: {len(round_acked)} acked before the kill, "
                  f"{sum(len(s.unsettled) for s in senders)} in flight settled by retry")
        if DATABASE == "mysql":
            assert "innodb_flush_log_at_trx_commit" not in server.log(None), \
                "the test MariaDB must sync its redo log at every commit (innodb_flush_log_at_trx_commit=1)"
        if DATABASE == "postgres":
            assert "fsync is" not in server.log(None), "the test PostgreSQL must flush its WAL at every commit (fsync=on)"
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------- fsync (SQLite)

STRACE_LINE = re.compile(
    r"^\d+\s+(?P<time>\d+\.\d+)\s+(?P<call>fsync|fdatasync)\((?P<fd>\d+)<(?P<path>[^>]*)>"
    r"(?:\)\s+=\s+(?P<result>-?\d+)|\s+<unfinished \.\.\.>)")
STRACE_RESUMED = re.compile(r"^(?P<pid>\d+)\s+(?P<time>\d+\.\d+)\s+<\.\.\. (?P<call>fsync|fdatasync) resumed>")


def wal_syncs(trace: str) -> list[tuple[float, float]]:
    """(entry, exit) times of every completed fsync/fdatasync of a `-wal` file in strace output."""
    syncs: list[tuple[float, float]] = []
    open_calls: dict[str, tuple[float, bool]] = {}  # pid -> (entry time, is WAL)
    for line in trace.splitlines():
        match = STRACE_LINE.match(line)
        if match:
            is_wal = match["path"].endswith("-wal")
            entry = float(match["time"])
            if match["result"] is not None:
                if is_wal and match["result"] == "0":
                    syncs.append((entry, entry))
            else:
                open_calls[line.split()[0]] = (entry, is_wal)
            continue
        resumed = STRACE_RESUMED.match(line)
        if resumed and resumed["pid"] in open_calls:
            entry, is_wal = open_calls.pop(resumed["pid"])
            if is_wal and line.rstrip().endswith("= 0"):
                syncs.append((entry, float(resumed["time"])))
    return syncs


def traced_sends(synchronous: str, count: int) -> tuple[list[tuple[float, float, int]], list[tuple[float, float]]]:
    """Starts a server under strace, sends `count` messages one after another; returns the sends' (sent, acked,
    seq) times and the WAL syncs."""
    strace = shutil.which("strace")
    if not strace:
        pytest.skip("strace is not installed (scripts/test.sh installs it)")
    probe = subprocess.run([strace, "-f", "-o", "/dev/null", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace processes in this sandbox: {probe.stderr.strip()}")
    trace_path = f"/tmp/chatone-strace-{uuid.uuid4().hex}.txt"
    server = Server(extra_env={"CHATONE_SQLITE_SYNCHRONOUS": synchronous},
                    wrapper=[strace, "-f", "-ttt", "-y", "-e", "trace=fsync,fdatasync", "-o", trace_path])
    sends: list[tuple[float, float, int]] = []
    try:
        alice, bob = server.register("fs"), server.register("fs")
        conversation = server.direct(alice, bob)["id"]
        client = socketio.Client(reconnection=False, handle_sigint=False)
        client.connect(server.url, auth={"token": alice.token}, transports=["websocket"], wait_timeout=10)
        try:
            for n in range(count):
                sent = time.time()
                ack = client.call("message:send", {"conversationId": conversation, "content": f"m{n}",
                                                   "clientMessageId": f"fs-{n}"}, timeout=10)
                acked = time.time()
                assert ack["success"] is True, ack
                sends.append((sent, acked, ack["data"]["seq"]))
        finally:
            client.disconnect()
    finally:
        # SIGTERM to the traced server itself (strace's child); strace ends with it.
        children = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True).stdout.split()
        for child in children:
            try:
                os.kill(int(child), signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        server.stop()
    with open(trace_path) as handle:
        trace = handle.read()
    os.unlink(trace_path)
    return sends, wal_syncs(trace)


@pytest.mark.skipif(DATABASE != "sqlite", reason="the WAL sync is SQLite's; MariaDB and PostgreSQL sync their logs themselves")
def test_every_ack_follows_a_sync_of_the_wal():
    sends, syncs = traced_sends("full", 20)
    for sent, acked, seq in sends:
        assert any(sent <= entry and done <= acked for entry, done in syncs), \
            f"message seq {seq}: no WAL sync between its send ({sent:.6f}) and its ack ({acked:.6f})"


@pytest.mark.skipif(DATABASE != "sqlite", reason="the WAL sync is SQLite's; MariaDB and PostgreSQL sync their logs themselves")
def test_the_sync_check_sees_the_difference_with_synchronous_normal():
    sends, syncs = traced_sends("normal", 10)
    unsynced = [seq for sent, acked, seq in sends if not any(sent <= entry and done <= acked for entry, done in syncs)]
    assert unsynced, "with synchronous=normal every ack still followed a WAL sync: the check proves nothing"
