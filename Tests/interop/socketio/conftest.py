"""pytest harness for the Socket.IO / Engine.IO interop tests.

Starts the `socketio-conformance` executable once per session on a free
loopback port, waits until it answers an Engine.IO handshake, and stops it at
the end. Every test gets the base URL from the `base_url` fixture.

After each test we check that the server process is still alive: a crash is
then reported against the test that caused it (and the server is restarted so
the rest of the session still means something).
"""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import tempfile
import time

import pytest
import requests

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]

# Generous per-test ceiling; individual waits inside tests are much shorter.
DEFAULT_TEST_TIMEOUT = 15


def conformance_binary() -> pathlib.Path:
    env = os.environ.get("SOCKETIO_CONFORMANCE_BIN")
    if env:
        return pathlib.Path(env)
    return REPO_ROOT / ".build" / "debug" / "socketio-conformance"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ConformanceServer:
    """One `socketio-conformance` process bound to a fixed loopback port.

    The port stays the same across `restart()` so clients that reconnect by
    URL find the new process.
    """

    def __init__(self, port: int | None = None) -> None:
        self.binary = conformance_binary()
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        fd, path = tempfile.mkstemp(prefix=f"sio-conformance-{self.port}-", suffix=".log")
        os.close(fd)
        self.log_path = pathlib.Path(path)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 30.0) -> None:
        if not self.binary.exists():
            raise RuntimeError(
                f"socketio-conformance binary not found at {self.binary}; build it with "
                "`swift build --product socketio-conformance` or set SOCKETIO_CONFORMANCE_BIN"
            )
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(self.binary), "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"socketio-conformance exited with {self.proc.returncode} during startup; "
                    f"log:\n{self.log_tail()}"
                )
            try:
                r = requests.get(
                    f"{self.base_url}/engine.io/?EIO=4&transport=polling", timeout=1
                )
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"socketio-conformance did not answer within {ready_timeout}s; log:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def kill(self) -> None:
        """Abrupt stop (SIGKILL), as a crash or a lost machine would look to a client."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])


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
    server.stop()


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
