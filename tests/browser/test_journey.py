"""The whole journey in a real browser: a friend's link, sign-up, the share page.

Screenshots land in tests/screenshots/ for a person to look at.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from tests.payloads import XSS_CORPUS

pytestmark = pytest.mark.browser


def decode_qr(png: bytes) -> list[str]:
    """The texts of every QR code in a PNG."""
    import zxingcpp
    from PIL import Image

    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def credit_of(store, email):
    return (
        store.reader()
        .execute(
            "SELECT r.external_id, c.status FROM credits c "
            "JOIN identities i ON i.person_id = c.customer_id "
            "JOIN people r ON r.id = c.referrer_id WHERE i.email = ?",
            [email],
        )
        .fetchone()
    )


def test_a_friend_opens_a_link_signs_up_and_gets_their_own(
    page, live_server, screenshots
):
    maya = live_server.code_of("maya")
    page.goto(f"/r/{maya}")
    assert (
        page.locator("h1").inner_text() == f"Maya invited you to {live_server.business}"
    )
    assert live_server.offer in page.locator(".lp-offer").inner_text()
    page.screenshot(path=screenshots / "01-landing.png", full_page=True)

    page.fill("#name", "Sam Rivera")
    page.fill("#email", "sam@example.org")
    page.fill("#heard_from", "Leo Chen")
    page.check("#consent")
    page.screenshot(path=screenshots / "02-landing-filled.png", full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/s/[A-Za-z0-9_-]{22}$"))
    share_page = page.url

    assert page.locator("h1").inner_text() == "Thanks, Sam — you're in!"
    own_link = page.input_value("#own-link")
    assert re.fullmatch(rf"{live_server.url}/r/[2-9a-hjkmnp-z]{{8}}", own_link)
    assert own_link != f"{live_server.url}/r/{maya}"
    page.screenshot(path=screenshots / "03-share.png", full_page=True)

    qr = page.locator(".lp-qr-code svg").screenshot(path=screenshots / "04-qr.png")
    assert decode_qr(qr) == [own_link]

    page.click("[data-copy=own-link]")
    expect(page.locator("[data-copy=own-link]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == own_link

    share_hrefs = page.eval_on_selector_all(
        ".lp-share-buttons a", "links => links.map(a => a.href)"
    )
    assert [href.split(":")[0] for href in share_hrefs] == [
        "mailto",
        "https",
        "sms",
        "https",
    ]
    assert all(
        own_link.replace(":", "%3A").replace("/", "%2F") in h for h in share_hrefs
    )

    assert credit_of(live_server.store, "sam@example.org") == ("maya", "credited")
    heard = (
        live_server.store.reader()
        .execute(
            "SELECT count(*) FROM events e JOIN people t ON t.id = e.talker_id "
            "WHERE e.type = 'heard_from' AND t.external_id = 'leo'"
        )
        .fetchone()[0]
    )
    assert heard == 1

    # Sam, in the same browser (consent given), opens their own link.
    page.goto(own_link)
    assert page.url == share_page
    assert (
        page.locator("h1").inner_text()
        == f"Sam, share {live_server.business} with friends"
    )
    assert page.dialogs == [] and page.csp_violations == []


def test_the_share_page_on_a_phone(chromium, live_server, screenshots):
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    phone = context.new_page()
    phone.goto(f"/r/{live_server.code_of('leo')}")
    phone.screenshot(path=screenshots / "05-landing-phone.png", full_page=True)
    phone.fill("#name", "Noor")
    phone.fill("#email", "noor@example.org")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/s/"))
    phone.screenshot(path=screenshots / "06-share-phone.png", full_page=True)
    qr = phone.locator(".lp-qr-code svg").screenshot()
    assert decode_qr(qr) == [phone.input_value("#own-link")]
    context.close()


def test_an_unknown_link_is_a_friendly_page(page, live_server, screenshots):
    response = page.goto("/r/nosuchcd")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "This invitation link doesn't work"
    visit = page.locator("a.lp-button")
    assert visit.inner_text() == f"Visit {live_server.business}"
    assert visit.get_attribute("href") == live_server.destination
    page.screenshot(path=screenshots / "07-unknown-link.png", full_page=True)


@pytest.mark.parametrize("payload", XSS_CORPUS, ids=range(len(XSS_CORPUS)))
def test_hostile_names_fire_no_dialog(page, live_server, screenshots, payload):
    from wom.store import ingest

    ingest(
        live_server.store,
        [
            {
                "type": "signup",
                "customer": "mallory",
                "name": payload,
                "email": "mallory@example.org",
                "at": "2026-01-01T00:00:00Z",
            }
        ],
    )
    page.goto(f"/r/{live_server.code_of('mallory')}")
    assert "invited you to" in page.locator("h1").inner_text()
    page.fill("#name", payload)
    page.fill("#email", "victim@example.org")
    page.fill("#heard_from", payload)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/s/"))
    page.goto(page.url)
    if payload == XSS_CORPUS[1]:
        page.screenshot(path=screenshots / "08-hostile-share.png", full_page=True)
    assert page.dialogs == []
    assert page.csp_violations == []


def test_a_10_kb_hostile_form_fires_no_dialog(page, live_server):
    page.goto(f"/r/{live_server.code_of('maya')}")
    # The browser's own limits are the first guard; the server must hold without.
    page.eval_on_selector("#name", "input => input.removeAttribute('maxlength')")
    page.eval_on_selector("#email", "input => input.setAttribute('type', 'text')")
    payload = ('"><img src=x onerror=alert(1)>' * 400)[:10_240]
    page.fill("#name", payload)
    page.fill("#email", payload[:300])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".lp-error").first.inner_text()
    assert page.dialogs == []
    assert page.csp_violations == []


# -- the consent box --------------------------------------------------------------

CONSENT_GEOMETRY = """() => {
  const box = document.querySelector('.lp-consent');
  const label = document.querySelector('label[for=consent]');
  const words = label.querySelector('strong');
  const style = getComputedStyle(box);
  const lines = document.createRange();
  lines.selectNodeContents(words);
  const rect = (element) => element.getBoundingClientRect().toJSON();
  return {
    row: box.clientWidth - parseFloat(style.paddingLeft)
      - parseFloat(style.paddingRight),
    label: rect(label),
    checkbox: rect(document.getElementById('consent')),
    words: rect(words),
    word_lines: lines.getClientRects().length,
  };
}"""


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_the_consent_box_is_a_checkbox_beside_its_words(
    chromium, live_server, screenshots, width, height
):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.goto(f"/r/{live_server.code_of('maya')}")
    page.screenshot(path=screenshots / f"landing-{width}.png", full_page=True)
    shape = page.evaluate(CONSENT_GEOMETRY)
    label, checkbox, words = shape["label"], shape["checkbox"], shape["words"]
    # The label is the whole row, the checkbox inside it: one click target.
    assert label["width"] >= shape["row"] - 0.5
    assert label["left"] <= checkbox["left"] and checkbox["right"] <= label["right"]
    assert label["top"] <= checkbox["top"] and checkbox["bottom"] <= label["bottom"]
    # The words beside the checkbox, level with it, on one line.
    assert words["left"] >= checkbox["right"]
    assert words["top"] < checkbox["bottom"] and checkbox["top"] < words["bottom"]
    assert shape["word_lines"] == 1
    page.click("label[for=consent] strong")
    assert page.is_checked("#consent")
    context.close()


# -- the phone's own share sheet --------------------------------------------------

NO_SHARE_SHEET = "delete Navigator.prototype.share; delete Navigator.prototype.canShare"
# A share sheet that records what it was given, as a phone's would show it.
FAKE_SHARE_SHEET = """Object.defineProperty(Navigator.prototype, 'share', {
  configurable: true,
  value(data) { window.sharedWith = data; return Promise.resolve(); },
});"""


def sign_up_to_share_page(page, live_server, email):
    page.goto(f"/r/{live_server.code_of('maya')}")
    page.fill("#name", "Sam Rivera")
    page.fill("#email", email)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/s/"))


def test_without_a_share_sheet_the_share_button_is_not_shown(page, live_server):
    page.context.add_init_script(NO_SHARE_SHEET)
    sign_up_to_share_page(page, live_server, "sam@example.org")
    button = page.locator("[data-native-share]")
    expect(button).to_be_hidden()
    assert button.bounding_box() is None
    expect(page.locator(".lp-share-buttons a").first).to_be_visible()


def test_with_a_share_sheet_the_share_button_opens_it(page, live_server):
    page.context.add_init_script(FAKE_SHARE_SHEET)
    sign_up_to_share_page(page, live_server, "sam@example.org")
    button = page.get_by_role("button", name="Share with a friend…")
    expect(button).to_be_visible()
    button.click()
    page.wait_for_function("window.sharedWith !== undefined")
    assert page.evaluate("window.sharedWith") == {
        "title": live_server.business,
        "text": f"Have you tried {live_server.business}? {live_server.offer}",
        "url": page.input_value("#own-link"),
    }
