"""The demo generator: shape, invariants, planted fraud, determinism."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import networkx as nx
import pytest

from wom.demo import BOT_USER_AGENTS, DEFAULT_START, LINK_ALPHABET, generate
from wom.demo.names import fold

CUSTOMERS = 2000
SEED = 7
TALKS = ("mention", "heard_from", "referral")
SHAPES = {  # type -> (required keys, optional keys)
    "mention": ({"type", "from", "to", "at", "event_id"}, {"channel"}),
    "heard_from": ({"type", "from", "to", "at", "event_id"}, {"channel"}),
    "referral": ({"type", "from", "to", "at", "event_id"}, {"channel"}),
    "signup": ({"type", "customer", "at", "event_id"}, {"link", "visitor", "ip"}),
    "purchase": ({"type", "customer", "value", "currency", "at", "event_id"}, set()),
    "click": ({"type", "link", "visitor", "at", "user_agent", "event_id"}, {"ip"}),
}


def gmail_normal(email: str) -> str:
    local, _, domain = email.lower().rpartition("@")
    if domain in ("gmail.com", "googlemail.com"):
        return local.split("+", 1)[0].replace(".", "") + "@gmail.com"
    return f"{local}@{domain}"


@pytest.fixture(scope="module")
def demo():
    return generate(CUSTOMERS, seed=SEED)


@pytest.fixture(scope="module")
def events(demo):
    return list(demo.events)


@pytest.fixture(scope="module")
def people(demo):
    return {person["external_id"]: person for person in demo.people}


@pytest.fixture(scope="module")
def owner(people):
    """Link code -> the customer it belongs to."""
    return {p["link_code"]: p["external_id"] for p in people.values() if p["link_code"]}


@pytest.fixture(scope="module")
def customer_since(events):
    """Customer -> when they first signed up, bought or were named in a referral."""
    since = {}
    for event in events:
        if event["type"] in ("signup", "purchase"):
            since.setdefault(event["customer"], event["at"])
        elif event["type"] == "referral":
            since.setdefault(event["to"], event["at"])
    return since


@pytest.fixture(scope="module")
def referral_edges(events, owner):
    """The ring graph: ``link`` edges (a click on u's link, then a sign-up by the
    same visitor) and ``referral`` edges."""
    H = nx.DiGraph()
    clicked = defaultdict(set)
    for event in events:
        if event["type"] == "click":
            clicked[event["visitor"]].add(owner[event["link"]])
        elif event["type"] == "signup":
            for talker in clicked[event.get("visitor")] - {event["customer"]}:
                H.add_edge(talker, event["customer"])
        elif event["type"] == "referral":
            H.add_edge(event["from"], event["to"])
    return H


def test_exactly_the_customers_asked_for(customer_since):
    assert len(customer_since) == CUSTOMERS


def test_prospects_are_people_who_never_converted(people, customer_since):
    prospects = set(people) - set(customer_since)
    assert prospects
    assert all(people[p]["link_code"] is None for p in prospects)


def test_customers_have_unique_link_codes(people, customer_since):
    codes = [people[c]["link_code"] for c in customer_since]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(f"[{LINK_ALPHABET}]{{8}}", code) for code in codes)


def test_every_person_named_exists_and_every_person_is_named(events, people, owner):
    named = set()
    for event in events:
        if event["type"] in TALKS:
            named |= {event["from"], event["to"]}
        elif event["type"] in ("signup", "purchase"):
            named.add(event["customer"])
        if "link" in event:
            assert event["link"] in owner
    assert named == set(people)


@pytest.mark.parametrize("kind", list(SHAPES))
def test_events_have_the_contract_shape(events, kind):
    required, optional = SHAPES[kind]
    typed = [event for event in events if event["type"] == kind]
    assert typed, f"no {kind} event"
    for event in typed:
        assert required <= event.keys() <= required | optional
        assert all(value is not None for value in event.values())


def test_event_ids_are_unique(events):
    assert len({event["event_id"] for event in events}) == len(events)


def test_events_are_sorted_utc_and_within_six_months(demo, events):
    times = [event["at"] for event in events]
    assert times == sorted(times)
    assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in times)
    assert demo.start <= times[0] and times[-1] <= demo.start + timedelta(days=183)


def test_nobody_talks_to_themselves(events):
    assert all(e["from"] != e["to"] for e in events if e["type"] in TALKS)


def test_talkers_and_link_owners_were_customers_already(events, owner, customer_since):
    for event in events:
        if event["type"] == "click":
            talker = owner[event["link"]]
        elif event["type"] in TALKS:
            talker = event["from"]
        else:
            continue
        assert customer_since[talker] <= event["at"], event


def test_link_signups_follow_a_click_from_the_same_visitor(events):
    clicked = set()
    for event in events:
        if event["type"] == "click":
            clicked.add((event["link"], event["visitor"]))
        elif event["type"] == "signup" and "link" in event:
            assert (event["link"], event["visitor"]) in clicked


def test_who_told_you_comes_right_before_the_signup(events):
    signed = {e["customer"]: e["at"] for e in events if e["type"] == "signup"}
    for event in events:
        if event["type"] == "heard_from":
            before = signed[event["to"]] - event["at"]
            assert timedelta(0) < before <= timedelta(minutes=10)


def test_purchases_are_non_negative_euros_and_heavy_tailed(events):
    values = sorted(e["value"] for e in events if e["type"] == "purchase")
    # Exact euros and cents, as the API takes them: never a float near them.
    assert all(isinstance(v, Decimal) and v >= 0 for v in values)
    assert all(v == v.quantize(Decimal("0.01")) for v in values)
    assert {e["currency"] for e in events if e["type"] == "purchase"} == {"EUR"}
    assert values[-1] > 10 * values[len(values) // 2]


def test_most_buyers_buy_once_and_some_come_back(events):
    bought = Counter(e["customer"] for e in events if e["type"] == "purchase")
    once = sum(1 for count in bought.values() if count == 1)
    assert 0.5 < once / len(bought) < 1


def test_some_clicks_are_bots_and_some_clickers_never_convert(events):
    clicks = [e for e in events if e["type"] == "click"]
    assert any(e["user_agent"] in BOT_USER_AGENTS for e in clicks)
    signed_visitors = {e.get("visitor") for e in events if e["type"] == "signup"}
    assert any(
        e["visitor"] not in signed_visitors
        for e in clicks
        if e["user_agent"] not in BOT_USER_AGENTS
    )


def test_names_are_international(people):
    names = [person["name"] for person in people.values()]
    assert any(not name.isascii() for name in names)


def test_emails_are_unique_and_folded_from_names(demo, people):
    emails = [p["email"] for p in people.values() if p["email"]]
    assert len(set(emails)) == len(emails)
    assert all(email.isascii() for email in emails)
    assert any(email.endswith("@gmail.com") for email in emails)
    honest = set(people) - set(demo.planted["burst"]["accounts"])
    for person in (people[p] for p in honest if people[p]["email"]):
        assert fold(person["name"].split()[-1]) in person["email"].split("@")[0]


def test_only_the_burst_shares_a_mailbox(demo, people):
    mailboxes = defaultdict(set)
    for person in people.values():
        if person["email"]:
            mailboxes[gmail_normal(person["email"])].add(person["external_id"])
    shared = [owners for owners in mailboxes.values() if len(owners) > 1]
    burst = demo.planted["burst"]
    assert shared == [{burst["referrer"], *burst["accounts"]}]


@pytest.mark.parametrize("ring", [0, 1])
def test_planted_rings_are_directed_cycles(demo, referral_edges, ring):
    members = demo.planted["rings"][ring]
    assert len(members) in (3, 4)
    for talker, listener in zip(members, members[1:] + members[:1], strict=True):
        assert referral_edges.has_edge(talker, listener)


def test_planted_reciprocal_pair(demo, referral_edges):
    a, b = demo.planted["reciprocal"]
    assert referral_edges.has_edge(a, b) and referral_edges.has_edge(b, a)


def test_every_cycle_runs_through_a_planted_referral(demo, referral_edges):
    # Honest referrals point from earlier to later customers; only the planted
    # referrals back to an earlier customer close cycles.
    rings, (a, b) = demo.planted["rings"], demo.planted["reciprocal"]
    honest = referral_edges.copy()
    honest.remove_edges_from([(ring[-1], ring[0]) for ring in rings] + [(b, a)])
    assert nx.is_directed_acyclic_graph(honest)


def test_burst_signs_up_more_than_ten_accounts_in_ten_minutes(demo, events, people):
    burst = demo.planted["burst"]
    code = people[burst["referrer"]]["link_code"]
    signups = [
        e
        for e in events
        if e["type"] == "signup"
        and e.get("link") == code
        and burst["first_at"] <= e["at"] <= burst["first_at"] + timedelta(minutes=10)
    ]
    assert len(signups) > 10
    assert {e["customer"] for e in signups} == set(burst["accounts"])
    assert (
        len({e["visitor"] for e in signups}) == 1
        or len({e["ip"] for e in signups}) == 1
    )
    referrer = gmail_normal(people[burst["referrer"]]["email"])
    assert {gmail_normal(people[a]["email"]) for a in burst["accounts"]} == {referrer}


def test_same_seed_same_demo(demo, events):
    again = generate(CUSTOMERS, seed=SEED)
    assert again == demo
    assert list(again.events) == events
    assert list(again.people) == list(demo.people)


def test_another_seed_another_demo(demo):
    assert generate(CUSTOMERS, seed=SEED + 1) != demo


def test_start_moves_every_event(demo):
    later = generate(CUSTOMERS, seed=SEED, start=DEFAULT_START + timedelta(days=1))
    assert later.events[0]["at"] - demo.events[0]["at"] == timedelta(days=1)


@pytest.mark.parametrize(
    "start, customers",
    [
        (datetime(2026, 1, 1), 10),
        (DEFAULT_START, -1),
    ],
)
def test_bad_arguments_are_refused(start, customers):
    with pytest.raises(ValueError):
        generate(customers, start=start)


@pytest.mark.parametrize("customers", [0, 1, 5, 199, 200])
def test_small_demos_keep_the_count(customers):
    demo = generate(customers, seed=3)
    assert sum(1 for person in demo.people if person["link_code"]) == customers
    assert bool(demo.planted) == (customers >= 200)


def test_progress_counts_up_to_the_customers():
    calls = []
    generate(50, progress=lambda done, total: calls.append((done, total)))
    assert {total for _, total in calls} == {50}
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (50, 50)


def test_start_is_given_in_utc():
    demo = generate(20, start=datetime(2026, 1, 1, tzinfo=UTC))
    assert demo.events[0]["at"].tzinfo == UTC
