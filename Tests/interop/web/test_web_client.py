"""The built-in web client (`GET /`) in a real browser: Playwright from PyPI driving Debian's chromium.

Users sign up in separate browser contexts (separate sessionStorage, separate sockets) against a real `chatone serve`
and do what people do: find each other, chat both ways, see typing and "seen", scroll back through 200 messages,
live through a server restart without losing or doubling a message, and talk in a group of three. A screenshot of
each main screen is saved under $CHATONE_WEB_ARTIFACTS (default: <repo>/.build/artifacts/web); the README's
picture is one of them (docs/images/web-client.png).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import uuid
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "chat"))
from chat_e2e import REPO, SHORT_TTL, Server  # noqa: E402

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

CHROMIUM = os.environ.get("CHATONE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("CHATONE_WEB_ARTIFACTS") or REPO / ".build" / "artifacts" / "web")
TIMEOUT = 15_000  # ms; shared CI machines are slow, and every wait returns as soon as the page is right

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def server():
    instance = Server()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM} (scripts/test.sh installs Debian's chromium)", pytrace=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def people(browser, server):
    """Opens a browser context (its own storage and sockets) per person; closes them all afterwards."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(viewport={"width": 1100, "height": 720})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        expect.set_options(timeout=TIMEOUT)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors  # type: ignore[attr-defined]
        page.goto(server.url + "/")
        return page

    yield open_page
    for context in contexts:
        for page in context.pages:
            assert page.errors == [], f"JavaScript errors on the page: {page.errors}"  # type: ignore[attr-defined]
        context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def register(page: Page, prefix: str, display: str) -> str:
    username = f"{prefix}_{uuid.uuid4().hex[:8]}"
    page.get_by_test_id("auth-username").fill(username)
    page.get_by_test_id("auth-password").fill("password-" + username)
    page.get_by_test_id("auth-display-name").fill(display)
    page.get_by_test_id("register").click()
    expect(page.get_by_test_id("me-name")).to_have_text(display)
    expect(page.get_by_test_id("connection")).to_have_text("online")
    return username


def start_direct(page: Page, username: str) -> None:
    page.get_by_test_id("people-search").fill(username[:-2])
    person = page.get_by_test_id("people-results").get_by_test_id("person").filter(has_text=username)
    person.get_by_role("button", name="Message").click()


def open_conversation(page: Page, title: str) -> None:
    page.get_by_test_id("conversation-item").filter(has_text=title).click()
    expect(page.get_by_test_id("conv-title")).to_have_text(title)


def send(page: Page, text: str) -> None:
    page.get_by_test_id("composer").fill(text)
    page.get_by_test_id("send").click()


def messages(page: Page):
    return page.get_by_test_id("messages").get_by_test_id("message-text")


def seqs(page: Page) -> list[int]:
    return [int(s) for s in page.eval_on_selector_all("[data-testid=message][data-seq]", "els => els.map(e => e.dataset.seq)")]


def session_token(page: Page) -> str:
    return page.evaluate("JSON.parse(sessionStorage.getItem('chatone.session')).accessToken")


# ------------------------------------------------------------------------------------------------ tests


