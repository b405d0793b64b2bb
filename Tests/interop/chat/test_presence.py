"""presence:update on first connect and last disconnect, only to users who share a conversation; live REST online."""

import json
import time

import websocket

from chat_e2e import wait_until


def about(user_id, online=None):
    return lambda p: p["userId"] == user_id and (online is None or p["online"] is online)


def test_presence_across_two_devices_reaches_contacts_and_never_strangers(server, devices):
    alice, bob, stranger = server.register("alice"), server.register("bob"), server.register("stranger")
    server.direct(alice, bob)
    b1 = devices.device(bob)
    s1 = devices.device(stranger)

    a1 = devices.device(alice)
    online = b1.wait_for("presence:update", about(alice.id, True))
    assert set(online) == {"userId", "online", "lastSeenAt"}

    a2 = devices.device(alice, transports=["polling"])
    time.sleep(1.0)
    assert len(b1.events("presence:update")) == 1  # the second device changes nothing

    a1.close()
    b1.assert_no("presence:update", about(alice.id, False), within=1.0)  # still online on a2
    assert server.api("GET", f"/api/v1/users/{alice.id}", bob.token)["online"] is True

    a2.close()
    offline = b1.wait_for("presence:update", about(alice.id, False))
    assert offline["lastSeenAt"] is not None
    assert [p["online"] for p in b1.events("presence:update") if p["userId"] == alice.id] == [True, False]

    # The stranger shares no conversation with alice and heard nothing of her.
    s1.assert_no("presence:update", within=0.5)
    # lastSeenAt is stored: REST shows it, and alice as offline.
    user = server.api("GET", f"/api/v1/users/{alice.id}", bob.token)
    assert user["online"] is False
    assert user["lastSeenAt"] == offline["lastSeenAt"]


def test_presence_reaches_every_device_of_every_contact_in_any_shared_conversation(server, devices):
    alice, bob, carol = server.register("alice"), server.register("bob"), server.register("carol")
    server.direct(alice, bob)
    server.direct(carol, alice)
    b1, b2, c1 = devices.device(bob), devices.device(bob), devices.device(carol)

    a1 = devices.device(alice)
    for device in (b1, b2, c1):
        device.wait_for("presence:update", about(alice.id, True))
    # Bob and carol share nothing with each other.
    c1.assert_no("presence:update", about(bob.id), within=0.3)
    # Nobody tells alice about herself.
    a1.assert_no("presence:update", about(alice.id), within=0)


def test_rest_user_objects_show_live_online(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)

    assert server.api("GET", f"/api/v1/users/{bob.id}", alice.token)["online"] is False
    b1 = devices.device(bob)
    # Presence is recorded as the connection completes; allow the server a moment to get there.
    assert wait_until(lambda: server.api("GET", f"/api/v1/users/{bob.id}", alice.token)["online"])
    assert server.api("GET", "/api/v1/auth/me", bob.token)["online"] is True
    members = server.api("GET", f"/api/v1/conversations/{conversation['id']}", alice.token)["members"]
    assert {m["id"]: m["online"] for m in members} == {alice.id: False, bob.id: True}
    listed = server.api("GET", f"/api/v1/users?q={bob.username}", alice.token)
    assert [u["online"] for u in listed if u["id"] == bob.id] == [True]

    b1.close()
    wait_until(lambda: not server.api("GET", f"/api/v1/users/{bob.id}", alice.token)["online"])
    user = server.api("GET", f"/api/v1/users/{bob.id}", alice.token)
    assert user["online"] is False
    assert user["lastSeenAt"] is not None


def test_a_connection_that_drops_without_a_goodbye_goes_offline(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    server.direct(alice, bob)
    b1 = devices.device(bob)

    # A bare WebSocket client that authenticates and then vanishes: no DISCONNECT packet, no close frame.
    ws = websocket.create_connection(server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=10)
    assert ws.recv().startswith("0")
    ws.send("40" + json.dumps({"token": alice.token}))
    assert ws.recv().startswith("40{")
    b1.wait_for("presence:update", about(alice.id, True))
    ws.sock.close()

    offline = b1.wait_for("presence:update", about(alice.id, False))
    assert offline["lastSeenAt"] is not None
    assert server.api("GET", f"/api/v1/users/{alice.id}", bob.token)["online"] is False


def test_a_connection_that_stops_answering_pings_goes_offline(heartbeat_server, devices):
    server = heartbeat_server
    alice, bob = server.register("alice"), server.register("bob")
    server.direct(alice, bob)
    b1 = devices.device(bob)  # python-socketio answers every ping

    ws = websocket.create_connection(server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=10)
    try:
        assert ws.recv().startswith("0")
        ws.send("40" + json.dumps({"token": alice.token}))
        assert ws.recv().startswith("40{")
        b1.wait_for("presence:update", about(alice.id, True))
        silent_since = time.monotonic()
        # From here on alice's connection reads nothing and answers no ping: only the heartbeat can notice.
        offline = b1.wait_for("presence:update", about(alice.id, False), timeout=15)
        assert time.monotonic() - silent_since >= 1.0
        assert offline["lastSeenAt"] is not None
    finally:
        ws.close()
    # The same heartbeat keeps a responsive client connected.
    time.sleep(2.5)
    assert b1.connected


def test_quick_reconnects_do_not_flap_presence(server, devices):
    """50 reconnects within the grace: contacts hear nothing more, lastSeenAt is not rewritten, the user ends online."""
    alice, bob = server.register("alice"), server.register("bob")
    server.direct(alice, bob)
    b1 = devices.device(bob)
    token = alice.login()
    a = devices.connect(alice, token)
    b1.wait_for("presence:update", about(alice.id, True))
    assert wait_until(lambda: server.api("GET", f"/api/v1/users/{alice.id}", bob.token)["lastSeenAt"] is not None)
    seen = server.api("GET", f"/api/v1/users/{alice.id}", bob.token)["lastSeenAt"]
    b1.clear()

    for _ in range(50):
        a.close()
        a = devices.connect(alice, token)
    time.sleep(4.0)  # past the default 3 s grace

    changes = [p["online"] for p in b1.events("presence:update") if p["userId"] == alice.id]
    assert len(changes) <= 2, changes
    assert changes in ([], [False, True]), changes
    user = server.api("GET", f"/api/v1/users/{alice.id}", bob.token)
    assert user["online"] is True
    assert user["lastSeenAt"] == seen, "a reconnect within the grace writes no lastSeenAt"
    assert a.connected


def test_going_offline_waits_for_the_grace(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    server.direct(alice, bob)
    b1 = devices.device(bob)
    a1 = devices.device(alice)
    b1.wait_for("presence:update", about(alice.id, True))
    a1.close()
    left = time.monotonic()
    offline = b1.wait_for("presence:update", about(alice.id, False))
    assert time.monotonic() - left >= 2.5, "offline was announced before the grace passed"
    assert offline["lastSeenAt"] is not None
