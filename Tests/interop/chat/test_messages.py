"""message:send and message:new: who receives what, acks, idempotency, direct conversations by user id."""

import uuid

from chat_e2e import send

MESSAGE_KEYS = {
    "id", "conversationId", "seq", "senderId", "content", "clientMessageId", "replyToSeq", "reactions", "createdAt", "editedAt",
    "deletedAt",
}


def test_delivery_to_every_device_of_every_member_but_not_the_sending_socket(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)
    a1, a2 = devices.device(alice), devices.device(alice)
    b1, b2 = devices.device(bob), devices.device(bob, transports=["polling"])

    message = send(a1, conversation["id"], "hello bob", "first-1")

    assert set(message) == MESSAGE_KEYS
    assert message["conversationId"] == conversation["id"]
    assert message["senderId"] == alice.id
    assert message["content"] == "hello bob"
    assert message["clientMessageId"] == "first-1"
    assert message["seq"] == 1
    for device in (a2, b1, b2):
        assert device.wait_for("message:new", lambda m: m["id"] == message["id"]) == message
    a1.assert_no("message:new", within=1.0)
    # The sender's other device got it exactly once, like everyone else.
    for device in (a2, b1, b2):
        assert [m["id"] for m in device.events("message:new")] == [message["id"]]


def test_ack_is_sent_after_the_message_is_stored_and_carries_its_seq(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)
    a1 = devices.device(alice)

    acks = [send(a1, conversation["id"], f"message {n}") for n in range(1, 4)]

    assert [m["seq"] for m in acks] == [1, 2, 3]
    # Acked means durable: the history already has every acked message, equal to the ack.
    history = server.history(bob, conversation["id"])
    assert history == acks


def test_duplicate_client_message_id_acks_the_same_message_and_delivers_once(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)
    a1, a2, b1 = devices.device(alice), devices.device(alice), devices.device(bob)
    client_id = "retry-" + uuid.uuid4().hex

    first = send(a1, conversation["id"], "only once", client_id)
    b1.wait_for("message:new", lambda m: m["id"] == first["id"])
    again = send(a1, conversation["id"], "only once", client_id)
    # A retry from another device of the same sender is the same send too.
    third = send(a2, conversation["id"], "only once", client_id)

    assert again == first
    assert third == first
    b1.assert_no("message:new", lambda m: m["id"] != first["id"], within=1.0)
    assert len(b1.events("message:new")) == 1
    assert len(server.history(bob, conversation["id"])) == 1


def test_first_message_by_user_id_creates_the_conversation_and_notifies_the_other_user(server, devices):
    alice, carol = server.register("alice"), server.register("carol")
    a1, a2, c1 = devices.device(alice), devices.device(alice), devices.device(carol)

    message = a1.ok("message:send", {"toUserId": carol.id, "content": "hi carol", "clientMessageId": "dm-1"})

    conversation = c1.wait_for("conversation:new")
    assert conversation["id"] == message["conversationId"]
    assert conversation["type"] == "direct"
    assert sorted(m["id"] for m in conversation["members"]) == sorted([alice.id, carol.id])
    delivered = c1.wait_for("message:new", lambda m: m["id"] == message["id"])
    assert delivered == message
    assert message["seq"] == 1
    # The conversation is announced before its first message arrives.
    names = [event for event, _ in c1._events if event in ("conversation:new", "message:new")]
    assert names[:2] == ["conversation:new", "message:new"]
    a2.wait_for("message:new", lambda m: m["id"] == message["id"])
    a1.assert_no("conversation:new", within=0.2)  # the creator created it

    # The second message by user id lands in the same conversation and announces nothing new.
    second = a1.ok("message:send", {"toUserId": carol.id, "content": "again"})
    assert second["conversationId"] == message["conversationId"]
    assert second["seq"] == 2
    c1.wait_for("message:new", lambda m: m["id"] == second["id"])
    assert len(c1.events("conversation:new")) == 1
    # Carol replying by user id uses it too.
    reply = c1.ok("message:send", {"toUserId": alice.id, "content": "hello alice"})
    assert reply["conversationId"] == message["conversationId"]
    assert len(server.api("GET", "/api/v1/conversations", carol.token)) == 1


