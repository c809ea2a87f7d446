"""Link previews, the share image and the favicon (wom/web/previews.py).

A link pasted into WhatsApp, X or iMessage shows a card built from the page's Open
Graph tags: the business, the offer and a picture, at addresses that come from
the configured PUBLIC_URL and never from the request's Host header.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from PIL import Image

from tests.conftest import IP_KEY, SECRET, app_config
from tests.payloads import XSS_CORPUS
from wom import create_app
from wom.store import ingest, now_micros
from wom.store.settings import write_setting
from wom.store.shares import share_secret

PUBLIC = "https://refer.example.com"
BUSINESS = "Bean & Leaf"
OFFER = "Your first coffee is on us, and your friend gets one too."
# What a client may claim to be: never the address of a preview.
FORGED_HOST = "evil.example"


class Head(HTMLParser):
    """The page's <meta> tags, by property or name."""

    def __init__(self):
        super().__init__()
        self.meta = {}
        self.icons = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content")
        if tag == "link" and attrs.get("rel") == "icon":
            self.icons.append(attrs["href"])


def head_of(html: str) -> Head:
    parser = Head()
    parser.feed(html)
    return parser


@pytest.fixture
def make_app(db_path):
    """Apps on one database, with the config given; closed after the test."""
    made = []

    def make(**config):
        app = create_app(app_config(db_path, **config))
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["wom.store"].close()


def add_customer(app, name="Alice Martin", business=BUSINESS) -> str:
    """Alice, with her link, at ``business``; return her link's code."""
    store = app.extensions["wom.store"]
    ingest(
        store,
        [
            {
                "type": "signup",
                "customer": "alice",
                "name": name,
                "email": "alice@example.org",
                "at": "2026-01-01T00:00:00Z",
            }
        ],
    )
    with store.write() as db:
        write_setting(db, "business_name", business)
        write_setting(db, "offer_text", OFFER)
    return store.reader().execute("SELECT code FROM links").fetchone()[0]


def preview(app, path: str) -> Head:
    with app.test_client().get(path, headers={"Host": FORGED_HOST}) as response:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
    assert FORGED_HOST not in html
    return head_of(html)


# -- the landing page's preview ---------------------------------------------------


def test_a_friends_link_previews_with_the_business_and_the_offer(make_app):
    app = make_app(PUBLIC_URL=PUBLIC)
    meta = preview(app, f"/r/{add_customer(app)}").meta
    assert meta["og:title"] == f"Alice invited you to {BUSINESS}"
    assert meta["og:description"] == OFFER
    assert meta["og:site_name"] == BUSINESS
    assert meta["og:type"] == "website"
    assert meta["twitter:card"] == "summary_large_image"


def test_preview_addresses_come_from_the_public_url_not_the_host(make_app):
    app = make_app(PUBLIC_URL=PUBLIC + "/")
    code = add_customer(app)
    meta = preview(app, f"/r/{code}").meta
    assert meta["og:url"] == f"{PUBLIC}/r/{code}"
    assert meta["og:image"] == f"{PUBLIC}/share-image"


def test_a_public_url_with_a_path_keeps_it(make_app):
    app = make_app(PUBLIC_URL="https://example.com/refer")
    code = add_customer(app)
    meta = preview(app, f"/r/{code}").meta
    assert meta["og:url"] == f"https://example.com/refer/r/{code}"
    assert meta["og:image"] == "https://example.com/refer/share-image"


def test_without_a_public_url_no_address_is_guessed(make_app):
    app = make_app()
    meta = preview(app, f"/r/{add_customer(app)}").meta
    assert "og:url" not in meta and "og:image" not in meta
    assert meta["og:title"] == f"Alice invited you to {BUSINESS}"
    assert meta["twitter:card"] == "summary"


def test_a_page_without_a_friends_link_promises_no_offer(make_app):
    app = make_app(PUBLIC_URL=PUBLIC)
    add_customer(app)
    meta = preview(app, "/join").meta
    assert meta["og:title"] == f"You're invited to {BUSINESS}"
    assert "og:description" not in meta and "og:url" not in meta


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_hostile_names_stay_plain_text_in_the_preview(make_app, payload):
    app = make_app(PUBLIC_URL=PUBLIC)
    code = add_customer(app, name=payload, business=payload[:80])
    with app.test_client().get(f"/r/{code}") as response:
        html = response.get_data(as_text=True)
    meta = head_of(html).meta
    assert meta["og:site_name"] == payload[:80]
    assert meta["og:title"].endswith(f" invited you to {payload[:80]}")
    assert html.count("<script") == 1, "only landing.js"


