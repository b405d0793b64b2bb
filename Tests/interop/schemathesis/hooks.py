"""Schemathesis hooks of the ChatOne run (loaded through the `hooks` setting of the generated schemathesis.toml).

`stored_as_sent`: a response schema only sees what the server answers at once. This check reads back what a
successful write stored, over the API, and compares it with the answer (and, for message content, with what was
sent): text that a database truncates or re-encodes (U+0000, 4-byte UTF-8, unusual whitespace) shows up here.
Edits, deletes and reactions must read back in the history exactly as they were answered.
For the Sessions API it reads back the caller's logins: exactly one is current, a revoked one is no longer listed,
logout-all and a password change leave only the current one, and a changed password logs in.
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
    elif label in ("PATCH /api/v1/conversations/{conversationId}/messages/{seq}",
                   "DELETE /api/v1/conversations/{conversationId}/messages/{seq}",
                   "PUT /api/v1/conversations/{conversationId}/messages/{seq}/reactions/{emoji}",
                   "DELETE /api/v1/conversations/{conversationId}/messages/{seq}/reactions/{emoji}"):
        # An edit, delete or reaction answers the message as stored: history shows exactly it.
        seq, conversation = data["seq"], data["conversationId"]
        stored = _get(response, f"/api/v1/conversations/{conversation}/messages?after={seq - 1}&limit=1")
        if not stored or stored[0].get("seq") != seq:
            raise AssertionError(f"message seq {seq} is not in the history after it was changed")
        _same("changed message", stored[0], data)
        if label.startswith("PATCH") and data.get("content") is not None:
            _same("edited content", stored[0].get("content"), data.get("content"), body.get("content"))
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
    elif label == "GET /api/v1/auth/sessions":
        if sum(1 for s in data if s.get("current")) != 1:
            raise AssertionError(f"exactly one session must be current: {data!r}")
    elif label == "DELETE /api/v1/auth/sessions/{sessionId}":
        revoked = case.path_parameters.get("sessionId")
        if any(s.get("id") == revoked for s in _get(response, "/api/v1/auth/sessions")):
            raise AssertionError(f"session {revoked} is still listed after it was revoked")
    elif label == "POST /api/v1/auth/logout-all":
        left = _get(response, "/api/v1/auth/sessions")
        if [s.get("current") for s in left] != [True]:
            raise AssertionError(f"after logout-all, the caller's only session must be the current one: {left!r}")
    elif label == "POST /api/v1/auth/password":
        # Every other login is gone, the calling one still works (the GET), and the new password logs in.
        others = [s for s in _get(response, "/api/v1/auth/sessions") if not s.get("current")]
        if others:
            raise AssertionError(f"after the password change, other logins are still listed: {others!r}")
        me = _get(response, "/api/v1/auth/me")
        base = response.request.url.split("/api/v1/")[0]
        login = requests.post(base + "/api/v1/auth/login", json={"username": me["username"], "password": body.get("newPassword")},
                              timeout=TIMEOUT)
        if login.status_code != 200:
            raise AssertionError(f"the new password does not log in: {login.status_code} {login.text[:300]}")
    return None
