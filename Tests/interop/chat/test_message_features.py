"""Edit, delete, replies, reactions, blocking and search (API.md) with real python-socketio clients, on the database
the run names (CHATONE_E2E_DATABASE): every rule of issue 15 over REST and in real time."""

import threading
import urllib.parse

from chat_e2e import WAIT, send


def path(cid, seq, tail=""):
    return f"/api/v1/conversations/{cid}/messages/{seq}{tail}"


def reaction_path(cid, seq, emoji):
    return path(cid, seq, "/reactions/" + urllib.parse.quote(emoji, safe=""))


def search(server, account, q, **query):
    params = urllib.parse.urlencode({"q": q, **query})
    return server.request("GET", f"/api/v1/search/messages?{params}", account.token)


def found(server, account, q, **query):
    response = search(server, account, q, **query)
    assert response.status_code == 200, response.text
    return [m["content"] for m in response.json()["data"]]


# --------------------------------------------------------------------------------------------- edit and delete


def test_edit_and_delete_reach_every_socket_of_every_member_in_order(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    cid = server.direct(alice, bob)["id"]
    a1, a2, b1 = devices.device(alice), devices.device(alice, transports=["polling"]), devices.device(bob)

    sent = send(a1, cid, "helo wrold")
    edited = a1.ok("message:edit", {"conversationId": cid, "seq": sent["seq"], "content": "hello world"})
    assert edited["content"] == "hello world" and edited["editedAt"] is not None and edited["seq"] == sent["seq"]
    assert edited["id"] == sent["id"] and edited["createdAt"] == sent["createdAt"]
    tomb = a2.ok("message:delete", {"conversationId": cid, "seq": sent["seq"]})
    assert tomb["content"] is None and tomb["deletedAt"] is not None and tomb["seq"] == sent["seq"]

    for device in (a1, a2, b1):  # the editing and the deleting socket included
        assert device.wait_for("message:updated") == edited
        assert device.wait_for("message:deleted") == tomb
        names = [e for e in (ev for ev, _ in device._events) if e.startswith("message:")]
        expected = ["message:updated", "message:deleted"] if device is a1 else ["message:new", "message:updated", "message:deleted"]
        assert names == expected, names

    # Idempotent: deleting again answers the same tombstone and tells nobody anything new.
    assert a1.ok("message:delete", {"conversationId": cid, "seq": sent["seq"]}) == tomb
    assert server.api("DELETE", path(cid, sent["seq"]), alice.token) == tomb
    b1.assert_no("message:deleted", lambda m: m != tomb, within=0.5)
    assert len(b1.events("message:deleted")) == 1

    # History keeps the tombstone at its seq; lastMessage shows it; lastSeq and unread counts did not move.
    assert server.history(bob, cid) == [tomb]
    conversation = server.api("GET", f"/api/v1/conversations/{cid}", bob.token)
    assert conversation["lastMessage"] == tomb and conversation["lastSeq"] == 1 and conversation["unreadCount"] == 1


def test_editing_to_the_same_content_changes_nothing(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    cid = server.direct(alice, bob)["id"]
    b1 = devices.device(bob)
    sent = server.api("POST", f"/api/v1/conversations/{cid}/messages", alice.token, {"content": "same"})
    again = server.api("PATCH", path(cid, sent["seq"]), alice.token, {"content": "same"})
    assert again == sent and again["editedAt"] is None
    b1.assert_no("message:updated", within=0.5)


def test_edit_and_delete_refusals(server, devices):
    alice, bob, carol, stranger = (server.register(n) for n in ("alice", "bob", "carol", "stranger"))
    group = server.api("POST", "/api/v1/conversations", alice.token,
                       {"type": "group", "title": "g", "memberIds": [bob.id, carol.id]})["id"]
    msg = server.api("POST", f"/api/v1/conversations/{group}/messages", bob.token, {"content": "bob's"})
    b1, c1, s1 = devices.device(bob), devices.device(carol), devices.device(stranger)

    err = c1.error("message:edit", {"conversationId": group, "seq": msg["seq"], "content": "carol's now"})
    assert err["code"] == "FORBIDDEN"
    assert c1.error("message:delete", {"conversationId": group, "seq": msg["seq"]})["code"] == "FORBIDDEN"
    response = server.request("PATCH", path(group, msg["seq"]), alice.token, json={"content": "admin edit"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    # A stranger learns nothing: the conversation does not exist for them, for every seq.
    for seq in (msg["seq"], 999):
        assert s1.error("message:edit", {"conversationId": group, "seq": seq, "content": "x"})["code"] == "NOT_FOUND"
        assert server.request("DELETE", path(group, seq), stranger.token).status_code == 404
    assert b1.error("message:edit", {"conversationId": group, "seq": 999, "content": "x"})["code"] == "NOT_FOUND"
    for bad in ({"conversationId": group, "seq": 0, "content": "x"}, {"conversationId": group, "seq": "1", "content": "x"},
                {"conversationId": group, "seq": msg["seq"], "content": "   "}, {"conversationId": group, "seq": msg["seq"]},
                {"conversationId": group, "seq": msg["seq"], "content": "x" * 4001}):
        assert b1.error("message:edit", bad)["code"] == "VALIDATION_ERROR", bad
    # A group admin deletes anyone's message; then editing it is a conflict.
    tomb = server.api("DELETE", path(group, msg["seq"]), alice.token)
    assert tomb["content"] is None
    assert b1.error("message:edit", {"conversationId": group, "seq": msg["seq"], "content": "x"})["code"] == "CONFLICT"
    for device in (b1, c1):
        assert device.wait_for("message:deleted") == tomb
    s1.assert_no("message:deleted", within=0.3)


def test_an_edit_and_a_delete_at_once_leave_a_tombstone(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    cid = server.direct(alice, bob)["id"]
    a1, a2, b1 = devices.device(alice), devices.device(alice), devices.device(bob)
    for round_ in range(8):
        msg = send(a1, cid, f"race {round_}")
        results = {}
        barrier = threading.Barrier(2)

        def edit():
            barrier.wait()
            results["edit"] = a1.call("message:edit", {"conversationId": cid, "seq": msg["seq"], "content": f"edited {round_}"})

        def delete():
            barrier.wait()
            results["delete"] = a2.call("message:delete", {"conversationId": cid, "seq": msg["seq"]})

        threads = [threading.Thread(target=edit), threading.Thread(target=delete)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results["delete"]["success"] is True
        # Either the edit came first (and succeeded) or it found the tombstone (409); the end is a tombstone.
        assert results["edit"]["success"] is True or results["edit"]["error"]["code"] == "CONFLICT"
        stored = server.history(alice, cid, after=msg["seq"] - 1, limit=1)[0]
        assert stored["content"] is None and stored["deletedAt"] is not None
        deleted = b1.wait_for("message:deleted", lambda m: m["seq"] == msg["seq"])
        # Bob saw the edit (if any) before the delete, never after it.
        seq_events = [ev for ev, args in b1._events if ev in ("message:updated", "message:deleted") and args[0]["seq"] == msg["seq"]]
        assert seq_events[-1] == "message:deleted" and seq_events.count("message:deleted") == 1
        assert deleted == stored
    assert found(server, alice, "edited") == [] and found(server, alice, "race") == []


# --------------------------------------------------------------------------------------------- replies


def test_replies_over_rest_and_socket(server, devices):
    alice, bob, carol = server.register("alice"), server.register("bob"), server.register("carol")
    cid = server.direct(alice, bob)["id"]
    other = server.direct(alice, carol)["id"]
    a1, b1 = devices.device(alice), devices.device(bob)
    question = send(a1, cid, "lunch?")
    reply = b1.ok("message:send", {"conversationId": cid, "content": "yes", "replyToSeq": question["seq"]})
    assert reply["replyToSeq"] == question["seq"]
    assert a1.wait_for("message:new", lambda m: m["seq"] == reply["seq"])["replyToSeq"] == question["seq"]
    rest = server.api("POST", f"/api/v1/conversations/{cid}/messages", alice.token, {"content": "great", "replyToSeq": reply["seq"]})
    assert rest["replyToSeq"] == reply["seq"]
    send(a1, other, "elsewhere")
    for bad in (99, 0, -1, "1", 1.5):
        err = b1.error("message:send", {"conversationId": cid, "content": "x", "replyToSeq": bad})
        assert err["code"] == "VALIDATION_ERROR" and err["details"]["field"] == "replyToSeq", (bad, err)
        response = server.request("POST", f"/api/v1/conversations/{cid}/messages", bob.token, json={"content": "x", "replyToSeq": bad})
        assert response.status_code == 400 and response.json()["error"]["details"]["field"] == "replyToSeq"
    # Nothing was stored by the refusals.
    assert [m["seq"] for m in server.history(alice, cid)] == [1, 2, 3]
    assert server.history(alice, cid)[1]["replyToSeq"] == 1


# --------------------------------------------------------------------------------------------- reactions


def test_reactions_whole_list_to_every_socket_idempotent_and_limited(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    cid = server.direct(alice, bob)["id"]
    a1, a2, b1 = devices.device(alice), devices.device(alice), devices.device(bob)
    msg = send(a1, cid, "react to me")

    first = server.api("PUT", reaction_path(cid, msg["seq"], "👍🏽"), bob.token)
    assert first["reactions"] == [{"emoji": "👍🏽", "userIds": [bob.id]}]
    second = server.api("PUT", reaction_path(cid, msg["seq"], "🎉"), alice.token)
    third = server.api("PUT", reaction_path(cid, msg["seq"], "👍🏽"), alice.token)
    assert third["reactions"] == [{"emoji": "👍🏽", "userIds": [bob.id, alice.id]}, {"emoji": "🎉", "userIds": [alice.id]}]
    assert server.api("PUT", reaction_path(cid, msg["seq"], "👍🏽"), alice.token) == third  # idempotent
    for device in (a1, a2, b1):  # every socket, the reacting user's included
        events = device.wait_count("message:reactions", 3)
        assert [e["reactions"] for e in events] == [first["reactions"], second["reactions"], third["reactions"]]
        assert all(e["conversationId"] == cid and e["seq"] == msg["seq"] and set(e) == {"conversationId", "seq", "reactions"} for e in events)
    b1.assert_no("message:reactions", lambda e: len(b1.events("message:reactions")) > 3, within=0.3)

    removed = server.api("DELETE", reaction_path(cid, msg["seq"], "👍🏽"), bob.token)
    assert removed["reactions"][0] == {"emoji": "👍🏽", "userIds": [alice.id]}
    assert server.api("DELETE", reaction_path(cid, msg["seq"], "👍🏽"), bob.token) == removed
    assert b1.wait_count("message:reactions", 4)[-1]["reactions"] == removed["reactions"]

    for bad in (" ", "a b", "\u0007", "123456789", ""):
        response = server.request("PUT", reaction_path(cid, msg["seq"], bad) if bad else path(cid, msg["seq"], "/reactions/"), bob.token)
        assert response.status_code in ((400,) if bad else (404,)), (bad, response.text)
    for i in range(18):
        server.api("PUT", reaction_path(cid, msg["seq"], f"e{i}"), bob.token)
    too_many = server.request("PUT", reaction_path(cid, msg["seq"], "🍕"), bob.token)
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "VALIDATION_ERROR"
    assert len(server.history(bob, cid)[0]["reactions"]) == 20
    assert server.request("PUT", reaction_path(cid, 99, "👍"), bob.token).status_code == 404


def test_reactions_racing_a_delete_are_refused_or_removed(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    cid = server.direct(alice, bob)["id"]
    b1 = devices.device(bob)
    for round_ in range(6):
        msg = server.api("POST", f"/api/v1/conversations/{cid}/messages", alice.token, {"content": f"r{round_}"})
        barrier = threading.Barrier(4)
        codes = []

        def react(emoji):
            barrier.wait()
            codes.append(server.request("PUT", reaction_path(cid, msg["seq"], emoji), bob.token).status_code)

        def delete():
            barrier.wait()
            codes.append(server.request("DELETE", path(cid, msg["seq"]), alice.token).status_code)

        threads = [threading.Thread(target=react, args=(e,)) for e in ("👍", "❤️", "😂")] + [threading.Thread(target=delete)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(set(codes)) in ([200], [200, 409]), codes
        stored = server.history(bob, cid, after=msg["seq"] - 1, limit=1)[0]
        assert stored["content"] is None and stored["reactions"] == []
        # Any reaction event bob got for it came before the tombstone.
        b1.wait_for("message:deleted", lambda m: m["seq"] == msg["seq"])
        tail = [ev for ev, args in b1._events if ev in ("message:reactions", "message:deleted") and args[0]["seq"] == msg["seq"]]
        assert tail[-1] == "message:deleted"
        assert server.request("PUT", reaction_path(cid, msg["seq"], "👍"), bob.token).status_code == 409


def test_a_resend_with_the_same_client_message_id_returns_the_original_with_its_edits(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    cid = server.direct(alice, bob)["id"]
    a1 = devices.device(alice)
    first = send(a1, cid, "draft", client_message_id="cm-1")
    edited = a1.ok("message:edit", {"conversationId": cid, "seq": first["seq"], "content": "final"})
    server.api("PUT", reaction_path(cid, first["seq"], "👍"), bob.token)
    again = send(a1, cid, "draft", client_message_id="cm-1")
    assert again["content"] == "final" and again["editedAt"] == edited["editedAt"] and again["seq"] == first["seq"]
    assert again["reactions"] == [{"emoji": "👍", "userIds": [bob.id]}]
    rest = server.request("POST", f"/api/v1/conversations/{cid}/messages", alice.token, json={"content": "draft", "clientMessageId": "cm-1"})
    assert rest.status_code == 200 and rest.json()["data"] == again


# --------------------------------------------------------------------------------------------- blocking


def test_blocked_user_is_refused_with_reason_and_blocks_are_private(server, devices):
    alice, bob, carol = server.register("alice"), server.register("bob"), server.register("carol")
    cid = server.direct(alice, bob)["id"]
    group = server.api("POST", "/api/v1/conversations", bob.token, {"type": "group", "title": "g", "memberIds": [carol.id]})["id"]
    assert server.api("PUT", f"/api/v1/blocks/{bob.id}", alice.token) == {}
    assert server.api("PUT", f"/api/v1/blocks/{bob.id}", alice.token) == {}  # idempotent
    assert [u["id"] for u in server.api("GET", "/api/v1/blocks", alice.token)] == [bob.id]
    assert server.api("GET", "/api/v1/blocks", bob.token) == []  # bob is never told
    assert server.request("PUT", f"/api/v1/blocks/{alice.id}", alice.token).status_code == 400

    b1 = devices.device(bob)
    refusals = [
        server.request("POST", "/api/v1/conversations", bob.token, json={"type": "direct", "userId": alice.id}),
        server.request("POST", f"/api/v1/conversations/{cid}/messages", bob.token, json={"content": "hi?"}),
        server.request("POST", f"/api/v1/conversations/{group}/members", bob.token, json={"userIds": [alice.id]}),
        server.request("POST", "/api/v1/conversations", bob.token, json={"type": "group", "title": "x", "memberIds": [alice.id, carol.id]}),
    ]
    for response in refusals:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "FORBIDDEN" and response.json()["error"]["details"] == {"reason": "blocked"}
    for payload in ({"conversationId": cid, "content": "hi?"}, {"toUserId": alice.id, "content": "hi?"}):
        err = b1.error("message:send", payload)
        assert err["code"] == "FORBIDDEN" and err["details"] == {"reason": "blocked"}
    assert server.history(alice, cid) == []
    # The blocker can still write, and the group they share is otherwise unchanged.
    server.api("POST", f"/api/v1/conversations/{cid}/messages", alice.token, {"content": "goodbye"})
    server.api("POST", f"/api/v1/conversations/{group}/members", bob.token, {"userIds": [carol.id]})

    assert server.api("DELETE", f"/api/v1/blocks/{bob.id}", alice.token) == {}
    assert server.api("DELETE", f"/api/v1/blocks/{bob.id}", alice.token) == {}
    assert server.api("GET", "/api/v1/blocks", alice.token) == []
    send(b1, cid, "thanks for unblocking")


def test_blocked_users_do_not_see_each_others_presence(server, devices):
    alice, bob, carol = server.register("alice"), server.register("bob"), server.register("carol")
    server.direct(alice, bob)
    server.direct(alice, carol)
    server.direct(bob, carol)
    server.api("PUT", f"/api/v1/blocks/{bob.id}", alice.token)
    a1, c1 = devices.device(alice), devices.device(carol)
    b1 = devices.device(bob)
    # Carol hears both; alice and bob hear nothing of each other, either way.
    c1.wait_for("presence:update", lambda p: p["userId"] == bob.id and p["online"])
    a1.assert_no("presence:update", lambda p: p["userId"] == bob.id, within=0.8)
    b1.assert_no("presence:update", lambda p: p["userId"] == alice.id, within=0.1)
    for viewer, other in ((alice, bob), (bob, alice)):
        user = server.api("GET", f"/api/v1/users/{other.id}", viewer.token)
        assert user["online"] is False and user["lastSeenAt"] is None
        listed = [u for u in server.api("GET", f"/api/v1/users?q={other.username}", viewer.token) if u["id"] == other.id]
        assert listed and listed[0]["online"] is False and listed[0]["lastSeenAt"] is None
        for conversation in server.api("GET", "/api/v1/conversations", viewer.token):
            for member in conversation["members"]:
                if member["id"] == other.id:
                    assert member["online"] is False and member["lastSeenAt"] is None
    assert server.api("GET", f"/api/v1/users/{bob.id}", carol.token)["online"] is True
    # A group they are both added to: each one's conversation:new shows the other offline, carol as she is.
    group = server.api("POST", "/api/v1/conversations", carol.token,
                       {"type": "group", "title": "all three", "memberIds": [alice.id, bob.id]})
    for device, viewer, other in ((a1, alice, bob), (b1, bob, alice)):
        announced = device.wait_for("conversation:new", lambda c: c["id"] == group["id"])
        members = {m["id"]: m for m in announced["members"]}
        assert members[other.id]["online"] is False and members[other.id]["lastSeenAt"] is None, viewer.username
        assert members[carol.id]["online"] is True
    assert {m["id"]: m["online"] for m in group["members"]} == {alice.id: True, bob.id: True, carol.id: True}
    b1.close()
    c1.wait_for("presence:update", lambda p: p["userId"] == bob.id and not p["online"], timeout=WAIT * 2)
    a1.assert_no("presence:update", lambda p: p["userId"] == bob.id, within=0.3)


# --------------------------------------------------------------------------------------------- search


def test_search_finds_edited_text_not_deleted_or_foreign_any_language_with_prefix(server, devices):
    alice, bob, carol = server.register("alice"), server.register("bob"), server.register("carol")
    cid = server.direct(alice, bob)["id"]
    foreign = server.direct(bob, carol)["id"]
    post = lambda who, conv, text: server.api("POST", f"/api/v1/conversations/{conv}/messages", who.token, {"content": text})
    post(alice, cid, "meet at the observatory tonight")
    typo = post(bob, cid, "the obsrvatory opens at nine")
    post(bob, cid, "Встреча в обсерватории завтра")
    post(alice, cid, "天文台 で 会いましょう")
    post(alice, cid, "Ça marche, à bientôt")
    secret = post(bob, foreign, "observatory secret with carol")

    assert found(server, alice, "observatory") == ["meet at the observatory tonight"]
    assert found(server, alice, "OBSERV") == ["meet at the observatory tonight"]
    assert found(server, alice, "обсерватории") == ["Встреча в обсерватории завтра"]
    assert found(server, alice, "встре") == ["Встреча в обсерватории завтра"]
    assert found(server, alice, "天文台") == ["天文台 で 会いましょう"]
    assert found(server, alice, "bientôt") == ["Ça marche, à bientôt"]
    assert found(server, alice, "tonight meet") == ["meet at the observatory tonight"]
    assert found(server, bob, "secret") == ["observatory secret with carol"]
    assert found(server, alice, "secret") == []  # not alice's conversation
    response = search(server, alice, "secret", conversationId=foreign)
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"

    server.api("PATCH", path(cid, typo["seq"]), bob.token, {"content": "the observatory opens at nine"})
    assert found(server, alice, "obsrvatory") == []
    assert found(server, alice, "observatory") == ["the observatory opens at nine", "meet at the observatory tonight"]
    server.api("DELETE", path(foreign, secret["seq"]), bob.token)
    assert found(server, bob, "secret") == []

    for bad in ({"q": ""}, {"q": "x" * 201}, {}, {"q": "x", "limit": 0}, {"q": "x", "limit": 101}, {"q": "x", "cursor": "abc"}):
        response = server.request("GET", "/api/v1/search/messages?" + urllib.parse.urlencode(bad), alice.token)
        assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR", (bad, response.text)
    assert server.request("GET", "/api/v1/search/messages?q=x").status_code == 401


def test_search_pages_newest_first_and_a_removed_member_finds_nothing_of_the_group(server):
    alice, bob, carol = server.register("alice"), server.register("bob"), server.register("carol")
    group = server.api("POST", "/api/v1/conversations", alice.token, {"type": "group", "title": "g", "memberIds": [bob.id, carol.id]})["id"]
    for i in range(1, 8):
        server.api("POST", f"/api/v1/conversations/{group}/messages", (alice, bob, carol)[i % 3].token, {"content": f"standup note {i}"})
    seen, cursor = [], None
    while True:
        body = search(server, carol, "standup", limit=3, **({"cursor": cursor} if cursor else {})).json()
        seen += [m["content"] for m in body["data"]]
        cursor = body["page"]["nextCursor"]
        assert body["page"]["hasMore"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == [f"standup note {i}" for i in range(7, 0, -1)]
    assert found(server, carol, "standup", conversationId=group)[0] == "standup note 7"
    server.api("DELETE", f"/api/v1/conversations/{group}/members/{carol.id}", alice.token)
    assert found(server, carol, "standup") == []
    assert search(server, carol, "standup", conversationId=group).status_code == 404
    assert len(found(server, bob, "standup")) == 7
