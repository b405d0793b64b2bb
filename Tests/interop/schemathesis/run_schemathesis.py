#!/usr/bin/env python3
"""Schemathesis against a real `chatone serve`, driven by the OpenAPI document in
Sources/ChatServer/Resources/openapi.json.

What it does:
  1. starts `chatone serve` on a free port with a fresh database: a SQLite file, or, with
     CHATONE_E2E_DATABASE=mysql (or postgres), a fresh database on the server of CHATONE_TEST_MYSQL_URL (or
     CHATONE_TEST_POSTGRES_URL) (the same choice, and the
     same helper, as Tests/interop/chat/chat_e2e.py);
  2. makes data so that ids exist: five users, a direct conversation, two groups, messages; and three users for the
     Sessions API, each with several logins (see "Logins" below);
  3. runs schemathesis twice:
       - "authenticated": every operation, with `Authorization: Bearer <token of alice>`; path ids, `userId`,
         `userIds` and `memberIds` come mostly from the real ids (schemathesis dictionaries), sometimes generated;
       - "anonymous": the auth routes (tag `auth`) and the public ones without any Authorization header;
     each with the checks not_a_server_error, status_code_conformance, content_type_conformance,
     response_headers_conformance, response_schema_conformance and our own stored_as_sent (hooks.py: what a write
     stored reads back as it was answered), in the phases examples, coverage, fuzzing and stateful, with a bounded
     number of examples;
  4. checks that the tokens the runs used still work (fuzzing must not have revoked them: a revoked token would turn
     every later case of its operations into a 401 that the document allows, and hide them);
  5. prints schemathesis' own output (its summary and, for each failure, a curl command that reproduces it), then
     the server's logged errors, then a last line "schemathesis: N operations passed, M failed" (one operation per
     run counts once). Exits 1 when anything failed.

Logins. DELETE /auth/sessions/{id}, POST /auth/logout-all and POST /auth/password revoke logins, so in the
authenticated run they (and only they) use other tokens (per-operation headers in schemathesis.toml): henry's first
login for DELETE /auth/sessions/{id}, grace's for logout-all and the password change. The ids of those two logins never
appear in any answer schemathesis sees (GET /auth/sessions is called with frank's token, whose logins nothing
revokes), so neither a dictionary nor a link of the stateful phase can revoke them. DELETE /auth/sessions/{id} draws
its ids from henry's other logins (revocable: nothing else revokes them, so the 200 path runs), frank's and alice's
(someone else's: 404). POST /auth/password gets grace's real password as currentPassword and newPassword now and then,
so that the success path runs too; alice's password is in no dictionary, so her login can never be changed or locked.

Options: --max-examples (default 100), --seed (default fixed, for reproducible CI runs; 'random' for a new one),
--workers (default 1: several threads trip a CPython 3.11 `ast.parse` race inside Hypothesis, "AST constructor
recursion depth mismatch"), --checks and --phases (schemathesis' own), --spec (default the repository's openapi.json; a URL works too, e.g.
http://HOST:PORT/api/v1/openapi.json once the server serves it). The server binary comes from CHATONE_BIN
(default <repo>/.build/debug/chatone).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "Tests" / "interop" / "chat"))
from chat_e2e import RATE_LIMITS_OFF, MySQLDatabases, PostgresDatabases, free_port, scratch_databases  # noqa: E402  (the chat e2e tests' helpers)

BIN = Path(os.environ.get("CHATONE_BIN") or REPO / ".build" / "debug" / "chatone")
DATABASE = os.environ.get("CHATONE_E2E_DATABASE", "sqlite").lower()
SPEC = REPO / "Sources" / "ChatServer" / "Resources" / "openapi.json"
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance",
    "stored_as_sent",  # ours, in hooks.py: what a write stored reads back as it was answered
])
# Rate limits off, so that fuzzing is not throttled: the chat e2e harness's settings. Should the server refuse to start
# with them (renamed, another format), it is started again without them; a 429 is then still allowed where the
# document allows it.
RATE_ENV = RATE_LIMITS_OFF
# Seconds per schemathesis run; a run that takes longer is killed and counted as failed. A quiet run takes 70–85 s;
# 170 s was not enough for PostgreSQL's in a CI run on a machine loaded by other builds.
RUN_TIMEOUT = 420


def log(text: str) -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------------------------- server


class Server:
    def __init__(self, workdir: Path):
        if not BIN.exists():
            raise SystemExit(f"chatone binary not found at {BIN}; build it or set CHATONE_BIN")
        self.dir = workdir
        self.mysql: MySQLDatabases | PostgresDatabases | None = None
        self.mysql_name: str | None = None
        try:
            self.mysql = scratch_databases(DATABASE)
        except (RuntimeError, ValueError) as error:
            raise SystemExit(str(error))
        self.process: subprocess.Popen | None = None
        self.log_path = self.dir / "server.log"
        self.rate_env_used = self._start(RATE_ENV) or self._start({})
        if not self.rate_env_used and self.process is None:
            raise SystemExit(f"chatone did not start:\n{self.log()}")

    def _database_url(self) -> str:
        if self.mysql:
            if self.mysql_name:
                self.mysql.drop(self.mysql_name)
            self.mysql_name, url = self.mysql.create()
            return url
        path = self.dir / "chat.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite://{path}"

    def _start(self, extra_env: dict[str, str]) -> bool:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.pop("CHATONE_DATABASE_URL", None)
        env.update(
            CHATONE_JWT_SECRET="schemathesis-" + uuid.uuid4().hex + uuid.uuid4().hex,
            CHATONE_BCRYPT_COST="4",
            CHATONE_LOG_LEVEL=os.environ.get("CHATONE_E2E_LOG_LEVEL", "info"),
        )
        env.update(extra_env)
        self._log = open(self.log_path, "ab")
        process = subprocess.Popen(
            [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--database-url", self._database_url()],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=self.dir,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._log.close()
                if extra_env:
                    log(f"chatone exited at start with {sorted(extra_env)} set; starting it again without them")
                return False
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    self.process = process
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.1)
        process.kill()
        process.wait()
        self._log.close()
        raise SystemExit(f"chatone did not become ready within 60 s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process:
            self._log.close()
        if self.mysql and self.mysql_name:
            self.mysql.drop(self.mysql_name)
            self.mysql_name = None

    def api(self, method: str, path: str, token: str | None = None, body=None, expect=(200, 201), headers=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = requests.request(method, self.url + path, headers=headers, json=body, timeout=30)
        if response.status_code not in expect:
            raise SystemExit(f"setup: {method} {path} answered {response.status_code} {response.text}")
        return response.json()["data"]


# --------------------------------------------------------------------------------------------- data


def seed(server: Server) -> dict:
    """Users, conversations and messages for schemathesis to work on; alice is the caller. frank, grace and henry are
    for the Sessions API: frank's logins are listed, grace's and henry's are revoked (see the module's docstring)."""
    users = {}
    for name in ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "henry"):
        username = f"{name}_{uuid.uuid4().hex[:8]}"
        password = "pw-" + uuid.uuid4().hex
        data = server.api("POST", "/api/v1/auth/register", body={"username": username, "password": password},
                          headers={"User-Agent": None})  # no User-Agent: the first login's userAgent is null
        users[name] = {"id": data["user"]["id"], "token": data["accessToken"], "username": username, "password": password}
    # More logins of frank, grace and henry, with and without a User-Agent (one in UTF-8, one with tabs, which are
    # dropped as control characters; other control characters are malformed HTTP).
    for name in ("frank", "grace", "henry"):
        for agent in ("schemathesis-seed/1.0", "Mozilla/5.0 (X11; Linux x86_64) \u00e9\U0001f642".encode(), "ua\twith\ttabs", None):
            server.api("POST", "/api/v1/auth/login", body={"username": users[name]["username"], "password": users[name]["password"]},
                       headers={"User-Agent": agent})
    sessions = {name: server.api("GET", "/api/v1/auth/sessions", users[name]["token"]) for name in ("alice", "frank", "henry")}
    alice = users["alice"]["token"]
    direct = server.api("POST", "/api/v1/conversations", alice, {"type": "direct", "userId": users["bob"]["id"]})["id"]
    group = server.api("POST", "/api/v1/conversations", alice, {
        "type": "group", "title": "schemathesis group", "memberIds": [users[n]["id"] for n in ("bob", "carol", "dave")]})["id"]
    # A second group for DELETE …/members/{userId}: removals there leave the main group intact.
    removal_group = server.api("POST", "/api/v1/conversations", alice, {
        "type": "group", "title": "removals", "memberIds": [users[n]["id"] for n in ("bob", "carol", "dave", "erin")]})["id"]
    for i in range(1, 6):
        server.api("POST", f"/api/v1/conversations/{direct}/messages", alice, {"content": f"direct {i}", "clientMessageId": f"d{i}"})
        server.api("POST", f"/api/v1/conversations/{group}/messages", users["bob"]["token"], {"content": f"group {i}"})
    server.api("POST", f"/api/v1/conversations/{group}/read", alice, {"seq": 2})
    return {"users": users, "direct": direct, "group": group, "removal_group": removal_group,
            # Revocable by henry: his other logins. Not revocable by him (404): frank's and alice's.
            "henry_sessions": [s["id"] for s in sessions["henry"] if not s["current"]],
            "foreign_sessions": [s["id"] for s in sessions["frank"] + sessions["alice"]]}


TRICKY_TEXT = [
    "\u0000", "a\u0000b", "\u0000\u0000x", "🙂", "é🙂", "e\u0301", "\u00a0x\u00a0", "x\u2028y", "\ufeffx", "𝔘𝔫𝔦",
    "'; DROP TABLE messages; --", "%s%n", "\\", "x" * 64,
]


def write_config(path: Path, data: dict, authenticated: bool) -> None:
    """schemathesis.toml: real ids through dictionaries, so that most cases get past 404. For the authenticated run,
    the Sessions API's operations get their own tokens (see the module's docstring); the anonymous run sends none."""
    users = data["users"]
    others = [users[n]["id"] for n in ("bob", "carol", "dave", "erin")]
    q = lambda values: "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"  # noqa: E731  (TOML takes no surrogate escapes)
    path.write_text(f"""\