def test_message_by_user_id_to_unknown_user_or_self_is_refused(server, devices):
    alice = server.register("alice")
    a1 = devices.device(alice)
    assert a1.error("message:send", {"toUserId": "987654321987", "content": "anyone?"})["code"] == "NOT_FOUND"
    assert a1.error("message:send", {"toUserId": "not-an-id", "content": "anyone?"})["code"] == "NOT_FOUND"
    assert a1.error("message:send", {"toUserId": alice.id, "content": "me"})["code"] == "VALIDATION_ERROR"
    assert a1.connected


def test_non_member_gets_not_found_and_nobody_receives_anything(server, devices):
    alice, bob, mallory = server.register("alice"), server.register("bob"), server.register("mallory")
    conversation = server.direct(alice, bob)
    a1, b1, m1 = devices.device(alice), devices.device(bob), devices.device(mallory)

    error = m1.error("message:send", {"conversationId": conversation["id"], "content": "let me in"})
    assert error["code"] == "NOT_FOUND"
    assert m1.error("message:send", {"conversationId": conversation["id"], "content": "x", "clientMessageId": "m"})["code"] == "NOT_FOUND"
    assert m1.error("typing", {"conversationId": conversation["id"], "isTyping": True})["code"] == "NOT_FOUND"
    assert m1.error("message:read", {"conversationId": conversation["id"], "seq": 1})["code"] == "NOT_FOUND"
    # A conversation that does not exist at all looks exactly the same.
    missing = m1.error("message:send", {"conversationId": "123456789123", "content": "hello?"})
    assert missing["code"] == "NOT_FOUND"
    assert missing["message"] == error["message"]

    for device in (a1, b1):
        device.assert_no("message:new", within=0.5)
        device.assert_no("typing", within=0)
        device.assert_no("message:read", within=0)
    assert server.history(alice, conversation["id"]) == []
    assert m1.connected


def test_rest_send_is_delivered_in_real_time_to_every_socket(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)
    a1, b1, b2 = devices.device(alice), devices.device(bob), devices.device(bob, transports=["polling"])

    message = server.api("POST", f"/api/v1/conversations/{conversation['id']}/messages", alice.token,
                         {"content": "over REST", "clientMessageId": "rest-1"}, expect=201)

    # REST has no sending socket: every socket of both members hears it, the author's too.
    for device in (a1, b1, b2):
        assert device.wait_for("message:new", lambda m: m["id"] == message["id"]) == message
    # A REST retry stores nothing new and delivers nothing again.
    again = server.api("POST", f"/api/v1/conversations/{conversation['id']}/messages", alice.token,
                       {"content": "over REST", "clientMessageId": "rest-1"}, expect=200)
    assert again == message
    b1.assert_no("message:new", lambda m: m["id"] != message["id"], within=1.0)
    assert len(b1.events("message:new")) == 1

    # Socket and REST sends share one seq order.
    socket_message = send(b1, conversation["id"], "over the socket")
    assert socket_message["seq"] == message["seq"] + 1
    a1.wait_for("message:new", lambda m: m["id"] == socket_message["id"])


def test_polling_only_client_sends_and_receives(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)
    a1 = devices.device(alice, transports=["polling"])
    b1 = devices.device(bob, transports=["polling", "websocket"])  # the default: polling, then upgrade

    first = send(a1, conversation["id"], "from polling")
    assert b1.wait_for("message:new", lambda m: m["id"] == first["id"]) == first
    second = send(b1, conversation["id"], "from upgraded")
    assert a1.wait_for("message:new", lambda m: m["id"] == second["id"]) == second
    assert second["seq"] == 2


def test_opening_a_direct_conversation_over_rest_announces_it_to_the_other_user(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    a1, a2, b1, b2 = devices.device(alice), devices.device(alice), devices.device(bob), devices.device(bob)

    conversation = server.api("POST", "/api/v1/conversations", alice.token, {"type": "direct", "userId": bob.id}, expect=201)
    for device in (b1, b2):
        announced = device.wait_for("conversation:new")
        assert announced["id"] == conversation["id"]
        assert sorted(m["id"] for m in announced["members"]) == sorted([alice.id, bob.id])
    # Opening it again, from either side, announces nothing: it already exists.
    server.api("POST", "/api/v1/conversations", bob.token, {"type": "direct", "userId": alice.id}, expect=200)
    for device in (a1, a2):
        device.assert_no("conversation:new", within=0.5)
    assert len(b1.events("conversation:new")) == 1
