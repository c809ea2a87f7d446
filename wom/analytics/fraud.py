"""Fraud signals: rings, reciprocal pairs and bursts (docs/reliability.md, Fraud).

Every finding can become a review flag ``{kind, finding, members, credits,
reason}``; :func:`flags` gathers them. ``finding`` names what was found so that
the same finding keeps its name across runs however its members grow (a ring by
its cycle, a pair by its two people, a burst by its referrer and reason), and
``credits`` lists the ``[customer, referrer]`` credits along it. Nothing here
blocks anyone: flags go to a review list, and credit waits for the owner.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import networkx as nx
import numpy as np

from wom.analytics.arrays import KIND_BITS, GraphArrays
from wom.analytics.bursts import burst_suspects, bursts

from ..emails import normalise_email

__all__ = [
    "rings",
    "reciprocal_pairs",
    "bursts",
    "self_referral_evidence",
    "flags",
    "flags_from_arrays",
]

# Mentions and "heard from" answers are just talking; only these can be gamed.
RING_KINDS = frozenset({"link", "referral"})


def _is_customer(attrs: Mapping) -> bool:
    return attrs.get("status", "customer") == "customer"


def _referral_graph(G: nx.DiGraph) -> nx.DiGraph:
    """Customers and the ``link``/``referral`` edges between them, minus self-loops."""
    nodes = G.nodes
    H = nx.DiGraph()
    H.add_edges_from(
        (u, v)
        for u, v, kinds in G.edges(data="kinds", default=frozenset())
        if u != v
        and not RING_KINDS.isdisjoint(kinds)
        and _is_customer(nodes[u])
        and _is_customer(nodes[v])
    )
    return H


def _rotate(cycle: list) -> list:
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]


def rings(G: nx.DiGraph, limit: int = 1000) -> dict:
    """Directed cycles of 2 to 4 customers on ``link`` and ``referral`` edges.

    Each ring is a list of node ids in cycle order, starting at the smallest id.
    At most ``limit`` are listed, in the order networkx finds them, then sorted;
    ``truncated`` says that more exist.

    Parameters
    ----------
    G : nx.DiGraph
        The conversation graph (edges carry ``kinds``; nodes may carry ``status``,
        and a node without one counts as a customer).
    limit : int
        Most rings to list.

    Returns
    -------
    dict
        ``rings`` (list of lists), ``truncated`` (bool) and ``limit``.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([(3, 1), (1, 2), (2, 3)], kinds=frozenset({"link"}))
    >>> G.add_edges_from([(4, 5), (5, 4)], kinds=frozenset({"mention"}))
    >>> rings(G)
    {'rings': [[1, 2, 3]], 'truncated': False, 'limit': 1000}
    >>> rings(G, limit=0)["truncated"]
    True
    """
    return _rings_of(_referral_graph(G), limit)


def _rings_of(H: nx.DiGraph, limit: int) -> dict:
    """:func:`rings` of the referral graph ``H`` itself."""
    found, truncated = [], False
    for cycle in nx.simple_cycles(H, length_bound=4):
        if len(found) >= limit:
            truncated = True
            break
        found.append(_rotate(cycle))
    found.sort(key=lambda ring: (len(ring), ring))
    return {"rings": found, "truncated": truncated, "limit": limit}


def reciprocal_pairs(G: nx.DiGraph) -> list[tuple]:
    """Pairs of customers linked both ways by ``link`` or ``referral`` edges.

    Each pair is ``(smaller id, larger id)``; the list is sorted.

    >>> G = nx.DiGraph()
    >>> G.add_edges_from([(2, 1), (1, 2), (2, 3)], kinds=frozenset({"referral"}))
    >>> G.add_edges_from([(3, 2)], kinds=frozenset({"mention"}))
    >>> reciprocal_pairs(G)
    [(1, 2)]
    """
    return _reciprocal_of(_referral_graph(G))


def _reciprocal_of(H: nx.DiGraph) -> list[tuple]:
    return sorted((u, v) for u, v in H.edges() if u < v and H.has_edge(v, u))


def _values(side: Mapping, key: str) -> set:
    value = side.get(key)
    if value is None or value == "":
        return set()
    values = {value} if isinstance(value, str) else set(value)
    return {v for v in values if v}


def self_referral_evidence(referrer: Mapping, referee: Mapping) -> dict | None:
    """Whether a credit is a self-referral: ``void``, ``hold``, or None.

    Each side maps ``email``, ``visitor`` and ``ip_hmac`` to a string, a collection
    of strings, or None. Emails are compared normalised (docs/reliability.md,
    Fraud): the same mailbox voids the credit for good. Only a shared visitor
    cookie or IP hash holds it for review, because households and offices share
    addresses.

    >>> a = {"email": "Zo.e@gmail.com", "visitor": "v1", "ip_hmac": ["h1", "h2"]}
    >>> self_referral_evidence(a, {"email": "zoe+2@googlemail.com"})["decision"]
    'void'
    >>> self_referral_evidence(a, {"email": "max@example.org", "ip_hmac": "h2"})
    {'decision': 'hold', 'matched': ['ip_hmac']}
    >>> self_referral_evidence(a, {"email": "max@example.org"}) is None
    True
    """
    mine, theirs = (
        {normalise_email(e) for e in _values(s, "email")} for s in (referrer, referee)
    )
    if mine & theirs:
        return {"decision": "void", "matched": ["email"]}
    matched = [
        key
        for key in ("visitor", "ip_hmac")
        if _values(referrer, key) & _values(referee, key)
    ]
    return {"decision": "hold", "matched": matched} if matched else None


def _flag(kind, finding, members, credits, reason) -> dict:
    return {
        "kind": kind,
        "finding": finding,
        "members": list(members),
        "credits": [list(credit) for credit in credits],
        "reason": reason,
    }


def _cycle_flag(kind: str, cycle: list, F: nx.DiGraph | None, reason: str) -> dict:
    """The flag of a ring or pair, naming each credit of ``F`` along it."""
    steps = zip(cycle, cycle[1:] + cycle[:1], strict=True)
    credits = [(v, u) for u, v in steps if F is not None and F.has_edge(u, v)]
    finding = f"{kind}:{'-'.join(str(m) for m in cycle)}"
    return _flag(kind, finding, cycle, credits, reason)


def _digest(value: str) -> str:
    """A short, stable stand-in for a device value (never shown or stored whole)."""
    return hashlib.sha256(str(value).encode()).hexdigest()[:12]


def flags(
    G: nx.DiGraph,
    F: nx.DiGraph | None,
    credits: Iterable[Mapping],
    *,
    limit: int = 1000,
    window: float = 600,
    threshold: int = 10,
    min_shared: int = 3,
) -> list[dict]:
    """Review flags for rings, reciprocal pairs and bursts.

    Each flag is ``{kind, finding, members, credits, reason}`` with kind
    ``"ring"``, ``"reciprocal"`` or ``"burst"``. A ring or pair names every credit
    of ``F`` along it (none when nothing along it was credited); a burst names
    its referrer's credits in the densest window, or those that share one device.
    When more than ``limit`` rings exist, a last ``ring`` flag (finding
    ``ring:more``) with no members says so.

    >>> G = nx.DiGraph()
    >>> G.add_edges_from([(1, 2), (2, 1)], kinds=frozenset({"link"}))
    >>> F = nx.DiGraph([(1, 2)])
    >>> [(f["finding"], f["members"], f["credits"]) for f in flags(G, F, [])]
    [('reciprocal:1-2', [1, 2], [[2, 1]])]
    """
    rule = {"window": window, "threshold": threshold, "min_shared": min_shared}
    H = _referral_graph(G)
    return _assemble(H, F, bursts(credits, **rule), limit, window)


def flags_from_arrays(
    ga: GraphArrays,
    evidence: Mapping,
    *,
    limit: int = 1000,
    window: float = 600,
    threshold: int = 10,
    min_shared: int = 3,
) -> list[dict]:
    """:func:`flags` of the graphs that ``ga`` holds, with ``evidence`` as columns.

    ``evidence`` has the columns of ``wom.store.queries.credit_evidence_arrays``
    (``customer_id``, ``referrer_id``, ``at``, ``ip_hmac``, ``visitor``). Rings
    are searched on the few ``link``/``referral`` edges among customers only, and
    bursts are worked out in full only for referrers that an array pass finds
    could have one.

    >>> G = nx.DiGraph()
    >>> G.add_edges_from([(1, 2), (2, 1)], kinds=frozenset({"link"}))
    >>> ga = GraphArrays.from_graph(G, nx.DiGraph([(1, 2)]))
    >>> no_evidence = {"customer_id": [], "referrer_id": [], "at": [],
    ...                "ip_hmac": [], "visitor": []}
    >>> [(f["finding"], f["credits"]) for f in flags_from_arrays(ga, no_evidence)]
    [('reciprocal:1-2', [[2, 1]])]
    """
    ids = ga.ids
    ring_bits = KIND_BITS["link"] | KIND_BITS["referral"]
    keep = (
        (ga.kinds & ring_bits).astype(bool)
        & ga.customer[ga.src]
        & ga.customer[ga.dst]
        & (ga.src != ga.dst)
    )
    H = nx.DiGraph()
    H.add_edges_from(
        zip(ids[ga.src[keep]].tolist(), ids[ga.dst[keep]].tolist(), strict=True)
    )
    # Only credits between members of H can lie along a ring or a pair.
    inside = np.zeros(len(ga), bool)
    inside[ga.src[keep]] = inside[ga.dst[keep]] = True
    along = inside[ga.credit_referrer] & inside[ga.credit_customer]
    F = nx.DiGraph()
    F.add_edges_from(
        zip(
            ids[ga.credit_referrer[along]].tolist(),
            ids[ga.credit_customer[along]].tolist(),
            strict=True,
        )
    )
    suspects = burst_suspects(evidence, window, threshold, min_shared)
    referrer = np.asarray(evidence["referrer_id"], np.int64)
    rows = [
        {
            "customer_id": int(evidence["customer_id"][i]),
            "referrer_id": int(referrer[i]),
            "at": float(evidence["at"][i]),
            "ip_hmac": evidence["ip_hmac"][i],
            "visitor": evidence["visitor"][i],
        }
        for i in np.flatnonzero(np.isin(referrer, suspects)).tolist()
    ]
    rule = {"window": window, "threshold": threshold, "min_shared": min_shared}
    return _assemble(H, F, bursts(rows, **rule), limit, window)


def _assemble(H, F, found_bursts, limit, window) -> list[dict]:
    """Review flags from the referral graph ``H``, ``F`` and :func:`bursts`."""
    found = []
    for pair in _reciprocal_of(H):
        reason = "two customers refer each other (link/referral edges both ways)"
        found.append(_cycle_flag("reciprocal", list(pair), F, reason))
    listed = _rings_of(H, limit)
    for ring in listed["rings"]:
        if len(ring) > 2:
            reason = f"{len(ring)} customers refer each other in a directed cycle"
            found.append(_cycle_flag("ring", ring, F, reason))
    if listed["truncated"]:
        reason = f"more than {limit} rings; only {limit} flagged"
        found.append(_flag("ring", "ring:more", [], [], reason))
    for burst in found_bursts:
        referrer, w = burst["referrer_id"], burst["window"]
        if "burst" in burst["reasons"]:
            reason = f"{w['count']} credited sign-ups within {window:g} s"
            members = w["customer_ids"]
            credits = [(c, referrer) for c in members]
            found.append(_flag("burst", f"burst:{referrer}", members, credits, reason))
        for shared in burst["shared"]:
            what = "IP hash" if shared["field"] == "ip_hmac" else "visitor cookie"
            members = shared["customer_ids"]
            reason = f"{len(members)} referees share one {what}"
            device = "ip" if shared["field"] == "ip_hmac" else "visitor"
            finding = f"burst:{referrer}:{device}:{_digest(shared['value'])}"
            credits = [(c, referrer) for c in members]
            found.append(_flag("burst", finding, members, credits, reason))
    return found
