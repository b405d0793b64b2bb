"""typing and message:read: relayed to the other members only; read markers only move forward."""

from chat_e2e import send


def test_typing_is_relayed_to_the_other_members_only(server, devices):
    alice, bob, carol = server.register("alice"), server.register("bob"), server.register("carol")
    conversation = server.direct(alice, bob)
    server.direct(alice, carol)
    a1, a2 = devices.device(alice), devices.device(alice)
    b1, b2 = devices.device(bob), devices.device(bob, transports=["polling"])
    c1 = devices.device(carol)

    assert a1.ok("typing", {"conversationId": conversation["id"], "isTyping": True}) == {}
    expected = {"conversationId": conversation["id"], "userId": alice.id, "isTyping": True}
    for device in (b1, b2):
        assert device.wait_for("typing") == expected
    assert a1.ok("typing", {"conversationId": conversation["id"], "isTyping": False}) == {}
    for device in (b1, b2):
        device.wait_for("typing", lambda t: t["isTyping"] is False)

    # Not to the typist's own devices, and not to someone outside the conversation.
    a1.assert_no("typing", within=0.5)
    a2.assert_no("typing", within=0)
    c1.assert_no("typing", within=0)
    assert [t["isTyping"] for t in b1.events("typing")] == [True, False]


def test_read_receipts_ack_notify_and_only_move_forward(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)
    cid = conversation["id"]
    a1, a2, b1 = devices.device(alice), devices.device(alice), devices.device(bob)
    for n in range(3):
        send(a1, cid, f"message {n}")

    assert b1.ok("message:read", {"conversationId": cid, "seq": 2}) == {"conversationId": cid, "lastReadSeq": 2}
    for device in (a1, a2):
        assert device.wait_for("message:read") == {"conversationId": cid, "userId": bob.id, "lastReadSeq": 2}

    # Backwards is ignored: the marker stays where it was.
    assert b1.ok("message:read", {"conversationId": cid, "seq": 1}) == {"conversationId": cid, "lastReadSeq": 2}
    # Past the newest message is clamped to it.
    assert b1.ok("message:read", {"conversationId": cid, "seq": 99}) == {"conversationId": cid, "lastReadSeq": 3}
    a1.wait_for("message:read", lambda r: r["lastReadSeq"] == 3)
    assert all(r["lastReadSeq"] in (2, 3) for r in a1.events("message:read"))

    seen_by_bob = server.api("GET", f"/api/v1/conversations/{cid}", bob.token)
    assert seen_by_bob["unreadCount"] == 0
    assert {m["id"]: m["lastReadSeq"] for m in seen_by_bob["members"]}[bob.id] == 3
    # The reader's own sockets are not told about their own receipt.
    b1.assert_no("message:read", within=0.3)


def test_read_over_rest_notifies_the_other_members_too(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    cid = server.direct(alice, bob)["id"]
    a1 = devices.device(alice)
    send(a1, cid, "read me")

    data = server.api("POST", f"/api/v1/conversations/{cid}/read", bob.token, {"seq": 1})
    assert data == {"conversationId": cid, "lastReadSeq": 1}
    assert a1.wait_for("message:read") == {"conversationId": cid, "userId": bob.id, "lastReadSeq": 1}
