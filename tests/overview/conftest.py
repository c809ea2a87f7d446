"""The overview tests' fixtures: the app's own ingest, and a history of two
months (February and March 2026)."""

from __future__ import annotations

import pytest

from tests.overview.helpers import BROWSER, code_of


@pytest.fixture
def record(app_record):
    return app_record


@pytest.fixture
def history(app, record):
    """Maya joined in February; in March Leo came through her link, Ana by an
    imported referral, Tom after Leo's mention, and Ivy on her own; Leo bought."""
    record(
        {
            "type": "signup",
            "customer": "maya",
            "name": "Maya Okafor",
            "at": "2026-02-10T12:00:00Z",
        }
    )
    maya = code_of(app, "maya")
    record(
        {
            "type": "click",
            "link": maya,
            "visitor": "v1",
            "user_agent": BROWSER,
            "at": "2026-03-02T09:00:00Z",
        },
        {
            "type": "signup",
            "customer": "leo",
            "name": "Leo Chen",
            "link": maya,
            "at": "2026-03-02T10:00:00Z",
        },
        {
            "type": "referral",
            "from": "maya",
            "to": "ana",
            "channel": "instagram",
            "at": "2026-03-05T12:00:00Z",
        },
        {
            "type": "mention",
            "from": "leo",
            "to": "tom",
            "channel": "in person",
            "at": "2026-03-09T12:00:00Z",
        },
        {"type": "signup", "customer": "tom", "at": "2026-03-10T12:00:00Z"},
        {
            "type": "purchase",
            "customer": "leo",
            "value": 25,
            "at": "2026-03-12T12:00:00Z",
        },
        {"type": "signup", "customer": "ivy", "at": "2026-03-20T12:00:00Z"},
    )
