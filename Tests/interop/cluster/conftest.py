"""The cluster end-to-end tests: PostgreSQL, three `chatone serve` nodes on one database, and HAProxy in front with
the configuration of docs/scaling.md, cut from that page as it is. Clients connect through the proxy and directly.

Needs CHATONE_TEST_POSTGRES_URL (scripts/test.sh sets it) and Debian's `haproxy`.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
CHAT = str(HERE.parent / "chat")
if CHAT not in sys.path:
    sys.path.insert(0, CHAT)

from chat_e2e import PostgresDatabases, Server, free_port  # noqa: E402

REPO = HERE.parents[2]
SCALING_DOC = REPO / "docs" / "scaling.md"


def haproxy_config() -> str:
    """The HAProxy configuration exactly as docs/scaling.md shows it."""
    text = SCALING_DOC.read_text()
    match = re.search(r"<!-- haproxy.cfg begin -->\s*```haproxy\n(.*?)```\s*<!-- haproxy.cfg end -->", text, re.S)
    assert match, "docs/scaling.md has no haproxy.cfg block"
    return match.group(1)


class Endpoint(Server):
    """The REST helpers of Server against a URL that is not a process of ours (the proxy)."""

    def __init__(self, url: str):  # noqa: D401 - no process, no database
        self.url = url


class Cluster:
    def __init__(self):
        url = os.environ.get("CHATONE_TEST_POSTGRES_URL")
        if not url:
            pytest.fail("the cluster tests need CHATONE_TEST_POSTGRES_URL (scripts/test.sh sets it)", pytrace=False)
        self.haproxy_bin = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(self.haproxy_bin).exists():
            pytest.fail("the cluster tests need Debian's haproxy", pytrace=False)
        self.databases = PostgresDatabases(url)
        self.db_name, self.database_url = self.databases.create()
        # A presence grace as in production (shorter, for speed): a device switch across nodes must announce nothing
        # (docs/scaling.md), and the new node records its socket in the database just after the CONNECT reply.
        env = {"CHATONE_SOCKET_PING_INTERVAL": "2", "CHATONE_SOCKET_PING_TIMEOUT": "2", "CHATONE_PRESENCE_GRACE": "1",
               "CHATONE_E2E_LOG_LEVEL": "info"}
        self.nodes = [Server(database_url=self.database_url, extra_env=env) for _ in range(3)]
        self.dir = Path(tempfile.mkdtemp(prefix="chatone-haproxy-"))
        (self.dir / "haproxy.cfg").write_text(haproxy_config())
        self.proxy_port = free_port()
        self.proxy = Endpoint(f"http://127.0.0.1:{self.proxy_port}")
        proxy_env = dict(os.environ, CHATONE_LB_BIND=f"127.0.0.1:{self.proxy_port}",
                         **{f"CHATONE_NODE{i + 1}": f"127.0.0.1:{node.port}" for i, node in enumerate(self.nodes)})
        self.haproxy_log = open(self.dir / "haproxy.log", "wb")
        self.haproxy = subprocess.Popen([self.haproxy_bin, "-db", "-f", str(self.dir / "haproxy.cfg")], env=proxy_env,
                                        stdout=self.haproxy_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(self.proxy.url + "/readyz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.haproxy.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "haproxy.log").read_text(errors="replace")
                self.stop()
                pytest.fail("haproxy did not start:\n" + log, pytrace=False)
            time.sleep(0.1)

    def stop(self):
        if self.haproxy.poll() is None:
            self.haproxy.terminate()
            try:
                self.haproxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.haproxy.kill()
        self.haproxy_log.close()
        for node in self.nodes:
            node.stop()
        self.databases.drop(self.db_name)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    instance = Cluster()
    yield instance
    instance.stop()


@pytest.fixture
def devices():
    opened = []
    yield opened
    for device in opened:
        device.close()
