"""Rings, reciprocal pairs, bursts, self-referrals and review flags.

See docs/reliability.md, Fraud.
"""

from __future__ import annotations

import re
from itertools import permutations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wom.analytics.fraud import (
    bursts,
    flags,
    reciprocal_pairs,
    rings,
    self_referral_evidence,
)
from wom.emails import normalise_email

SETTINGS = settings(max_examples=50, deadline=None)
KINDS = ["link", "referral", "mention", "heard_from"]


def talk(G, u, v, *kinds):
    G.add_edge(u, v, kinds=frozenset(kinds or ["link"]))


def credit(customer, referrer, at, ip=None, visitor=None):
    return {
        "customer_id": customer,
        "referrer_id": referrer,
        "at": at,
        "ip_hmac": ip,
        "visitor": visitor,
    }


@st.composite
def conversation_graphs(draw, max_nodes=7):
    n = draw(st.integers(0, max_nodes))
    G = nx.DiGraph()
    for u in range(n):
        G.add_node(u, status=draw(st.sampled_from(["customer"] * 4 + ["prospect"])))
    if n:
        node = st.integers(0, n - 1)
        kinds = st.frozensets(st.sampled_from(KINDS), min_size=1)
        for u, v, ks in draw(st.lists(st.tuples(node, node, kinds), max_size=3 * n)):
            G.add_edge(u, v, kinds=ks)
    return G


def brute_force_rings(G) -> set[tuple]:
    """Every directed cycle of 2..4 customers on link/referral edges, rotated."""

    def counts(u, v):
        kinds = G.edges[u, v]["kinds"] if G.has_edge(u, v) else frozenset()
        return bool(kinds & {"link", "referral"})

    customers = [u for u in G if G.nodes[u].get("status") == "customer"]
    found = set()
    for length in (2, 3, 4):
        for cycle in permutations(customers, length):
            steps = zip(cycle, cycle[1:] + cycle[:1], strict=True)
            if all(counts(u, v) for u, v in steps):
                start = cycle.index(min(cycle))
                found.add(cycle[start:] + cycle[:start])
    return found


# --- rings and reciprocal pairs ---------------------------------------------------


def test_a_referral_triangle_is_a_ring_and_mentions_are_not():
    G = nx.DiGraph()
    talk(G, 5, 3)
    talk(G, 3, 4, "referral")
    talk(G, 4, 5, "link", "mention")
    talk(G, 6, 7, "mention")
    talk(G, 7, 6, "heard_from")
    assert rings(G) == {"rings": [[3, 4, 5]], "truncated": False, "limit": 1000}
    assert reciprocal_pairs(G) == []


def test_prospects_self_loops_and_long_cycles_are_not_rings():
    G = nx.DiGraph()
    talk(G, 1, 1)
    talk(G, 1, 2)
    talk(G, 2, 1)
    G.nodes[2]["status"] = "prospect"
    nx.add_cycle(G, [10, 11, 12, 13, 14], kinds=frozenset({"link"}))
    assert rings(G)["rings"] == []
    assert reciprocal_pairs(G) == []


def test_rings_are_listed_up_to_the_limit():
    G = nx.DiGraph()
    for a in range(0, 30, 2):
        talk(G, a, a + 1)
        talk(G, a + 1, a)
    full = rings(G)
    assert len(full["rings"]) == 15 and not full["truncated"]
    cut = rings(G, limit=4)
    assert len(cut["rings"]) == 4 and cut["truncated"]
    assert rings(G, limit=15)["truncated"] is False
    assert reciprocal_pairs(G) == [(a, a + 1) for a in range(0, 30, 2)]


@SETTINGS
@given(conversation_graphs())
def test_rings_match_brute_force(G):
    found = rings(G)
    assert not found["truncated"]
    assert {tuple(r) for r in found["rings"]} == brute_force_rings(G)
    assert len(found["rings"]) == len({tuple(r) for r in found["rings"]})
    pairs = {r for r in brute_force_rings(G) if len(r) == 2}
    assert set(reciprocal_pairs(G)) == pairs


