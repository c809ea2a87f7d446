"""The overview page and its twin: one dict rendered, the charts' data handed to the
script as JSON, names as text, checked query parameters, and the first steps of an
empty database."""

from __future__ import annotations

import re

import orjson
import pytest
from flask import template_rendered

from tests.api_client import ApiClient
from tests.overview.helpers import (
    MARCH,
    get,
    twin,
)
from tests.payloads import XSS_CORPUS


@pytest.fixture
def rendered(app):
    """The ``page`` dict of every template rendered meanwhile."""
    seen = []

    def remember(sender, template, context, **extra):
        if "page" in context:
            seen.append(context["page"])

    template_rendered.connect(remember, app)
    yield seen
    template_rendered.disconnect(remember, app)


@pytest.mark.parametrize("query", [MARCH, "range=all", ""])
def test_the_twin_returns_the_dict_the_page_renders(
    owner_client, history, rendered, query
):
    status, _, _ = get(owner_client, f"/dashboard?{query}")
    assert status == 200
    page = orjson.loads(orjson.dumps(rendered[-1]))
    answer = twin(owner_client, f"/dashboard?{query}")
    # The background state and the times ago move between the two requests.
    assert page | {"background": None} == answer | {"background": None}


def test_the_page_hands_the_charts_data_to_its_script_as_json(owner_client, history):
    _, _, html = get(owner_client, f"/dashboard?{MARCH}")
    block = re.search(
        r'<script type="application/json" id="overview-charts">(.*?)</script>',
        html,
        re.S,
    )[1]
    assert orjson.loads(block) == twin(owner_client, f"/dashboard?{MARCH}")["charts"]
    assert "dashboard-overview.js" in html and "vendor/chart.umd.min.js" in html


@pytest.mark.parametrize("name", XSS_CORPUS)
def test_names_from_strangers_stay_text(owner_client, record, name):
    record(
        {"type": "signup", "customer": "x", "name": name, "at": "2026-03-02T12:00:00Z"}
    )
    record({"type": "referral", "from": "x", "to": "y", "at": "2026-03-03T12:00:00Z"})
    status, _, html = get(owner_client, f"/dashboard?{MARCH}")
    assert status == 200
    if "<" in name:
        assert name not in html
    block = re.search(
        r'<script type="application/json" id="overview-charts">(.*?)</script>',
        html,
        re.S,
    )[1]
    assert "</" not in block and "<script" not in block.lower()
    # Kept as given, but for the spaces around it.
    assert orjson.loads(block)["reach"]["starters"][0]["name"] == name.strip()


# -- query parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-3-1&to=2026-03-28", "from"),
        ("from=1969-12-31&to=2026-03-28", "from"),
        ("from=2026-03-01&to=2201-01-01", "to"),
        ("from=2026-03-28&to=2026-03-01", "to"),
        ("from=2026-03-01", "from"),
        ("to=2026-03-01", "to"),
        ("range=decade", "range"),
        ("range=4w&from=2026-03-01&to=2026-03-28", "range"),
        ("range=4w&range=all", "range"),
        ("bucket=day", "bucket"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(owner_client, history, query, field):
    status, headers, body = get(owner_client, f"/dashboard.json?{query}")
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    assert orjson.loads(body)["errors"][0]["field"] == field
    status, headers, html = get(owner_client, f"/dashboard?{query}")
    assert status == 400
    assert headers["Content-Type"].startswith("text/html")
    assert f"Query parameter {field}" in html


# -- an empty database -----------------------------------------------------------------


def test_an_empty_database_shows_how_to_start(owner_client):
    status, _, html = get(owner_client, "/dashboard")
    assert status == 200
    assert 'id="join-url" href="http://localhost/join"' in html
    assert "flask --app wom create-token" in html
    assert "curl -X POST http://localhost/api/v1/customers" in html
    assert 'href="http://localhost/api/docs"' in html
    data = twin(owner_client, "/dashboard")
    assert data["empty"] is True and data["customers"] == 0


def test_the_empty_pages_api_example_makes_a_customer_with_a_link(app, owner_client):
    example = twin(owner_client, "/dashboard")["example_customer"]
    api = ApiClient.for_app(app)
    assert api.post("/customers", json=example).status == 201
    links = api.get(f"/customers/{example['id']}/links").json["items"]
    assert len(links) == 1
    data = twin(owner_client, "/dashboard?range=all")
    assert data["empty"] is False and data["customers"] == 1


def test_prospects_alone_still_get_the_first_steps(owner_client, record):
    record({"type": "mention", "from": "a", "to": "b", "at": "2026-03-01T12:00:00Z"})
    data = twin(owner_client, "/dashboard")
    assert data["empty"] is True and data["prospects"] == 2
