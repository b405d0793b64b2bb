"""A real `chatone serve` as a platform sees it: JSON log lines (`CHATONE_LOG_FORMAT=json`) with request and socket
ids and no tokens, and Prometheus metrics on their own address (`CHATONE_METRICS_ADDRESS`)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "chat"))
from chat_e2e import Server, free_port  # noqa: E402


@pytest.fixture(scope="module")
def server():
    metrics_port = free_port()
    instance = Server(extra_env={
        "CHATONE_LOG_FORMAT": "json",
        "CHATONE_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}",
    })
    instance.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    yield instance
    instance.stop()


def log_entries(server: Server) -> list[dict]:
    lines = [line for line in server.log(tail=None).splitlines() if line.strip()]
    entries = []
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object, or this fails
        assert isinstance(entry, dict), line
        entries.append(entry)
    return entries


def test_json_logs_carry_request_and_socket_ids_and_no_tokens(server):
    alice = server.register("logalice")
    bob = server.register("logbob")
    response = server.request("GET", "/api/v1/auth/me", alice.token)
    request_id = response.headers["X-Request-Id"]
    conversation = server.direct(alice, bob)
    device = alice.connect()
    device.ok("message:send", {"conversationId": conversation["id"], "content": "logged?"})
    device.call("no:such:event", {})
    device.close()
    time.sleep(0.5)

    entries = log_entries(server)
    assert entries, "the server logged nothing"
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
    # The request's line carries the id its response told the client.
    mine = [e for e in entries if e.get("hb.request.id") == request_id]
    assert any(e["message"] == "request" and e.get("path") == "/api/v1/auth/me" and e.get("status") == "200" for e in mine), mine
    assert all(e.get("hb.request.id") for e in entries if e["message"] == "request")
    # Socket lines name their socket.
    connected = [e for e in entries if e["message"] == "socket connected"]
    assert connected and all(e.get("socket.id") for e in connected)
    # No token, refresh token or password anywhere.
    text = server.log(tail=None)
    for secret in (alice.token, bob.token, alice.password, bob.password):
        assert secret not in text


def test_metrics_on_their_own_address(server):
    assert server.request("GET", "/metrics").status_code == 404  # not on the public listener
    before = requests.get(server.metrics_url, timeout=10)
    assert before.status_code == 200
    assert before.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    alice = server.register("metalice")
    bob = server.register("metbob")
    conversation = server.direct(alice, bob)
    for n in range(3):
        server.api("POST", f"/api/v1/conversations/{conversation['id']}/messages", alice.token, {"content": f"m{n}"})
    after = requests.get(server.metrics_url, timeout=10).text

    def value(text: str, series: str) -> float:
        for line in text.splitlines():
            if line.startswith(series + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    assert value(after, "chatone_messages_stored_total") - value(before.text, "chatone_messages_stored_total") == 3
    route = 'chatone_http_requests_total{route="/api/v1/conversations/{conversationId}/messages",method="POST",status="201"}'
    assert value(after, route) - value(before.text, route) == 3
    assert value(after, "process_open_fds") > 0
    assert conversation["id"] not in after and alice.user["username"] not in after
