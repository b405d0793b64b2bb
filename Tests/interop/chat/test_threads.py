"""The server's event loops fit the cores it may run on (docs/performance.md, "P1: CPU per message").

A server pinned to fewer cores than the machine has (`taskset`) runs one event loop per allowed core: two loops on
one core only switch between each other. Read from the process itself: the names of its threads.
"""

import os
import shutil
from pathlib import Path

import pytest

from chat_e2e import Server, send


def event_loops(pid: int) -> int:
    names = [(task / "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()]
    return sum(1 for name in names if name.startswith("NIO-SGLTN-"))


@pytest.mark.skipif(shutil.which("taskset") is None or (os.cpu_count() or 1) < 2, reason="needs taskset and two cores")
def test_a_server_pinned_to_one_core_runs_one_event_loop_and_serves(server, devices):
    if event_loops(server.process.pid) < 2:
        pytest.skip("an unpinned server runs one event loop here already (one core, or a cgroup limit)")

    pinned = Server(wrapper=["taskset", "-c", str(min(os.sched_getaffinity(0)))])
    try:
        assert event_loops(pinned.process.pid) == 1
        alice, bob = pinned.register("alice"), pinned.register("bob")
        conversation = pinned.direct(alice, bob)
        a, b = devices.device(alice), devices.device(bob)
        message = send(a, conversation["id"], "one loop", "pinned-1")
        assert b.wait_for("message:new", lambda m: m["id"] == message["id"]) == message
    finally:
        pinned.stop()