def test_rings_on_empty_and_isolated_graphs():
    assert rings(nx.DiGraph())["rings"] == []
    G = nx.DiGraph()
    G.add_nodes_from([1, 2, 3])
    assert rings(G)["rings"] == [] and reciprocal_pairs(G) == []


# --- bursts ------------------------------------------------------------------------


def test_more_than_threshold_signups_in_ten_minutes_is_a_burst():
    eleven = [credit(c, 1, 50.0 * c) for c in range(11)]  # spans 500 s
    (found,) = bursts(eleven)
    assert found["referrer_id"] == 1 and found["reasons"] == ["burst"]
    assert found["window"] == {
        "count": 11,
        "start": 0.0,
        "end": 500.0,
        "customer_ids": list(range(11)),
    }
    assert bursts(eleven[:10]) == []  # exactly the threshold is fine


def test_the_window_is_half_open():
    spread = [credit(c, 1, 60.0 * c) for c in range(11)]  # spans exactly 600 s
    assert bursts(spread) == []
    assert bursts(spread, window=601)[0]["window"]["count"] == 11


def test_referees_sharing_an_identifier():
    credits = [
        credit(10, 1, 0, ip="h1", visitor="v1"),
        credit(11, 1, 9000, ip="h1"),
        credit(12, 1, 99000, ip="h1", visitor="v1"),
        credit(13, 1, 99500, ip="", visitor="v1"),
        credit(14, 2, 0, ip="h1"),  # another referrer's referee
    ]
    (found,) = bursts(credits)
    assert found["reasons"] == ["shared_ip", "shared_visitor"]
    assert found["shared"] == [
        {"field": "ip_hmac", "value": "h1", "customer_ids": [10, 11, 12]},
        {"field": "visitor", "value": "v1", "customer_ids": [10, 12, 13]},
    ]
    assert bursts(credits, min_shared=4) == []


def test_duplicates_and_missing_values_are_defined():
    credits = [credit(5, 1, 10.0)] * 12 + [credit(6, None, 10.0), credit(7, 1, None)]
    assert bursts(credits, threshold=1) == []
    assert bursts([]) == []
    assert bursts([credit(1, 2, 0.0)], window=0, threshold=0) == []


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2000)), max_size=30, unique=False
    ),
    st.integers(1, 900),
    st.integers(0, 6),
)
def test_bursts_match_a_brute_force_window(rows, window, threshold):
    credits = [credit(i, r, float(at)) for i, (r, at) in enumerate(rows)]
    found = {b["referrer_id"]: b for b in bursts(credits, window, threshold)}
    for referrer in {r for r, _ in rows}:
        times = [float(at) for r, at in rows if r == referrer]
        best = max(sum(t <= s < t + window for s in times) for t in times)
        assert ("burst" in found.get(referrer, {}).get("reasons", [])) == (
            best > threshold
        )
        if referrer in found:
            assert found[referrer]["window"]["count"] == best
            w = found[referrer]["window"]
            assert w["end"] - w["start"] < window


# --- self-referrals ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Zo.E+promo@GoogleMail.com", "zoe@gmail.com"),
        (" z.o.e@gmail.com ", "zoe@gmail.com"),
        ("Zo.E+promo@example.org", "zo.e+promo@example.org"),
        ("ZOE@Example.ORG", "zoe@example.org"),
    ],
)
def test_normalise_email(raw, normal):
    assert normalise_email(raw) == normal
    assert normalise_email(normal) == normal


def test_same_mailbox_voids_the_credit():
    found = self_referral_evidence(
        {"email": "zoe@gmail.com", "visitor": "v1"},
        {"email": ["other@x.org", "Z.oe+2@googlemail.com"], "visitor": "v1"},
    )
    assert found == {"decision": "void", "matched": ["email"]}


