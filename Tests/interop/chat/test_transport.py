"""The Socket.IO endpoint itself: path, polling handshake, and CORS for long-polling from CHATONE_CORS_ORIGINS."""

import json

ALLOWED = "http://e2e.example"  # what chat_e2e.Server puts in CHATONE_CORS_ORIGINS


def handshake(server, origin=None):
    headers = {"Origin": origin} if origin else {}
    return server.request("GET", "/socket.io/?EIO=4&transport=polling", headers=headers)


def test_polling_handshake_at_socket_io_path(server):
    response = handshake(server)
    assert response.status_code == 200
    assert response.text.startswith("0")
    opened = json.loads(response.text[1:])
    assert {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"} <= set(opened)
    assert opened["upgrades"] == ["websocket"]


def test_polling_allows_the_configured_origin_only(server):
    allowed = handshake(server, ALLOWED)
    assert allowed.status_code == 200
    assert allowed.headers.get("Access-Control-Allow-Origin") == ALLOWED

    other = handshake(server, "http://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in other.headers

    preflight = server.request("OPTIONS", "/socket.io/?EIO=4&transport=polling",
                               headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST",
                                        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code in (200, 204)
    assert preflight.headers.get("Access-Control-Allow-Origin") == ALLOWED
    assert "POST" in preflight.headers.get("Access-Control-Allow-Methods", "")