hooks = {json.dumps(str(HERE / "hooks.py"))}

[generation]
database = "none"
# U+0000 in strings too: the server refuses it (400) in every text field; stored_as_sent reads back what was stored.
allow-x00 = true

[dictionaries.conversations]
values = {q([data["group"], data["direct"]])}

[dictionaries.removal_group]
values = {q([data["removal_group"]])}

[dictionaries.users]
values = {q(others + [users["alice"]["id"]])}

[dictionaries.other_users]
values = {q(others)}

# Text that databases and drivers get wrong: U+0000, 4-byte UTF-8, combining marks, non-ASCII whitespace.
[dictionaries.tricky_text]
values = {q(TRICKY_TEXT)}

[parameters]
"body.content" = {{ dictionary = "tricky_text", probability = 0.3 }}
"body.clientMessageId" = {{ dictionary = "tricky_text", probability = 0.3 }}
"body.title" = {{ dictionary = "tricky_text", probability = 0.3 }}
"body.displayName" = {{ dictionary = "tricky_text", probability = 0.3 }}
"path.conversationId" = {{ dictionary = "conversations", probability = 0.9 }}
"path.userId" = {{ dictionary = "users", probability = 0.9 }}
"body.userId" = {{ dictionary = "users", probability = 0.8 }}
"body.memberIds[*]" = {{ dictionary = "other_users", probability = 0.8 }}
"body.userIds[*]" = {{ dictionary = "other_users", probability = 0.8 }}