def test_page_is_served_with_types_caching_and_a_strict_policy(server):
    page = requests.get(server.url + "/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-cache"
    etag = page.headers["ETag"]
    again = requests.get(server.url + "/", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    script = requests.get(server.url + "/web/socketio.js", timeout=10)
    assert script.status_code == 200 and script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert requests.get(server.url + "/web/style.css", timeout=10).headers["Content-Type"] == "text/css; charset=utf-8"
    missing = requests.get(server.url + "/web/nope.js", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    assert requests.get(server.url + "/web/..%2FPackage.swift", timeout=10).status_code == 404


def test_two_people_chat_and_survive_a_restart(server, people):
    alice = people()
    expect(alice.get_by_test_id("login")).to_be_visible()
    shot(alice, "01-sign-in")
    alice_name = register(alice, "alice", "Alice")
    bob = people()
    bob_name = register(bob, "bob", "Bob")

    # Alice finds Bob and says hello; Bob's list shows the conversation, unread, with the preview.
    start_direct(alice, bob_name)
    expect(alice.get_by_test_id("conv-title")).to_have_text("Bob")
    send(alice, "Hi Bob! Ça va ? 👋")
    expect(messages(alice)).to_have_text(["Hi Bob! Ça va ? 👋"])
    bob_item = bob.get_by_test_id("conversation-item").filter(has_text="Alice")
    expect(bob_item.get_by_test_id("unread")).to_have_text("1")
    expect(bob_item.get_by_test_id("conversation-preview")).to_have_text("Hi Bob! Ça va ? 👋")
    expect(bob_item.get_by_test_id("presence-dot")).to_have_class(re.compile(r"\bonline\b"))

    # Bob opens it (which reads it): Alice sees "Seen". Bob types: Alice sees it. Bob answers.
    open_conversation(bob, "Alice")
    expect(bob_item.get_by_test_id("unread")).to_have_count(0)
    expect(messages(bob)).to_have_text(["Hi Bob! Ça va ? 👋"])
    expect(alice.get_by_test_id("seen")).to_have_text("Seen")
    bob.get_by_test_id("composer").press_sequentially("Hel", delay=50)
    expect(alice.get_by_test_id("typing")).to_have_text("Bob is typing…")
    shot(alice, "02-typing")
    bob.get_by_test_id("composer").fill("")
    send(bob, "Hello Alice, <b>not bold</b>")
    expect(messages(alice)).to_have_text(["Hi Bob! Ça va ? 👋", "Hello Alice, <b>not bold</b>"])
    expect(alice.get_by_test_id("typing")).to_have_text("")
    expect(bob.get_by_test_id("seen")).to_have_text("Seen")
    send(alice, "How are you?")
    expect(messages(bob)).to_have_text(["Hi Bob! Ça va ? 👋", "Hello Alice, <b>not bold</b>", "How are you?"])
    expect(alice.get_by_test_id("seen")).to_have_text("Seen")
    shot(alice, "03-conversation")

    # The server stops (SIGTERM) and comes back on the same port and database. Alice writes while it is down:
    # her message waits as "sending…" and goes once the socket is back; Bob gets it exactly once.
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=30)
    expect(alice.get_by_test_id("connection")).to_have_text("reconnecting…")
    send(alice, "Sent while the server was down")
    expect(alice.get_by_test_id("message-status")).to_have_text("sending…")
    shot(alice, "04-offline")
    server.restart()
    expect(alice.get_by_test_id("connection")).to_have_text("online", timeout=30_000)
    expect(bob.get_by_test_id("connection")).to_have_text("online", timeout=30_000)
    expected = ["Hi Bob! Ça va ? 👋", "Hello Alice, <b>not bold</b>", "How are you?", "Sent while the server was down"]
    expect(messages(alice)).to_have_text(expected)
    expect(messages(bob)).to_have_text(expected)
    send(bob, "Back again")
    expect(messages(alice)).to_have_text(expected + ["Back again"])
    assert seqs(alice) == [1, 2, 3, 4, 5] and seqs(bob) == [1, 2, 3, 4, 5]
    # And the server stored each once.
    conversation_id = alice.get_by_test_id("conversation-item").first.get_attribute("data-id")
    stored = server.api("GET", f"/api/v1/conversations/{conversation_id}/messages", session_token(alice))
    assert [m["content"] for m in stored] == expected + ["Back again"]

    # A reload keeps the login (sessionStorage) and shows the same history.
    alice.reload()
    open_conversation(alice, "Bob")
    expect(messages(alice)).to_have_text(expected + ["Back again"])


def test_tokens_are_refreshed_and_the_socket_renewed(browser):
    """Access tokens living SHORT_TTL seconds: the page refreshes them (POST /auth/refresh) and hands each new one
    to its socket (auth:renew), so after several lifetimes the socket is still up and REST still answers."""
    short = Server(access_ttl=SHORT_TTL)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(short.url + "/")
        register(page, "renew", "Rene")
        first = session_token(page)
        refreshes = []
        page.on("request", lambda r: refreshes.append(r.url) if r.url.endswith("/api/v1/auth/refresh") else None)
        page.wait_for_timeout(SHORT_TTL * 3 * 1000)
        assert len(refreshes) >= 3, refreshes
        assert session_token(page) != first
        # An expired token would have cost the socket its connection (API.md); it never dropped.
        expect(page.get_by_test_id("connection")).to_have_text("online")
        assert "socket token expired" not in short.log()
        # REST works with the current token, and so does sending over the renewed socket.
        other = short.register("other", display_name="Otto")
        start_direct(page, other.username)
        expect(page.get_by_test_id("conv-title")).to_have_text("Otto")
        send(page, "still here")
        expect(messages(page)).to_have_text(["still here"])
        expect(page.get_by_test_id("message-status")).to_have_count(0)
        assert errors == []
    finally:
        context.close()
        short.stop()


def test_history_pages_back_through_200_messages(server, people):
    alice = people()
    register(alice, "pager", "Pat")
    bob = people()
    bob_name = register(bob, "reader", "Robin")
    start_direct(alice, bob_name)
    send(alice, "first")
    expect(bob.get_by_test_id("conversation-item").filter(has_text="Pat")).to_be_visible()
    # 199 more from Pat, straight over REST; Robin then opens the conversation and scrolls up to the start.
    token = session_token(alice)
    conversation_id = alice.get_by_test_id("conversation-item").filter(has_text="Robin").get_attribute("data-id")
    for n in range(2, 201):
        server.api("POST", f"/api/v1/conversations/{conversation_id}/messages", token, {"content": f"message {n}"})
    open_conversation(bob, "Pat")
    expect(messages(bob).last).to_have_text("message 200")
    assert len(seqs(bob)) == 50
    status = bob.get_by_test_id("history-status")
    for _ in range(20):
        if status.inner_text() == "Start of the conversation":
            break
        bob.get_by_test_id("messages").evaluate("box => { box.scrollTop = 0; box.dispatchEvent(new Event('scroll')); }")
        bob.wait_for_timeout(300)
    expect(status).to_have_text("Start of the conversation")
    assert seqs(bob) == list(range(1, 201))
    expect(messages(bob).first).to_have_text("first")
    shot(bob, "05-history")


def test_a_group_of_three(server, people):
    alice = people()
    alice_name = register(alice, "ann", "Ann")
    bob = people()
    bob_name = register(bob, "ben", "Ben")
    carol = people()
    carol_name = register(carol, "cat", "Cat")
    # Ben and Ann already talk directly; Ann has not read Ben's message yet when the group starts.
    start_direct(bob, alice_name)
    send(bob, "Are you free on Saturday?")
    expect(alice.get_by_test_id("conversation-item").filter(has_text="Ben").get_by_test_id("unread")).to_have_text("1")

    alice.get_by_test_id("new-group").click()
    alice.get_by_test_id("group-title").fill("Trip")
    for name in (bob_name, carol_name):
        alice.get_by_test_id("group-search").fill(name[:-2])
        alice.get_by_test_id("group-results").get_by_test_id("person").filter(has_text=name).get_by_role("button", name="Add").click()
        expect(alice.get_by_test_id("group-members").get_by_test_id("group-member").filter(has_text=name.split("_")[0].title())).to_have_count(1)
    shot(alice, "06-new-group")
    alice.get_by_test_id("group-create").click()
    expect(alice.get_by_test_id("conv-title")).to_have_text("Trip")

    send(alice, "Who's in?")
    for page in (bob, carol):
        expect(page.get_by_test_id("conversation-item").filter(has_text="Trip").get_by_test_id("unread")).to_have_text("1")
        open_conversation(page, "Trip")
    send(bob, "Me!")
    send(carol, "Me too")
    for page in (alice, bob, carol):
        expect(messages(page)).to_have_text(["Who's in?", "Me!", "Me too"])
    expect(alice.get_by_test_id("seen")).to_have_text(re.compile(r"^Seen by (Ben, Cat|Cat, Ben)$"))
    expect(alice.get_by_test_id("conversation-item").filter(has_text="Ben").get_by_test_id("unread")).to_have_text("1")

    # Ben edits his message; Cat and Ann react to Ann's question. Everyone sees both, live.
    def item(page: Page, text: str):
        return page.get_by_test_id("messages").get_by_test_id("message").filter(has_text=text)

    item(bob, "Me!").get_by_test_id("edit").click()
    bob.get_by_test_id("edit-input").fill("Me! And my dog")
    bob.get_by_test_id("edit-save").click()
    item(carol, "Who's in?").get_by_test_id("react").click()
    expect(item(alice, "Who's in?").get_by_test_id("reaction")).to_have_text("👍 1")
    item(alice, "Who's in?").get_by_test_id("react").click()
    for page in (alice, bob, carol):
        expect(messages(page)).to_have_text(["Who's in?", "Me! And my dog", "Me too"])
        expect(item(page, "Me! And my dog")).to_contain_text("edited")
        expect(item(page, "Who's in?").get_by_test_id("reaction")).to_have_text("👍 2")
    # Ann takes hers back: the count drops for everyone.
    item(alice, "Who's in?").get_by_test_id("reaction").click()
    expect(item(carol, "Who's in?").get_by_test_id("reaction")).to_have_text("👍 1")
    # Only one's own messages have Edit and Delete.
    expect(item(alice, "Me! And my dog").get_by_test_id("edit")).to_have_count(0)
    expect(item(alice, "Who's in?").get_by_test_id("delete")).to_have_count(1)
    shot(alice, "07-group")
    # The README's picture: Ann's view of the group, with Ben's unread direct message in her list.
    shutil.copy(ARTIFACTS / "07-group.png", ARTIFACTS / "web-client.png")
    docs = os.environ.get("CHATONE_WEB_README_SHOT")
    if docs:
        shutil.copy(ARTIFACTS / "web-client.png", docs)

    # Ann (admin) renames it; the others see the new name. She removes Cat, whose list then loses it.
    alice.get_by_test_id("manage-group").click()
    alice.get_by_test_id("group-title").fill("Trip to the lake")
    alice.get_by_test_id("group-rename").click()
    expect(bob.get_by_test_id("conv-title")).to_have_text("Trip to the lake")
    alice.get_by_test_id("group-members").get_by_test_id("group-member").filter(has_text="Cat").get_by_test_id("group-remove").click()
    expect(alice.get_by_test_id("group-members").get_by_test_id("group-member")).to_have_count(2)
    shot(alice, "08-group-settings")
    alice.get_by_test_id("group-close").click()
    expect(carol.get_by_test_id("conversation-item").filter(has_text="Trip")).to_have_count(0)
    # …and adds her back from the settings; she sees the group again, with its history.
    alice.get_by_test_id("manage-group").click()
    alice.get_by_test_id("group-search").fill(carol_name[:-2])
    alice.get_by_test_id("group-results").get_by_test_id("person").filter(has_text=carol_name).get_by_role("button", name="Add").click()
    expect(alice.get_by_test_id("group-members").get_by_test_id("group-member")).to_have_count(3)
    open_conversation(carol, "Trip to the lake")
    expect(messages(carol)).to_have_text(["Who's in?", "Me! And my dog", "Me too"])
    alice.get_by_test_id("group-members").get_by_test_id("group-member").filter(has_text="Cat").get_by_test_id("group-remove").click()
    expect(alice.get_by_test_id("group-members").get_by_test_id("group-member")).to_have_count(2)
    expect(carol.get_by_test_id("conversation-item").filter(has_text="Trip")).to_have_count(0)
    alice.get_by_test_id("group-close").click()
    # Cat's message keeps her name for those who stay.
    expect(alice.get_by_test_id("messages").get_by_test_id("message").filter(has_text="Me too")).to_contain_text("Cat")
    # Ben is not an admin: no rename, no remove buttons for him.
    bob.get_by_test_id("manage-group").click()
    expect(bob.get_by_test_id("group-rename")).to_be_hidden()
    expect(bob.get_by_test_id("group-remove")).to_have_count(0)
    bob.get_by_test_id("group-close").click()

    # Ann deletes her question: a tombstone for everyone still in the group, in its place.
    alice.once("dialog", lambda dialog: dialog.accept())
    item(alice, "Who's in?").get_by_test_id("delete").click()
    for page in (alice, bob):
        expect(messages(page)).to_have_text(["message deleted", "Me! And my dog", "Me too"])