def test_the_share_page_has_no_preview(make_app):
    """Its address is a customer's key: nothing invites anyone to pass it on."""
    app = make_app(PUBLIC_URL=PUBLIC)
    add_customer(app)
    store = app.extensions["wom.store"]
    with store.write() as db:
        secret, _ = share_secret(db, 1, now_micros())
    meta = preview(app, f"/s/{secret}").meta
    assert not [key for key in meta if key.startswith(("og:", "twitter:"))]


def test_the_link_on_the_share_page_is_under_the_public_url(make_app):
    app = make_app(PUBLIC_URL=PUBLIC)
    code = add_customer(app)
    with app.extensions["wom.store"].write() as db:
        secret, _ = share_secret(db, 1, now_micros())
    with app.test_client().get(f"/s/{secret}", headers={"Host": FORGED_HOST}) as r:
        html = r.get_data(as_text=True)
    assert f'value="{PUBLIC}/r/{code}"' in html
    assert FORGED_HOST not in html


# -- the public address itself --------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "refer.example.com",
        "ftp://refer.example.com",
        "https://",
        "https://refer.example.com/?utm=1",
        "https://refer.example.com/#top",
        "https://user:pass@refer.example.com",
    ],
)
def test_a_bad_public_url_stops_the_start_and_names_the_setting(make_app, bad):
    with pytest.raises(RuntimeError, match="WOM_PUBLIC_URL"):
        make_app(PUBLIC_URL=bad)


def test_the_environment_gives_the_public_url(monkeypatch, tmp_path):
    for name, value in {
        "WOM_DATABASE": str(tmp_path / "env.db"),
        "WOM_SECRET_KEY": SECRET,
        "WOM_IP_KEY": IP_KEY,
        "WOM_WEBHOOK_KEY": "w" * 64,
        "WOM_PUBLIC_URL": PUBLIC + "/",
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app()
    try:
        assert app.config["PUBLIC_URL"] == PUBLIC
    finally:
        app.extensions["wom.store"].close()


# -- the pictures ----------------------------------------------------------------


def picture(app, path):
    with app.test_client().get(path) as response:
        assert response.status_code == 200
        return response.mimetype, response.get_data()


def test_the_default_share_image_is_a_large_card_png(make_app):
    mimetype, data = picture(make_app(), "/share-image")
    image = Image.open(io.BytesIO(data))
    assert (mimetype, image.format, image.size) == ("image/png", "PNG", (1200, 630))
    assert len(data) < 300_000, "WhatsApp shows no picture much over 300 kB"


@pytest.mark.parametrize(
    "name, kind, mimetype",
    [
        ("share-image.png", "PNG", "image/png"),
        ("share-image.jpg", "JPEG", "image/jpeg"),
    ],
)
def test_the_owners_share_image_in_the_instance_folder_wins(
    make_app, tmp_path, name, kind, mimetype
):
    app = make_app()
    app.instance_path = str(tmp_path)
    owners = io.BytesIO()
    Image.new("RGB", (1200, 630), "#884400").save(owners, kind)
    (tmp_path / name).write_bytes(owners.getvalue())
    assert picture(app, "/share-image") == (mimetype, owners.getvalue())


def test_the_favicon_is_an_icon_of_the_usual_sizes(make_app):
    mimetype, data = picture(make_app(), "/favicon.ico")
    icon = Image.open(io.BytesIO(data))
    assert mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32)} <= icon.info["sizes"]


def test_the_owners_favicon_in_the_instance_folder_wins(make_app, tmp_path):
    app = make_app()
    app.instance_path = str(tmp_path)
    owners = io.BytesIO()
    Image.new("RGB", (32, 32), "#884400").save(owners, "ICO")
    (tmp_path / "favicon.ico").write_bytes(owners.getvalue())
    assert picture(app, "/favicon.ico")[1] == owners.getvalue()


@pytest.mark.parametrize("page", ["/", "/join", "/no/such/page"])
def test_every_page_names_the_favicon(make_app, page):
    app = make_app()
    with app.test_client().get(page) as response:
        assert head_of(response.get_data(as_text=True)).icons == ["/favicon.ico"]
