"""pytest harness for the Socket.IO / Engine.IO interop tests.

Starts the `socketio-conformance` executable once per session on a free
loopback port, waits until it answers an Engine.IO handshake, and stops it at
the end. Every test gets the base URL from the `base_url` fixture.

After each test we check that the server process is still alive: a crash is
then reported against the test that caused it (and the server is restarted so
the rest of the session still means something).
"""

from __future__ import annotations

import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
# The helper modules live next to the tests; make them importable under any
# --import-mode (importlib mode does not put test folders on sys.path).
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from sio_server import ConformanceServer  # noqa: E402

# Generous per-test ceiling; individual waits inside tests are much shorter.
DEFAULT_TEST_TIMEOUT = 15


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "official(suite, title): ported case of an official protocol test suite "
        "(suite is 'engine.io-v4' or 'socket.io-v5'; title is the original `describe > it` path)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every test in this folder gets a hard ceiling unless it sets its own.
    for item in items:
        if HERE in pathlib.Path(str(item.fspath)).resolve().parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TEST_TIMEOUT))


@pytest.fixture(scope="session")
def conformance_server():
    server = ConformanceServer()
    try:
        server.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _server_survives(request):
    """Fail the test during which the shared server died, then bring it back."""
    if "conformance_server" not in request.fixturenames:
        yield
        return
    server: ConformanceServer = request.getfixturevalue("conformance_server")
    yield
    if not server.alive():
        code = server.proc.returncode if server.proc else None
        tail = server.log_tail()
        server.proc = None
        server.start()
        pytest.fail(f"socketio-conformance died during this test (exit {code}); log tail:\n{tail}", pytrace=False)


@pytest.fixture
def base_url(conformance_server) -> str:
    return conformance_server.base_url


@pytest.fixture
def ws_url(conformance_server) -> str:
    return conformance_server.ws_url
