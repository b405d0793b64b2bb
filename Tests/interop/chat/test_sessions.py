"""API.md "Sessions": every way of revoking a login ends exactly that login's sockets within one second.

Each revoked socket first receives `session:revoked {sessionId}` and then a server-side disconnect; the sockets of
the user's other login stay connected and keep working.
"""

import base64
import json
import threading
import time

import pytest
import websocket

from chat_e2e import Device, connect_refused, send

REVOCATION_DEADLINE = 1.0  # seconds, API.md


def session_id(access_token: str) -> str:
    payload = access_token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))["sid"]


class Login:
    """One login (session) of an account: its tokens and id."""

    def __init__(self, server, account, user_agent: str | None = None):
        headers = {"User-Agent": user_agent} if user_agent else {}
        response = server.request("POST", "/api/v1/auth/login", json={"username": account.username, "password": account.password},
                                  headers=headers)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        self.access = data["accessToken"]
        self.refresh = data["refreshToken"]
        self.id = session_id(self.access)


class TimedDevice(Device):
    """A Device that also notes when `session:revoked` and the disconnect arrived."""

    def __init__(self, server, account=None):
        super().__init__(server, account)
        self.revoked_at: float | None = None
        self.disconnected_at: float | None = None

    def _record(self, event, *args):
        if event == "session:revoked" and self.revoked_at is None:
            self.revoked_at = time.monotonic()
        super()._record(event, *args)

    def _on_disconnect(self, *args):
        self.disconnected_at = time.monotonic()
        super()._on_disconnect(*args)


def open_timed(devices, server, account, token, transports=("websocket",)) -> TimedDevice:
    device = TimedDevice(server, account)
    device.connect(token, transports=transports)
    return devices.add(device)


class RawSocket:
    """A bare WebSocket Socket.IO client that records every frame in order: it shows the wire order exactly."""

    def __init__(self, server, token: str):
        self.ws = websocket.create_connection(server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=10)
        assert self.ws.recv().startswith("0")
        self.ws.send("40" + json.dumps({"token": token}))
        assert self.ws.recv().startswith("40{")
        self.frames: list[str] = []
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            while True:
                frame = self.ws.recv()
                if frame == "2":  # ping
                    self.ws.send("3")
                    continue
                self.frames.append(frame)
                if frame == "41" or not frame:
                    break
        except Exception:
            pass
        self.closed.set()

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass


def revoke_by_logout(server, account, victim: Login, survivor: Login):
    server.api("POST", "/api/v1/auth/logout", json={"refreshToken": victim.refresh})


def revoke_by_delete(server, account, victim: Login, survivor: Login):
    server.api("DELETE", f"/api/v1/auth/sessions/{victim.id}", survivor.access)


def revoke_by_logout_all(server, account, victim: Login, survivor: Login):
    assert server.api("POST", "/api/v1/auth/logout-all", survivor.access) == {"revoked": 2}  # the victim and the registration


def revoke_by_password_change(server, account, victim: Login, survivor: Login):
    new_password = account.password + "-new"
    server.api("POST", "/api/v1/auth/password", survivor.access, {"currentPassword": account.password, "newPassword": new_password})
    account.password = new_password


def revoke_by_refresh_reuse(server, account, victim: Login, survivor: Login):
    server.api("POST", "/api/v1/auth/refresh", json={"refreshToken": victim.refresh})  # rotated: the old one is now spent
    response = server.request("POST", "/api/v1/auth/refresh", json={"refreshToken": victim.refresh})
    assert response.status_code == 401, response.text


WAYS = {
    "logout": revoke_by_logout,
    "session-delete": revoke_by_delete,
    "logout-all": revoke_by_logout_all,
    "password-change": revoke_by_password_change,
    "refresh-reuse": revoke_by_refresh_reuse,
}


