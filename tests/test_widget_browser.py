"""The chat widget in headless Chromium, against the real `serve` command.

Uses Debian's chromium (never a downloaded browser) through Playwright for
Python; skipped, saying why, when either is missing. Leaves screenshots in
test-artifacts/.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from live_server import live_server, stop

from assistant import Assistant
from assistant.knowledge import bundled_path

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
XSS = "<img src=x onerror=alert(1)>"
TITLE = "Questions? Ask us"
DOWN = "Sorry, the assistant can't be reached right now."

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="playwright for Python is missing (pip install playwright)"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing (apt-get install chromium)"),
]


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """The bundled knowledge plus one entry whose answer is an XSS probe."""
    for file in bundled_path().glob("*.yaml"):
        shutil.copy(file, tmp_path)
    (tmp_path / "zz-xss.yaml").write_text(
        f'entries:\n  - id: html-test\n    question: What does the html test answer say?\n'
        f'    answer: "{XSS}"\n    tags: [test]\n',
        encoding="utf-8",
    )
    return tmp_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


def watched_page(browser: Any, problems: list[str], **options: Any) -> Any:
    """A new page that records dialogs (an XSS would fire one), script errors and console errors."""
    page = browser.new_page(**options)
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: problems.append(f"console: {m.text} {m.location}") if m.type == "error" else None)
    return page


def focused_label(page: Any) -> str | None:
    """The aria-label of what has focus inside the widget's shadow root."""
    return page.evaluate(
        "() => { const a = document.querySelector('faq-assistant-widget').shadowRoot.activeElement;"
        " return a && (a.getAttribute('aria-label') || a.textContent); }"
    )


def test_widget_chats_in_a_real_browser(kb: Path, browser: Any) -> None:
    bot = Assistant.load(kb)
    first = bot.ask("are new balance shoes made in the usa")
    follow_id, follow_question = first.suggestions[0]
    problems: list[str] = []
    page = watched_page(browser, problems, viewport={"width": 1100, "height": 760})
    with live_server("--kb", str(kb)) as (server, base):
        page.goto(base + "/")
        launcher = page.get_by_role("button", name=TITLE)
        launcher.click()
        panel = page.get_by_role("dialog", name=TITLE)
        expect(panel).to_be_visible()
        assert focused_label(page) == "Your question"
        bot_says = panel.locator(".message-bot .text")
        expect(bot_says.first).to_have_text(bot.settings.greeting)

        box = page.get_by_role("textbox", name="Your question")
        box.fill("are new balance shoes made in the usa")
        box.press("Enter")
        expect(bot_says.nth(1)).to_have_text(first.text)
        panel.locator(".message-bot").nth(1).get_by_role("button", name=follow_question).click()
        expect(bot_says.nth(2)).to_have_text(bot.entry(follow_id).answer)
        expect(panel.locator(".message-user .text").nth(1)).to_have_text(follow_question)

        box.fill("what does the html test answer say")
        box.press("Enter")
        expect(bot_says.nth(3)).to_have_text(XSS)  # the characters, not an image
        assert page.locator("faq-assistant-widget img").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "widget.png"))

        box.press("Escape")
        expect(panel).to_be_hidden()
        assert focused_label(page) == TITLE
        assert problems == []

        page.set_viewport_size({"width": 360, "height": 740})
        launcher.click()
        edges = panel.bounding_box()
        assert edges is not None and edges["x"] >= 0 and edges["x"] + edges["width"] <= 360

        stop(server)
        box.fill("is new balance an american company")
        box.press("Enter")
        expect(panel.locator(".message-error .text")).to_contain_text(DOWN)
        page.screenshot(path=str(ARTIFACTS / "widget-360-server-down.png"))
    page.close()
    assert not [p for p in problems if "dialog" in p or "page error" in p]


@contextmanager
def store_pages() -> Iterator[tuple[str, str]]:
    """Two loopback "stores" on origins other than the API's (localhost vs 127.0.0.1, other ports).

    A real server rather than Playwright routing: Chromium only lets loopback
    pages call loopback APIs, and a routed page has no address.
    """
    class Store(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api = self.path.split("api=", 1)[-1]
            tag = f'<script src="{api}/widget.js" data-endpoint="{api}" defer></script>'
            body = f"<!doctype html><html><head>{tag}</head><body><h1>Another store</h1></body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Store) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        shop, other = (f"http://localhost:{s.server_address[1]}" for s in servers)
        yield shop, other
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_widget_on_another_origin_needs_allow_origin(browser: Any) -> None:
    problems: list[str] = []
    with store_pages() as (shop, other), live_server("--allow-origin", shop) as (_, base):
        allowed = watched_page(browser, problems)
        allowed.goto(f"{shop}/?api={base}")  # the one-tag embed, cross-origin
        allowed.get_by_role("button", name=TITLE).click()
        box = allowed.get_by_role("textbox", name="Your question")
        box.fill("which nb models are made in the usa")
        box.press("Enter")
        expect(allowed.locator(".message-bot").nth(1)).to_have_attribute("data-status", "answered")
        assert problems == []

        refused = watched_page(browser, problems)
        refused.goto(f"{other}/?api={base}")  # not on the --allow-origin list
        refused.get_by_role("button", name=TITLE).click()
        expect(refused.locator(".message-error .text")).to_contain_text(DOWN)
        assert any("CORS" in p for p in problems)
