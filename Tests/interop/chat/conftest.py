"""Fixtures of the chat end-to-end tests; the harness itself (server, accounts, devices) is in chat_e2e.py.

A module of its own rather than imports from this file: several interop areas each have a conftest.py, and
`from conftest import …` would depend on which of them Python imported first.
"""

import sys
from pathlib import Path

import pytest

# chat_e2e.py sits next to the tests; importable under any --import-mode (importlib mode adds no test folder
# to sys.path).
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from chat_e2e import SHORT_TTL, Account, Device, Server  # noqa: E402


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def server():
    """One server for the session (default token lifetime)."""
    instance = Server()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def short_server():
    """A second server whose access tokens live SHORT_TTL seconds, for expiry and renewal."""
    instance = Server(access_ttl=SHORT_TTL)
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def heartbeat_server():
    """A server with a one-second Engine.IO heartbeat (ping interval and timeout), for silent connections."""
    instance = Server(extra_env={"CHATONE_SOCKET_PING_INTERVAL": "1", "CHATONE_SOCKET_PING_TIMEOUT": "1"})
    yield instance
    instance.stop()


@pytest.fixture
def devices():
    """Tracks sockets a test opens and closes them afterwards, whatever the outcome."""
    opened: list[Device] = []

    class Tracker:
        def add(self, device: Device) -> Device:
            opened.append(device)
            return device

        def connect(self, account: Account, token: str | None = None, **kwargs) -> Device:
            return self.add(account.connect(token, **kwargs))

        def device(self, account: Account, **kwargs) -> Device:
            return self.add(account.device(**kwargs))

    yield Tracker()
    for device in opened:
        device.close()
