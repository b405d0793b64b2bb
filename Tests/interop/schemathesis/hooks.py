"""Schemathesis hooks of the ChatOne run (loaded through the `hooks` setting of the generated schemathesis.toml).

`stored_as_sent`: a response schema only sees what the server answers at once. This check reads back what a
successful write stored, over the API, and compares it with the answer (and, for message content, with what was
sent): text that a database truncates or re-encodes (U+0000, 4-byte UTF-8, unusual whitespace) shows up here.
"""

from __future__ import annotations

import requests
import schemathesis

TIMEOUT = 30


def _get(response, path: str, token: str | None = None) -> dict:
    request = response.request
    base = request.url.split("/api/v1/")[0]
    headers = {}
    auth = token and f"Bearer {token}" or request.headers.get("Authorization")
    if auth:
        headers["Authorization"] = auth
    answer = requests.get(base + path, headers=headers, timeout=TIMEOUT)
    if answer.status_code != 200:
        raise AssertionError(f"reading back GET {path} answered {answer.status_code}: {answer.text[:300]}")
    return answer.json()["data"]


def _same(what: str, stored, answered, sent=None) -> None:
    if stored != answered:
        raise AssertionError(f"{what}: the write answered {answered!r} but reading it back gives {stored!r}")
    if sent is not None and stored != sent:
        raise AssertionError(f"{what}: sent {sent!r} but reading it back gives {stored!r}")


@schemathesis.check
def stored_as_sent(ctx, response, case):
    if not 200 <= response.status_code < 300:
        return None
    label = case.operation.label
    try:
        data = response.json()["data"]
    except Exception:
        return None  # the response-schema checks report a body that is not an envelope
    body = case.body if isinstance(case.body, dict) else {}
    if label == "POST /api/v1/conversations/{conversationId}/messages":
        seq, conversation = data["seq"], data["conversationId"]
        stored = _get(response, f"/api/v1/conversations/{conversation}/messages?after={seq - 1}&limit=1")
        if not stored or stored[0].get("seq") != seq:
            raise AssertionError(f"message seq {seq} is not in the history after it was acknowledged")
        # 201 stored what was sent; 200 is an idempotent resend, answered with the message stored the first time.
        new = response.status_code == 201
        sent_content = body.get("content") if new else None
        sent_id = body.get("clientMessageId")  # the same in both cases: it is what a resend is matched by
        _same("message content", stored[0].get("content"), data.get("content"), sent_content)
        _same("message clientMessageId", stored[0].get("clientMessageId"), data.get("clientMessageId"),
              sent_id if isinstance(sent_id, str) else None)
    elif label == "POST /api/v1/auth/register":
        user = data["user"]
        stored = _get(response, f"/api/v1/users/{user['id']}", token=data["accessToken"])
        _same("username", stored.get("username"), user.get("username"), body.get("username"))
        _same("displayName", stored.get("displayName"), user.get("displayName"))
    elif label in ("POST /api/v1/conversations", "PATCH /api/v1/conversations/{conversationId}",
                   "POST /api/v1/conversations/{conversationId}/members"):
        stored = _get(response, f"/api/v1/conversations/{data['id']}")
        _same("conversation title", stored.get("title"), data.get("title"))
        _same("conversation members", sorted(m.get("id") for m in stored.get("members", [])),
              sorted(m.get("id") for m in data.get("members", [])))
    return None
