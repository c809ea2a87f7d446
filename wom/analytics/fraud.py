"""Fraud signals: rings, reciprocal pairs and bursts (METRICS.md, RELIABILITY.md).

Every finding can become a review flag ``{kind, customer_id, referrer_id, members,
reason}``; :func:`flags` gathers them. Nothing here blocks anyone: flags go to a
review list, and credit waits for the owner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import networkx as nx
import numpy as np

from wom.analytics.arrays import KIND_BITS, GraphArrays

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


def _densest_window(signups: list[tuple], window: float) -> tuple[int, int]:
    """``(i, j)``: the most sign-ups ``signups[i:j]`` spanning less than ``window``."""
    best, i = (0, 0), 0
    for j in range(len(signups)):
        while i <= j and signups[j][0] - signups[i][0] >= window:
            i += 1
        if j + 1 - i > best[1] - best[0]:
            best = (i, j + 1)
    return best


def bursts(
    credits: Iterable[Mapping],
    window: float = 600,
    threshold: int = 10,
    min_shared: int = 3,
) -> list[dict]:
    """Referrers whose credited sign-ups come too fast or from one device.

    A referrer is listed when more than ``threshold`` of their credited sign-ups
    fall in one window: times ``t`` with ``max(t) - min(t) < window`` (a half-open
    window, in the unit of ``at``: seconds by default). A referrer is also listed
    when ``min_shared`` or more of their referees share one ``ip_hmac`` or one
    ``visitor`` cookie. A customer credited twice counts once, at the first time.

    Parameters
    ----------
    credits : iterable of mapping
        Credited sign-ups with ``customer_id``, ``referrer_id``, ``at``, ``ip_hmac``
        and ``visitor`` (the last two may be None).
    window, threshold, min_shared : float, int, int
        The burst rule.

    Returns
    -------
    list of dict
        Sorted by referrer: ``referrer_id``, ``reasons`` (``"burst"``,
        ``"shared_ip"``, ``"shared_visitor"``), ``window`` (``count``, ``start``,
        ``end``, ``customer_ids`` of the densest window) and ``shared`` (one entry
        per shared identifier: ``field``, ``value``, ``customer_ids``).

    Examples
    --------
    >>> credits = [{"customer_id": c, "referrer_id": 1, "at": 10.0 * c,
    ...             "ip_hmac": "h" if c < 4 else None, "visitor": None}
    ...            for c in range(2, 6)]
    >>> [(b["referrer_id"], b["reasons"]) for b in bursts(credits, threshold=3)]
    [(1, ['burst'])]
    >>> bursts(credits, threshold=3, min_shared=2)[0]["shared"]
    [{'field': 'ip_hmac', 'value': 'h', 'customer_ids': [2, 3]}]
    >>> bursts(credits, window=30, threshold=3)
    []
    """
    by_referrer: dict = defaultdict(dict)
    for credit in sorted(
        (c for c in credits if None not in (c.get("referrer_id"), c.get("at"))),
        key=lambda c: (c["at"], c["customer_id"]),
    ):
        by_referrer[credit["referrer_id"]].setdefault(credit["customer_id"], credit)
    found = []
    for referrer in sorted(by_referrer):
        referees = list(by_referrer[referrer].values())
        signups = [(c["at"], c["customer_id"]) for c in referees]
        i, j = _densest_window(signups, window)
        reasons, shared = [], []
        if j - i > threshold:
            reasons.append("burst")
        for field, reason in (("ip_hmac", "shared_ip"), ("visitor", "shared_visitor")):
            groups = defaultdict(list)
            for c in referees:
                if c.get(field):
                    groups[c[field]].append(c["customer_id"])
            hits = [(v, sorted(c)) for v, c in groups.items() if len(c) >= min_shared]
            if hits:
                reasons.append(reason)
                shared += [
                    {"field": field, "value": v, "customer_ids": ids}
                    for v, ids in sorted(hits, key=lambda hit: hit[1])
                ]
        if reasons:
            found.append(
                {
                    "referrer_id": referrer,
                    "reasons": reasons,
                    "window": {
                        "count": j - i,
                        "start": signups[i][0],
                        "end": signups[j - 1][0],
                        "customer_ids": sorted(c for _, c in signups[i:j]),
                    },
                    "shared": shared,
                }
            )
    return found


def _values(side: Mapping, key: str) -> set:
    value = side.get(key)
    if value is None or value == "":
        return set()
    values = {value} if isinstance(value, str) else set(value)
    return {v for v in values if v}


def self_referral_evidence(referrer: Mapping, referee: Mapping) -> dict | None:
    """Whether a credit is a self-referral: ``void``, ``hold``, or None.

    Each side maps ``email``, ``visitor`` and ``ip_hmac`` to a string, a collection
    of strings, or None. Emails are compared normalised (RELIABILITY.md, Fraud): the
    same mailbox voids the credit for good. Only a shared visitor cookie or IP hash
    holds it for review, because households and offices share addresses.

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


