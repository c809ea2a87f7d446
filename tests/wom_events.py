"""Hypothesis strategies for random event histories, shared by the property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

PEOPLE = ["ann", "bob", "cat", "dan", "eve", "fay"]
EMAILS = ["ann@gmail.com", "a.nn@gmail.com", "bob@x.org", "cat@x.org", None]
START = datetime(2026, 1, 1, tzinfo=UTC)

person = st.sampled_from(PEOPLE)
moment = st.integers(0, 400).map(lambda h: (START + timedelta(hours=h * 7)).isoformat())
pair = st.tuples(person, person).filter(lambda p: p[0] != p[1])


@st.composite
def events(draw):
    kind = draw(
        st.sampled_from(
            [
                "signup",
                "signup",
                "purchase",
                "mention",
                "heard_from",
                "referral",
                "click",
            ]
        )
    )
    at = draw(moment)
    if kind in ("mention", "heard_from", "referral"):
        talker, listener = draw(pair)
        return {"type": kind, "from": talker, "to": listener, "at": at}
    if kind == "purchase":
        return {
            "type": "purchase",
            "customer": draw(person),
            "at": at,
            "value": draw(st.sampled_from([0, 5, 12.5])),
        }
    if kind == "click":
        return {
            "type": "click",
            "link_of": draw(person),
            "at": at,
            "visitor": draw(st.sampled_from(["v1", "v2"])),
            "user_agent": draw(st.sampled_from(["Mozilla/5.0", "Slackbot 1.0"])),
        }
    event = {"type": "signup", "customer": draw(person), "at": at}
    if draw(st.booleans()):
        event["link_of"] = draw(person)
    if (email := draw(st.sampled_from(EMAILS))) is not None:
        event["email"] = email
    if draw(st.booleans()):
        event["visitor"] = draw(st.sampled_from(["v1", "v2", "v3"]))
    return event


def resolve_links(store, batch):
    """Turn `link_of` into a real link code, dropping events whose owner has none."""
    codes = dict(
        store.reader().execute(
            "SELECT p.external_id, l.code FROM links l "
            "JOIN people p ON p.id = l.owner_id"
        )
    )
    resolved = []
    for event in batch:
        event = dict(event)
        owner = event.pop("link_of", None)
        if owner is not None:
            if owner not in codes:
                if event["type"] == "click":
                    continue
            else:
                event["link"] = codes[owner]
        resolved.append(event)
    return resolved
