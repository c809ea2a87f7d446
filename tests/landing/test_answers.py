""" "Who else told you about us?": answers that name a customer become heard_from edges;
the rest wait for the owner.

Each test names one rule of the journey or of docs/reliability.md.
"""

from __future__ import annotations

import pytest

from tests.landing.helpers import (
    count,
    credit_of,
    customer,
    person_with_email,
    sign_up,
)

# -- "who else told you about us?" ------------------------------------------------


@pytest.fixture
def named(store, alice):
    customer(store, "kim", "Kim Lee", "kim@example.org")
    customer(store, "jo1", "Jo Park", "jo.park@example.org")
    customer(store, "jo2", "Jo Park", "jo2@example.org")
    customer(store, "zoe", "Zoë Dupont", "zoe@example.org")


def heard_from_edges(store, listener_email):
    return [
        row[0]
        for row in store.reader().execute(
            "SELECT t.external_id FROM events e JOIN people t ON t.id = e.talker_id "
            "JOIN identities i ON i.person_id = e.listener_id "
            "WHERE e.type = 'heard_from' AND i.email = ?",
            [listener_email],
        )
    ]


def answer_row(store):
    return (
        store.reader()
        .execute(
            "SELECT a.text, r.external_id FROM answers a "
            "LEFT JOIN people r ON r.id = a.resolved_id"
        )
        .fetchone()
    )


@pytest.mark.parametrize(
    "answer, talker",
    [
        ("kim@example.org", "kim"),
        ("KIM@Example.org", "kim"),
        ("Kim Lee", "kim"),
        ("  kim   LEE ", "kim"),
        ("zoë dupont", "zoe"),
        ("ZOË DUPONT", "zoe"),
    ],
)
def test_an_answer_naming_a_customer_becomes_heard_from(
    client, store, named, alice, answer, talker
):
    sign_up(client, f"/r/{alice}", email="new@example.org", heard_from=answer)
    assert heard_from_edges(store, "new@example.org") == [talker]
    assert answer_row(store) == (answer.strip(), talker)
    new = person_with_email(store, "new@example.org")
    assert credit_of(store, new) == ("alice", "credited"), "the link came first"


@pytest.mark.parametrize(
    "answer",
    ["Jo Park", "Kim", "someone at the market", "nobody@example.org", "<b>Kim</b>"],
)
def test_an_answer_matching_nobody_or_several_is_kept_unresolved(
    client, store, named, answer
):
    sign_up(client, email="new@example.org", heard_from=answer)
    assert heard_from_edges(store, "new@example.org") == []
    assert answer_row(store) == (answer, None)


def test_a_heard_from_answer_alone_earns_the_credit(client, store, named):
    sign_up(client, email="new@example.org", heard_from="kim@example.org")
    new = person_with_email(store, "new@example.org")
    assert credit_of(store, new) == ("kim", "credited")


def test_an_answer_naming_oneself_is_not_an_edge(client, store, named):
    sign_up(client, name="Kim Lee", email="kim@example.org", heard_from="Kim Lee")
    assert count(store, "events", "type = 'heard_from'") == 0