@pytest.mark.parametrize(
    ("referee", "matched"),
    [
        ({"visitor": "v1"}, ["visitor"]),
        ({"ip_hmac": {"h9", "h2"}}, ["ip_hmac"]),
        ({"visitor": "v1", "ip_hmac": "h1"}, ["visitor", "ip_hmac"]),
    ],
)
def test_same_device_holds_the_credit(referee, matched):
    referrer = {"email": "a@x.org", "visitor": "v1", "ip_hmac": ["h1", "h2"]}
    referee = {"email": "b@x.org", **referee}
    assert self_referral_evidence(referrer, referee) == {
        "decision": "hold",
        "matched": matched,
    }


def test_nothing_shared_is_no_evidence():
    assert self_referral_evidence({}, {}) is None
    assert (
        self_referral_evidence({"email": "z.oe@x.org"}, {"email": "zoe@x.org"}) is None
    )
    assert (
        self_referral_evidence({"visitor": "", "ip_hmac": None}, {"visitor": ""})
        is None
    )


# --- review flags -------------------------------------------------------------------


FLAG_KEYS = {"kind", "finding", "members", "credits", "reason"}


def test_a_flag_names_every_credit_along_its_ring():
    G = nx.DiGraph()
    for u, v in [(1, 2), (2, 3), (3, 1), (7, 8), (8, 7)]:
        talk(G, u, v)
    F = nx.DiGraph([(1, 2), (2, 3)])
    found = flags(G, F, [])
    assert all(set(f) == FLAG_KEYS for f in found)
    assert [(f["kind"], f["finding"], f["credits"]) for f in found] == [
        ("reciprocal", "reciprocal:7-8", []),
        ("ring", "ring:1-2-3", [[2, 1], [3, 2]]),
    ]
    assert found[0]["members"] == [7, 8] and found[1]["members"] == [1, 2, 3]


def test_a_finding_keeps_its_name_as_its_credits_grow():
    G = nx.DiGraph()
    for u, v in [(1, 2), (2, 3), (3, 1)]:
        talk(G, u, v)
    before = flags(G, nx.DiGraph([(1, 2)]), [])
    after = flags(G, nx.DiGraph([(1, 2), (2, 3)]), [])
    assert [f["finding"] for f in before] == [f["finding"] for f in after]
    assert before[0]["credits"] == [[2, 1]] and after[0]["credits"] == [[2, 1], [3, 2]]


def test_a_burst_is_named_by_its_referrer_not_its_members():
    early = [credit(c, 42, float(c)) for c in range(11)]
    later = early + [credit(11, 42, 11.0)]
    (before,) = flags(nx.DiGraph(), None, early)
    (after,) = flags(nx.DiGraph(), None, later)
    assert before["finding"] == after["finding"] == "burst:42"
    assert after["credits"][-1] == [11, 42]


def test_flags_for_bursts_and_a_cut_list():
    G = nx.DiGraph()
    for a in range(0, 10, 2):
        talk(G, a, a + 1)
        talk(G, a + 1, a)
        talk(G, a, a + 100)
        talk(G, a + 100, a + 1)
        talk(G, a + 1, a + 200)
        talk(G, a + 200, a)
    credits = [credit(c, 42, float(c)) for c in range(20)]
    credits += [credit(c, 43, 10_000.0 * c, ip="h") for c in range(3)]
    found = flags(G, None, credits, limit=3)
    kinds = [f["kind"] for f in found]
    assert kinds.count("reciprocal") == 5
    assert found[-3] == {
        "kind": "ring",
        "finding": "ring:more",
        "members": [],
        "credits": [],
        "reason": "more than 3 rings; only 3 flagged",
    }
    burst, shared = found[-2:]
    assert (burst["kind"], burst["finding"], len(burst["credits"])) == (
        "burst",
        "burst:42",
        20,
    )
    assert shared["credits"] == [[0, 43], [1, 43], [2, 43]]
    # The device is named by a digest: a finding never carries the value itself.
    assert re.fullmatch(r"burst:43:ip:[0-9a-f]{12}", shared["finding"])
    assert "IP" in shared["reason"]
