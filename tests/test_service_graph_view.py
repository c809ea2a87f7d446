"""The Graph page's view is kept until the figures move: asked again it is the
same, without selecting the subgraph again; after a write, or new background
figures, it is made anew; and what a caller adds to it stays the caller's."""

from __future__ import annotations

import pytest

from tests.dashboard_pages import STORY
from wom.service import graph_view as views
from wom.service import subgraph
from wom.service.subgraph import Filters


@pytest.fixture
def selections(monkeypatch) -> list:
    """Each subgraph selection the view makes, as it makes it."""
    made = []
    select = subgraph.select

    def counted(*args, **kwargs):
        made.append(args[3])  # the filters
        return select(*args, **kwargs)

    monkeypatch.setattr(subgraph, "select", counted)
    return made


@pytest.fixture
def told(service, record):
    record(*STORY)
    return service


def ids(view: dict) -> set[str]:
    return {row["id"] for row in view["nodes"]}


def test_asked_again_the_view_is_the_same_without_a_new_selection(told, selections):
    first = views.graph_view(told)
    assert views.graph_view(told) == first
    assert len(selections) == 1


def test_other_filters_are_a_view_of_their_own(told, selections):
    everyone = views.graph_view(told)
    converted = views.graph_view(told, Filters(converted_only=True))
    assert ids(converted) < ids(everyone)
    assert views.graph_view(told) == everyone
    assert len(selections) == 2


def test_a_write_makes_the_view_anew(told, record, selections):
    assert "zoe" not in ids(views.graph_view(told))
    record(
        {"type": "referral", "from": "maya", "to": "zoe", "at": "2026-02-01T00:00:00Z"},
        {"type": "signup", "customer": "zoe", "at": "2026-02-01T00:00:00Z"},
    )
    assert "zoe" in ids(views.graph_view(told))
    assert len(selections) == 2


def test_new_background_figures_make_the_view_anew(told):
    assert views.graph_view(told)["colour_by"] == "acquisition"
    told.refresh_background(wait=True)
    assert views.graph_view(told)["colour_by"] == "community"


def test_what_a_caller_adds_stays_the_callers(told):
    view = views.graph_view(told)
    for row in view["nodes"]:
        row["name"] = "<added by the page>"
    assert all("name" not in row for row in views.graph_view(told)["nodes"])