def _flag(kind, members, reason, customer=None, referrer=None) -> dict:
    return {
        "kind": kind,
        "customer_id": customer,
        "referrer_id": referrer,
        "members": list(members),
        "reason": reason,
    }


def _cycle_flags(kind: str, cycle: list, F: nx.DiGraph | None, reason: str) -> list:
    """One flag per credit of ``F`` between consecutive members, or one with no ids."""
    steps = zip(cycle, cycle[1:] + cycle[:1], strict=True)
    credited = [(u, v) for u, v in steps if F is not None and F.has_edge(u, v)]
    return [_flag(kind, cycle, reason, v, u) for u, v in credited] or [
        _flag(kind, cycle, reason)
    ]


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

    Each flag is ``{kind, customer_id, referrer_id, members, reason}`` with kind
    ``"ring"``, ``"reciprocal"`` or ``"burst"``. A ring or pair yields one flag per
    credit of ``F`` along it (naming that customer and referrer), or one flag with
    both ids None when nothing along it was credited. When more than ``limit`` rings
    exist, a last ``ring`` flag with no members says so.

    >>> G = nx.DiGraph()
    >>> G.add_edges_from([(1, 2), (2, 1)], kinds=frozenset({"link"}))
    >>> F = nx.DiGraph([(1, 2)])
    >>> [(f["kind"], f["customer_id"], f["referrer_id"], f["members"])
    ...  for f in flags(G, F, [])]
    [('reciprocal', 2, 1, [1, 2])]
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
    >>> [(f["kind"], f["customer_id"], f["referrer_id"], f["members"])
    ...  for f in flags_from_arrays(ga, no_evidence)]
    [('reciprocal', 2, 1, [1, 2])]
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
    suspects = _burst_suspects(evidence, window, threshold, min_shared)
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


def _burst_suspects(evidence: Mapping, window, threshold, min_shared) -> np.ndarray:
    """Referrers that :func:`bursts` might list: a superset, found with arrays."""
    referrer = np.asarray(evidence["referrer_id"], np.int64)
    customer = np.asarray(evidence["customer_id"], np.int64)
    at = np.asarray(evidence["at"], np.float64)
    if not len(referrer):
        return referrer
    # A customer credited twice counts once, at the first time.
    order = np.lexsort((np.arange(len(at)), at, customer, referrer))
    first = np.r_[
        True,
        (referrer[order][1:] != referrer[order][:-1])
        | (customer[order][1:] != customer[order][:-1]),
    ]
    kept = order[first]
    group = np.unique(referrer[kept], return_inverse=True)[1]
    suspects = []
    # Bursts: after sorting by (referrer, time), shift each referrer's times
    # past the previous one's so that one search finds every window's start.
    # The slack keeps float rounding on the side of suspecting too many.
    by_time = kept[np.lexsort((at[kept], group))]
    g = np.unique(referrer[by_time], return_inverse=True)[1]
    t = at[by_time] - at.min()
    shifted = t + g * (t.max() + 2 * window + 1)
    starts = np.searchsorted(shifted, shifted - window - 1e-3, side="right")
    busy = np.arange(len(shifted)) - starts + 1 > threshold
    suspects.append(referrer[by_time][busy])
    for field in ("ip_hmac", "visitor"):
        values = evidence[field]
        codes: dict = {}
        code = np.fromiter(
            (
                codes.setdefault(values[i], len(codes)) if values[i] else -1
                for i in kept.tolist()
            ),
            np.int64,
            len(kept),
        )
        known = code >= 0
        pairs, counts = np.unique(
            group[known] * (len(codes) + 1) + code[known], return_counts=True
        )
        shared_groups = pairs[counts >= min_shared] // (len(codes) + 1)
        suspects.append(np.unique(referrer[kept])[shared_groups])
    return np.unique(np.concatenate(suspects))


def _assemble(H, F, found_bursts, limit, window) -> list[dict]:
    """Review flags from the referral graph ``H``, ``F`` and :func:`bursts`."""
    found = []
    for pair in _reciprocal_of(H):
        reason = "two customers refer each other (link/referral edges both ways)"
        found += _cycle_flags("reciprocal", list(pair), F, reason)
    listed = _rings_of(H, limit)
    for ring in listed["rings"]:
        if len(ring) > 2:
            reason = f"{len(ring)} customers refer each other in a directed cycle"
            found += _cycle_flags("ring", ring, F, reason)
    if listed["truncated"]:
        found.append(
            _flag("ring", [], f"more than {limit} rings; only {limit} flagged")
        )
    for burst in found_bursts:
        referrer, w = burst["referrer_id"], burst["window"]
        if "burst" in burst["reasons"]:
            reason = f"{w['count']} credited sign-ups within {window:g} s"
            found.append(_flag("burst", w["customer_ids"], reason, None, referrer))
        for shared in burst["shared"]:
            what = "IP hash" if shared["field"] == "ip_hmac" else "visitor cookie"
            members = shared["customer_ids"]
            reason = f"{len(members)} referees share one {what}"
            found.append(_flag("burst", members, reason, None, referrer))
    return found