[[operations]]
include-name = "DELETE /api/v1/conversations/{{conversationId}}/members/{{userId}}"
parameters = {{ "path.conversationId" = {{ dictionary = "removal_group", probability = 0.9 }}, "path.userId" = {{ dictionary = "other_users", probability = 0.9 }} }}
""" + (sessions_config(data) if authenticated else ""))


def sessions_config(data: dict) -> str:
    """The Sessions API with frank's token (listing), henry's and grace's (revoking): alice's token is never revoked."""
    users = data["users"]
    q = lambda values: "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"  # noqa: E731
    frank = json.dumps(f"Bearer {users['frank']['token']}")
    grace = json.dumps(f"Bearer {users['grace']['token']}")
    henry = json.dumps(f"Bearer {users['henry']['token']}")
    return f"""
[dictionaries.sessions]
values = {q(data["henry_sessions"] + data["foreign_sessions"])}

[dictionaries.grace_password]
values = {q([users["grace"]["password"]])}

[[operations]]
include-name = "GET /api/v1/auth/sessions"
headers = {{ Authorization = {frank} }}

[[operations]]
include-name = "DELETE /api/v1/auth/sessions/{{sessionId}}"
headers = {{ Authorization = {henry} }}
parameters = {{ "path.sessionId" = {{ dictionary = "sessions", probability = 0.9 }} }}

[[operations]]
include-name = "POST /api/v1/auth/logout-all"
headers = {{ Authorization = {grace} }}

