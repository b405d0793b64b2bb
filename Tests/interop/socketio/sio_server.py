"""The `socketio-conformance` process under test, started on a free loopback port."""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import tempfile
import time

import requests

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]


def conformance_binary() -> pathlib.Path:
    env = os.environ.get("SOCKETIO_CONFORMANCE_BIN")
    if env:
        return pathlib.Path(env)
    return REPO_ROOT / ".build" / "debug" / "socketio-conformance"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn_conformance(flags: list[str], ready_path: str, label: str):
    """Starts `socketio-conformance` with `flags` on a free port (trying another if one is taken), for module
    fixtures that need a server with special settings; returns (process, port, log file) once `ready_path` answers."""
    binary = conformance_binary()
    if not binary.exists():
        import pytest

        pytest.fail(f"socketio-conformance binary not found at {binary}", pytrace=False)
    log = tempfile.TemporaryFile()
    for _ in range(3):
        port = free_port()
        proc = subprocess.Popen([str(binary), "--port", str(port), *flags],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{port}{ready_path}", timeout=1).ok:
                    return proc, port, log
            except requests.RequestException:
                time.sleep(0.05)
        proc.kill()
        proc.wait(timeout=5)  # port taken or slow start: try another port
    log.seek(0)
    import pytest

    pytest.fail(f"socketio-conformance {label} did not start: {log.read()[-2000:]!r}", pytrace=False)


def stop_conformance(proc: subprocess.Popen, log) -> int:
    """Stops a process from `spawn_conformance` and returns its exit code."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    log.close()
    return proc.returncode


class ServerExited(RuntimeError):
    """The process exited before it answered (for instance: port already taken)."""


class ConformanceServer:
    """One `socketio-conformance` process bound to a fixed loopback port.

    The port stays the same across `restart()` so clients that reconnect by
    URL find the new process.
    """

    def __init__(self, port: int | None = None) -> None:
        self.binary = conformance_binary()
        self.port = port or free_port()
        self._port_fixed = port is not None
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

    def start(self, ready_timeout: float = 30.0, attempts: int = 3) -> None:
        """Start and wait until it answers a handshake.

        `free_port()` can race with another process taking the port; if the
        server exits during startup and this object picked the port itself
        (not yet started), a fresh port is tried.
        """
        for attempt in range(attempts):
            try:
                self._start_once(ready_timeout)
                return
            except ServerExited:
                if self._port_fixed or attempt == attempts - 1:
                    raise
                self.port = free_port()

    def _start_once(self, ready_timeout: float) -> None:
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
                raise ServerExited(
                    f"socketio-conformance exited with {self.proc.returncode} during startup; "
                    f"log:\n{self.log_tail()}"
                )
            try:
                r = requests.get(
                    f"{self.base_url}/engine.io/?EIO=4&transport=polling", timeout=1
                )
                if r.status_code == 200:
                    # from now on the port belongs to this server: restarts reuse it
                    self._port_fixed = True
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

    def close(self) -> None:
        """Stop and delete the log (kept when SIO_KEEP_LOGS is set)."""
        self.stop()
        if not os.environ.get("SIO_KEEP_LOGS"):
            self.log_path.unlink(missing_ok=True)

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
