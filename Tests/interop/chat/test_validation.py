"""Bad payloads: a VALIDATION_ERROR envelope in the ack, the socket stays connected, nothing is delivered."""

import pytest

from chat_e2e import send

BAD_SENDS = [
    None,
    "just a string",
    ["a", "list"],
    42,
    {},
    {"content": "no target"},
    {"conversationId": "__CID__"},
    {"conversationId": "__CID__", "content": ""},
    {"conversationId": "__CID__", "content": "   \n\t "},
    {"conversationId": "__CID__", "content": "x" * 4001},
    {"conversationId": "__CID__", "content": 17},
    {"conversationId": "__CID__", "content": None},
    {"conversationId": 12, "content": "wrong id type"},
    {"conversationId": "__CID__", "content": "ok", "clientMessageId": 5},
    {"conversationId": "__CID__", "content": "ok", "clientMessageId": ""},
    {"conversationId": "__CID__", "content": "ok", "clientMessageId": "c" * 65},
    {"conversationId": "__CID__", "toUserId": "__BOB__", "content": "both targets"},
]

BAD_OTHERS = [
    ("typing", None),
    ("typing", {}),
    ("typing", {"conversationId": "__CID__"}),
    ("typing", {"conversationId": "__CID__", "isTyping": "yes"}),
    ("typing", {"isTyping": True}),
    ("message:read", {"conversationId": "__CID__"}),
    ("message:read", {"conversationId": "__CID__", "seq": "1"}),
    ("message:read", {"conversationId": "__CID__", "seq": -1}),
    ("message:read", {"conversationId": "__CID__", "seq": 1.5}),
    ("message:read", "nope"),
    ("auth:renew", None),
    ("auth:renew", {"token": 7}),
]


def fill(payload, cid, bob_id):
    if isinstance(payload, dict):
        return {k: (cid if v == "__CID__" else bob_id if v == "__BOB__" else v) for k, v in payload.items()}
    return payload


@pytest.fixture
def chat(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)
    return alice, bob, conversation["id"], devices.device(alice), devices.device(bob)


@pytest.mark.parametrize("payload", BAD_SENDS, ids=range(len(BAD_SENDS)))
def test_bad_message_send_gets_validation_error_and_the_socket_stays(server, chat, payload):
    alice, bob, cid, a1, b1 = chat
    error = a1.error("message:send", fill(payload, cid, bob.id))
    assert error["code"] == "VALIDATION_ERROR"
    assert isinstance(error["message"], str) and error["message"]
    assert a1.connected
    b1.assert_no("message:new", within=0.3)
    # The same socket still works.
    message = send(a1, cid, "after a bad payload")
    assert b1.wait_for("message:new")["id"] == message["id"]


def test_validation_errors_name_the_field(chat):
    alice, bob, cid, a1, b1 = chat
    assert a1.error("message:send", {"conversationId": cid, "content": "x" * 4001})["details"] == {"field": "content"}
    assert a1.error("message:send", {"conversationId": cid, "content": 17})["details"] == {"field": "content"}
    assert a1.error("message:read", {"conversationId": cid, "seq": "1"})["details"] == {"field": "seq"}


def test_content_length_counts_code_points(chat):
    alice, bob, cid, a1, b1 = chat
    # 4000 code points, far more UTF-8 bytes and UTF-16 units: allowed.
    message = send(a1, cid, "é🙂" * 2000)
    assert len(message["content"]) == 4000
    assert a1.error("message:send", {"conversationId": cid, "content": "é🙂" * 2000 + "x"})["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("event,payload", BAD_OTHERS, ids=[f"{e}-{i}" for i, (e, _) in enumerate(BAD_OTHERS)])
def test_bad_payloads_of_other_events_get_validation_error(server, chat, event, payload):
    alice, bob, cid, a1, b1 = chat
    assert a1.error(event, fill(payload, cid, bob.id))["code"] == "VALIDATION_ERROR"
    assert a1.connected
    b1.assert_no("typing", within=0)
    b1.assert_no("message:read", within=0)


def test_failures_without_an_ack_are_not_fatal(chat):
    alice, bob, cid, a1, b1 = chat
    a1.client.emit("message:send", {"conversationId": cid})
    a1.client.emit("message:send", "garbage")
    a1.client.emit("typing", {"conversationId": "999999999", "isTyping": True})
    a1.client.emit("message:read", None)
    a1.client.emit("no:such:event", {"x": 1})
    # An event sent without an ack that succeeds is still carried out.
    a1.client.emit("message:send", {"conversationId": cid, "content": "no ack wanted"})
    assert b1.wait_for("message:new")["content"] == "no ack wanted"
    assert a1.connected
    message = send(a1, cid, "still fine")
    assert b1.wait_for("message:new", lambda m: m["id"] == message["id"])


def test_an_unknown_event_with_an_ack_is_answered_not_found_and_the_socket_stays(chat):
    alice, bob, cid, a1, b1 = chat
    error = a1.error("no:such:event", {"conversationId": cid})
    assert error["code"] == "NOT_FOUND"
    assert a1.connected
    message = send(a1, cid, "after an unknown event")
    assert b1.wait_for("message:new", lambda m: m["id"] == message["id"])