[[operations]]
include-name = "POST /api/v1/auth/password"
headers = {{ Authorization = {grace} }}
parameters = {{ "body.currentPassword" = {{ dictionary = "grace_password", probability = 0.4 }}, "body.newPassword" = {{ dictionary = "grace_password", probability = 0.6 }} }}
"""


# --------------------------------------------------------------------------------------------- schemathesis


def schemathesis_command() -> list[str]:
    exe = Path(sys.executable).with_name("schemathesis")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "schemathesis.cli"]


def run(label: str, spec: str, server: Server, config: Path, junit: Path, args: argparse.Namespace, extra: list[str]):
    command = schemathesis_command() + [
        "--config-file", str(config), "run", spec,
        "--url", server.url,
        "--checks", args.checks,
        "--phases", args.phases,
        "--max-examples", str(args.max_examples),
        "--workers", str(args.workers),
        "--request-timeout", "30",
        "--report", "junit", "--report-junit-path", str(junit),
        "--continue-on-failure",
        "--no-color",
    ]
    if args.seed != "random":
        command += ["--seed", str(args.seed)]
    command += extra
    shown = [("Authorization: Bearer …" if part.startswith("Authorization:") else part) for part in command]
    log(f"\n==> schemathesis {label}: {' '.join(shown)}")
    started = time.monotonic()
    try:
        code = subprocess.run(command, cwd=config.parent, timeout=RUN_TIMEOUT).returncode
    except subprocess.TimeoutExpired:
        log(f"schemathesis {label}: did not finish within {RUN_TIMEOUT} s")
        code = -1
    log(f"schemathesis {label}: exit {code} after {time.monotonic() - started:.0f} s")
    return code


def count(junit: Path) -> tuple[int, int, list[str]]:
    """Operations that passed and failed in one run's JUnit report (skipped ones count as neither)."""
    if not junit.exists():
        return 0, 1, ["(no report)"]
    try:
        root = ET.parse(junit).getroot()
    except ET.ParseError:  # a run killed while writing its report
        return 0, 1, ["(incomplete report)"]
    passed, failed, names = 0, 0, []
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            names.append(case.get("name", "?"))
        elif case.find("skipped") is None:
            passed += 1
    return passed, failed, names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "100")))
    parser.add_argument("--seed", default=os.environ.get("SCHEMATHESIS_SEED", "20261125"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--spec", default=str(SPEC))
    parser.add_argument("--server-log", help="keep a copy of the server's log here")
    parser.add_argument("--checks", default=CHECKS, help="schemathesis checks (default: %(default)s)")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful", help="schemathesis phases (default: %(default)s)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="chatone-schemathesis-"))
    server = None
    try:
        server = Server(workdir)
        log(f"chatone at {server.url} on {DATABASE}" + ("" if server.rate_env_used else " (without rate-limit variables)"))
        data = seed(server)
        token = data["users"]["alice"]["token"]
        runs = [
            ("authenticated", ["--header", f"Authorization: Bearer {token}"]),
            ("anonymous", ["--include-tag", "auth", "--include-tag", "health", "--include-tag", "meta"]),
        ]
        passed = failed = 0
        failures: list[str] = []
        exit_codes = []
        for label, extra in runs:
            config = workdir / f"schemathesis-{label}.toml"
            write_config(config, data, authenticated=label == "authenticated")
            junit = workdir / f"junit-{label}.xml"
            exit_codes.append(run(label, args.spec, server, config, junit, args, extra))
            p, f, names = count(junit)
            passed, failed = passed + p, failed + f
            failures += [f"{label}: {name}" for name in names]
        # The tokens the runs used must have survived them: a fuzzed request revoking one would have turned every later
        # case of its operations into a 401 that the document allows, and hidden them.
        for name in ("alice", "frank", "grace", "henry"):
            answer = requests.get(server.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {data['users'][name]['token']}"}, timeout=30)
            if answer.status_code != 200:
                failed += 1
                failures.append(f"{name}'s token no longer works after the runs: GET /api/v1/auth/me answered {answer.status_code}")
        # A run that failed without a failing operation (a crash of schemathesis itself, a bad schema) still fails.
        if failed == 0 and any(code != 0 for code in exit_codes):
            failed, failures = 1, ["schemathesis exited non-zero"]
        errors = [line for line in server.log().splitlines() if " error" in line.lower() or "critical" in line.lower()]
        if errors:
            log(f"\n==> server errors logged during the run ({len(errors)}; the last 40)")
            for line in errors[-40:]:
                log(line)
        if failures:
            log("\nfailed: " + "; ".join(failures))
        log(f"schemathesis: {passed} operations passed, {failed} failed")
        return 1 if failed else 0
    finally:
        if server:
            server.stop()
            if args.server_log:
                shutil.copyfile(server.log_path, args.server_log)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
