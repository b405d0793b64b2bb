"""The server's threads fit the cores it may run on (docs/performance.md, "P1: CPU per message", "P5: bcrypt in
spare time").

A server pinned to fewer cores than the machine has (`taskset`) runs one event loop per allowed core: two loops on
one core only switch between each other. bcrypt runs in the core's spare time, rescued when there is none. Read from
the process itself (its threads' names and scheduling policies) and its /metrics.
"""

import os
import shutil
import subprocess
import sys
import time
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


def thread_policies(pid: int) -> list[int]:
    """Each thread's scheduling policy (field 41 of /proc/<pid>/task/<tid>/stat; 5 is SCHED_IDLE)."""
    policies = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        policies.append(int(fields[38]))
    return policies


@pytest.mark.skipif(shutil.which("taskset") is None, reason="needs taskset")
def test_bcrypt_runs_in_spare_time_and_a_saturated_core_still_logs_in():
    """bcrypt's threads are SCHED_IDLE; with the server's core kept busy by others, a login is rescued at nice 10.

    Two busy processes at normal priority on the server's core leave a SCHED_IDLE thread ~0.15% of it: a cost-10
    hash (~60 ms of CPU) would take ~40 s. The rescue thread gets ~5%: about a second.
    """
    core = str(min(os.sched_getaffinity(0)))
    pinned = Server(wrapper=["taskset", "-c", core], extra_env={"CHATONE_BCRYPT_COST": "10"})
    spinners: list[subprocess.Popen] = []
    try:
        alice = pinned.register("alice")
        assert 5 in thread_policies(pinned.process.pid)
        assert pinned.counter("chatone_bcrypt_rescues_total") == 0
        spinners = [subprocess.Popen(["taskset", "-c", core, sys.executable, "-c", "while True: pass"])
                    for _ in range(2)]
        time.sleep(0.5)
        started = time.monotonic()
        token = alice.login()
        took = time.monotonic() - started
        assert token
        assert took < 10, took
        assert pinned.counter("chatone_bcrypt_rescues_total") >= 1
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
        pinned.stop()
