"""The Webhooks page in a real browser: add an endpoint, see its secret once,
send a test and read its try; accessible all the way, and pictured."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def loopback(monkeypatch):
    """The server process starts with WOM_WEBHOOK_ALLOW_LOOPBACK=1."""
    monkeypatch.setenv("WOM_WEBHOOK_ALLOW_LOOPBACK", "1")


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def test_the_owner_adds_an_endpoint_and_follows_its_deliveries(
    loopback, owner_page, live_server, receiver, screenshots
):
    page = owner_page
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    expect(page.get_by_text("No endpoints yet")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("customer.created").check()
    page.get_by_label("referral.credited").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("#secret")
    expect(secret).to_contain_text("whsec_")
    receiver.secrets.append(secret.inner_text())
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-webhooks.png", full_page=True)

    page.get_by_role("link", name=f"Deliveries to {receiver.url}").click()
    page.get_by_role("button", name="Send a test event").click()
    expect(page.get_by_text("A test event is on its way")).to_be_visible()
    live_server.app.extensions["wom.webhooks"].deliverer.run_once()
    page.reload()
    expect(page.locator("table.tries")).to_contain_text("webhook.test")
    expect(page.locator("table.tries")).to_contain_text("200")
    assert [r.verified for r in receiver.receipts] == [True]
    assert_accessible(page)
    page.screenshot(
        path=screenshots / "dashboard-webhook-deliveries.png", full_page=True
    )


def test_a_private_address_is_refused_in_words(owner_page):
    page = owner_page
    page.goto("/dashboard/webhooks")
    page.get_by_label("Endpoint URL").fill("https://10.0.0.7/hook")
    page.get_by_label("flag.opened").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#url-error")).to_contain_text("resolves to 10.0.0.7")
    assert_accessible(page)
