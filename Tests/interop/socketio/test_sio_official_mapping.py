"""Checks that every case of the two official suites has exactly one port here.

The counts are fixed (25 Engine.IO v4 cases, 32 Socket.IO v5 cases). When the
socket.io monorepo is available as a git directory (env `SOCKETIO_MONOREPO_GIT`,
default: the local mirror), the titles are also compared with the original
`describe(...)` / `it(...)` nesting, so a renamed or missing case is noticed.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

import pytest

import test_engineio_v4_suite
import test_socketio_v5_suite

EXPECTED = {"engine.io-v4": 25, "socket.io-v5": 32}
SUITE_FILES = {
    "engine.io-v4": "docs/engine.io-protocol/v4-test-suite/test-suite.js",
    "socket.io-v5": "docs/socket.io-protocol/v5-test-suite/test-suite.js",
}
DEFAULT_MONOREPO = "/work/.mirror/socketio+socket.io/repo"


def ported_titles() -> dict[str, list[str]]:
    titles: dict[str, list[str]] = {k: [] for k in EXPECTED}
    for module in (test_engineio_v4_suite, test_socketio_v5_suite):
        for name in dir(module):
            fn = getattr(module, name)
            if not name.startswith("test_") or not callable(fn):
                continue
            for mark in getattr(fn, "pytestmark", []):
                if mark.name == "official":
                    suite, title = mark.args
                    titles[suite].append(title)
    return titles


def original_titles(js: str) -> list[str]:
    """`describe > ... > it` paths, from the two-space indentation of the suite file."""
    stack: list[tuple[int, str]] = []
    out: list[str] = []
    for line in js.splitlines():
        m = re.match(r'^(\s*)(describe|it)\("((?:[^"\\]|\\.)*)"', line)
        if not m:
            continue
        indent, kind, title = len(m.group(1)), m.group(2), m.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if kind == "describe":
            stack.append((indent, title))
        else:
            out.append(" > ".join([t for _, t in stack] + [title]))
    return out


def test_every_official_case_is_ported_once():
    titles = ported_titles()
    for suite, count in EXPECTED.items():
        assert len(titles[suite]) == count, f"{suite}: {len(titles[suite])} ported, expected {count}"
        assert len(set(titles[suite])) == count, f"{suite}: duplicate titles"


def test_titles_match_the_original_suites():
    git_dir = os.environ.get("SOCKETIO_MONOREPO_GIT", DEFAULT_MONOREPO)
    if not pathlib.Path(git_dir).exists():
        pytest.skip(f"socket.io monorepo not available at {git_dir}")
    titles = ported_titles()
    for suite, path in SUITE_FILES.items():
        js = subprocess.run(
            ["git", f"--git-dir={git_dir}", "show", f"HEAD:{path}"],
            check=True, capture_output=True, text=True,
        ).stdout
        originals = original_titles(js)
        if suite == "engine.io-v4":
            # The Engine.IO file wraps everything in one top-level describe.
            originals = [t.split(" > ", 1)[1] for t in originals]
        assert len(originals) == EXPECTED[suite]
        assert sorted(originals) == sorted(titles[suite])
