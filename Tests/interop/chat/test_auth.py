"""Socket authentication: refused connects, the bearer header, expiry disconnects and auth:renew."""

import time

import pytest

from chat_e2e import Device, connect_refused, send, sleep_until, token_exp

UNAUTHORIZED = {"message": "unauthorized", "data": {"code": "UNAUTHORIZED"}}


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]])
def test_connect_without_token_is_refused(server, transports):
    assert connect_refused(server, transports=transports) == UNAUTHORIZED


def test_connect_with_invalid_tokens_is_refused(server):
    alice = server.register("alice")
    assert connect_refused(server, token="not-a-jwt") == UNAUTHORIZED
    assert connect_refused(server, auth={"token": 12345}) == UNAUTHORIZED
    assert connect_refused(server, auth={"token": ""}) == UNAUTHORIZED
    assert connect_refused(server, auth={"other": alice.token}) == UNAUTHORIZED
    # A well-formed token signed with another secret.
    header, payload, signature = alice.token.split(".")
    forged = ".".join([header, payload, signature[::-1]])
    assert connect_refused(server, token=forged) == UNAUTHORIZED
    # A refresh token is not an access token.
    data = server.api("POST", "/api/v1/auth/login", json={"username": alice.username, "password": alice.password})
    assert connect_refused(server, token=data["refreshToken"]) == UNAUTHORIZED


def test_connect_with_a_revoked_login_is_refused(server):
    alice = server.register("alice")
    data = server.api("POST", "/api/v1/auth/login", json={"username": alice.username, "password": alice.password})
    server.api("POST", "/api/v1/auth/logout", json={"refreshToken": data["refreshToken"]})
    assert connect_refused(server, token=data["accessToken"]) == UNAUTHORIZED


def test_connect_with_an_expired_token_is_refused(short_server):
    alice = short_server.register("alice")
    sleep_until(token_exp(alice.token) + 1.0)
    assert connect_refused(short_server, token=alice.token) == UNAUTHORIZED


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]])
def test_bearer_header_on_the_handshake_is_accepted(server, devices, transports):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)
    a1 = devices.add(Device.open(server, None, headers={"Authorization": f"Bearer {alice.token}"}, transports=transports))
    b1 = devices.device(bob)
    message = send(a1, conversation["id"], "authenticated by header")
    assert message["senderId"] == alice.id
    b1.wait_for("message:new", lambda m: m["id"] == message["id"])


def test_socket_is_disconnected_when_its_token_expires(short_server, devices):
    alice = short_server.register("alice")
    expires = token_exp(alice.token)
    a1 = devices.connect(alice)
    assert a1.disconnected.wait(expires - time.time() + 4), "socket outlived its token"
    assert time.time() >= expires - 0.2, "disconnected before the token expired"
    assert not a1.connected


def test_renew_with_own_fresh_token_keeps_the_socket(short_server, devices):
    alice, bob = short_server.register("alice"), short_server.register("bob")
    conversation = short_server.direct(alice, bob)
    first_expiry = token_exp(alice.token)
    a1 = devices.connect(alice)
    # Renew shortly before the first token runs out, so the fresh one clearly outlives it.
    sleep_until(first_expiry - 1.0)

    fresh = alice.login()  # another login of the same user is fine; only the user must match
    renewed = a1.ok("auth:renew", {"token": fresh})
    assert set(renewed) == {"expiresAt"}
    assert renewed["expiresAt"].endswith("Z")
    second_expiry = token_exp(fresh)
    assert second_expiry >= first_expiry + 1.5

    # Past the first token's expiry the socket is still up and working.
    sleep_until(first_expiry + 0.7)
    assert a1.connected
    b1 = devices.device(bob)
    message = send(a1, conversation["id"], "still here")
    b1.wait_for("message:new", lambda m: m["id"] == message["id"])
    # The renewed token expires too, and then the socket goes.
    assert a1.disconnected.wait(second_expiry - time.time() + 4), "socket outlived its renewed token"
    assert time.time() >= second_expiry - 0.2


def test_renew_with_another_users_token_is_refused(short_server, devices):
    alice, bob = short_server.register("alice"), short_server.register("bob")
    expires = token_exp(alice.token)
    a1 = devices.connect(alice)

    error = a1.error("auth:renew", {"token": bob.login()})
    assert error["code"] == "UNAUTHORIZED"
    assert a1.connected
    # Garbage and missing tokens are refused the same way, without dropping the socket.
    assert a1.error("auth:renew", {"token": "garbage"})["code"] == "UNAUTHORIZED"
    assert a1.error("auth:renew", {})["code"] == "VALIDATION_ERROR"
    assert a1.connected

    assert a1.disconnected.wait(expires - time.time() + 4), "a refused renewal must not extend the socket"
    assert time.time() <= expires + 4


def test_tokens_never_reach_the_server_log(server, devices):
    alice, bob = server.register("alice"), server.register("bob")
    cid = server.direct(alice, bob)["id"]
    a1 = devices.connect(alice)
    devices.add(Device.open(server, None, headers={"Authorization": f"Bearer {alice.token}"}, transports=["polling"]))
    fresh = alice.login()
    a1.ok("auth:renew", {"token": fresh})
    a1.error("auth:renew", {"token": bob.token})
    assert connect_refused(server, token="forged." + bob.token.split(".", 1)[1]) == UNAUTHORIZED
    send(a1, cid, "logged?")
    time.sleep(0.3)
    log = server.log(tail=None)
    assert "socket" in log  # the log does record socket activity
    for token in (alice.token, fresh, bob.token):
        signature = token.rsplit(".", 1)[1]
        assert signature not in log