@pytest.mark.parametrize("way", list(WAYS))
def test_revoking_a_login_disconnects_exactly_its_sockets_within_a_second(server, devices, way):
    alice, bob = server.register("alice"), server.register("bob")
    conversation = server.direct(alice, bob)
    victim, survivor = Login(server, alice, "phone"), Login(server, alice, "laptop")
    # The victim login has a WebSocket and a long-polling socket, and a raw socket that shows the wire order.
    v1 = open_timed(devices, server, alice, victim.access)
    v2 = open_timed(devices, server, alice, victim.access, transports=("polling",))
    raw = RawSocket(server, victim.access)
    s1 = open_timed(devices, server, alice, survivor.access)
    b1 = devices.device(bob)
    assert server.api("GET", "/api/v1/auth/me", victim.access)["id"] == alice.id
    try:
        started = time.monotonic()
        WAYS[way](server, alice, victim, survivor)
        # At once, with no wait: the victim's token (unexpired, and just used by three CONNECTs and a REST call, so any
        # cache of live logins holds it) no longer connects a socket nor passes on REST.
        assert connect_refused(server, token=victim.access) == {"message": "unauthorized", "data": {"code": "UNAUTHORIZED"}}
        assert server.request("GET", "/api/v1/auth/me", victim.access).status_code == 401

        for device in (v1, v2):
            assert device.disconnected.wait(REVOCATION_DEADLINE + 0.5), f"{way}: a socket of the revoked login stayed connected"
            assert device.wait_for("session:revoked", timeout=0.5) == {"sessionId": victim.id}
            assert device.revoked_at is not None and device.revoked_at - started <= REVOCATION_DEADLINE + 0.2
            assert device.disconnected_at - started <= REVOCATION_DEADLINE + 0.2, f"{way}: took {device.disconnected_at - started:.2f} s"
        assert raw.closed.wait(REVOCATION_DEADLINE + 0.5)
        assert raw.frames[-2:] == ['42["session:revoked",{"sessionId":"' + victim.id + '"}]', "41"], raw.frames

        # The other login is untouched: its socket stays, sends and receives; its token works on REST.
        time.sleep(0.5)
        assert s1.connected and s1.events("session:revoked") == []
        message = send(s1, conversation["id"], f"still here after {way}")
        b1.wait_for("message:new", lambda m: m["id"] == message["id"])
        reply = send(b1, conversation["id"], "hello again")
        s1.wait_for("message:new", lambda m: m["id"] == reply["id"])
        assert server.api("GET", "/api/v1/auth/me", survivor.access)["id"] == alice.id
        # The revoked login is dead on REST and cannot connect or renew a socket.
        assert server.request("GET", "/api/v1/auth/me", victim.access).status_code == 401
        error = s1.error("auth:renew", {"token": victim.access})
        assert error["code"] == "UNAUTHORIZED"
        assert s1.connected
        assert not b1.events("session:revoked")
    finally:
        raw.close()


def test_sessions_list_shows_each_login_and_marks_the_current(server):
    alice = server.register("alice")
    phone, laptop = Login(server, alice, "ChatOne phone/1.0"), Login(server, alice, "x" * 1000)
    listed = server.api("GET", "/api/v1/auth/sessions", phone.access)
    assert [s["id"] for s in listed][:2] == [laptop.id, phone.id]
    assert [s["current"] for s in listed] == [False, True, False]
    assert listed[1]["userAgent"] == "ChatOne phone/1.0"
    assert listed[0]["userAgent"] == "x" * 256
    assert all(set(s) == {"id", "createdAt", "lastUsedAt", "userAgent", "current"} for s in listed)
    # Someone else's session id is not found, and so is nonsense.
    bob = server.register("bob")
    for other in (Login(server, bob).id, "nope", "0"):
        response = server.request("DELETE", f"/api/v1/auth/sessions/{other}", phone.access)
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"


def test_renewing_with_another_live_login_moves_the_socket_to_it(server, devices):
    """A socket that renewed with a token of another login of the same user belongs to that login from then on."""
    alice = server.register("alice")
    first, second = Login(server, alice), Login(server, alice)
    socket = open_timed(devices, server, alice, first.access)
    socket.ok("auth:renew", {"token": second.access})
    server.api("POST", "/api/v1/auth/logout", json={"refreshToken": first.refresh})
    time.sleep(1.0)
    assert socket.connected, "the socket now belongs to the second login"
    server.api("POST", "/api/v1/auth/logout", json={"refreshToken": second.refresh})
    assert socket.disconnected.wait(REVOCATION_DEADLINE + 0.5)
    assert socket.events("session:revoked") == [{"sessionId": second.id}]
