"""Browser fixtures: Debian's Chromium through Playwright, and the real app served
on a free loopback port with a small demo database made through ``ingest``.

Without Chromium the browser tests skip, except on CI (``CI=true``), where they
fail: a missing browser must never pass for a green run.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from wom import create_app
from wom.store import ingest
from wom.store.settings import write_setting

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
BUSINESS = "Bean & Leaf Coffee"
DESTINATION = "https://lumiere-coffee.example/"
OFFER = "Your first flat white is on us, and your friend gets one too."

# (external id, name, email, referrer or None): a small cascade under Maya.
DEMO_PEOPLE = [
    ("maya", "Maya Okafor", "maya@example.org", None),
    ("leo", "Leo Chen", "leo@example.org", "maya"),
    ("ana", "Ana Souza", "ana@example.org", "maya"),
    ("tom", "Tom Berg", "tom@example.org", "leo"),
    ("ivy", "Ivy Patel", "ivy@example.org", None),
]


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium for the whole session."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -r requirements.txt")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def load_demo(store) -> None:
    """A few customers who referred each other a month ago, with the owner's brand."""
    from tests.dashboard_people import signups

    events = signups(DEMO_PEOPLE, datetime.now(UTC) - timedelta(days=30))
    ingest(store, events, source="demo")
    with store.write() as db:
        write_setting(db, "business_name", BUSINESS)
        write_setting(db, "offer_text", OFFER)
        write_setting(db, "destination_url", DESTINATION)


class LiveServer:
    """The app served by werkzeug in a thread on 127.0.0.1."""

    business = BUSINESS
    offer = OFFER
    destination = DESTINATION

    def __init__(self, app):
        self.app = app
        self.store = app.extensions["wom.store"]
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self.app.extensions["wom.reward_approver"].stop()
        self.store.close()

    def code_of(self, person: str) -> str:
        """The referral code of a demo person."""
        return (
            self.store.reader()
            .execute(
                "SELECT l.code FROM links l JOIN people p ON p.id = l.owner_id "
                "WHERE p.external_id = ?",
                [person],
            )
            .fetchone()[0]
        )


@pytest.fixture
def live_server(tmp_path):
    """The real app (not in testing mode) with the demo database, on a free port."""
    app = create_app(
        {
            "DATABASE": str(tmp_path / "wom.db"),
            "SECRET_KEY": "browser-test-secret-" + "s" * 32,
            "IP_HMAC_KEY": "browser-test-ip-key-" + "i" * 32,
            "WEBHOOK_KEY": "browser-test-webhook-key-" + "w" * 32,
            "WEBHOOK_WORKER": False,
            "WOM_ANALYTICS_BACKGROUND": False,
        }
    )
    load_demo(app.extensions["wom.store"])
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser profile on the live server; every dialog is recorded."""
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    page.dialogs = []
    page.csp_violations = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message):
        if "Content Security Policy" in message.text:
            page.csp_violations.append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots():
    """Where screenshots go (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def owner_page(page, live_server, owner_password_hash):
    """``page`` logged in to the dashboard through the login form, as the owner."""
    from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
    from wom.store import accounts, now_micros

    with live_server.store.write() as db:
        accounts.create_owner(db, OWNER_EMAIL, owner_password_hash, now_micros())
    page.goto("/login")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    return page


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violation on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, "\n".join(serious)
