"""Bursts: referrers whose credited sign-ups come too fast or from one device.

:func:`bursts` is the rule (docs/metrics.md) on credit rows; :func:`burst_suspects`
finds, with array passes over a million sign-ups, the few referrers that the rule
could list, so that only their rows need it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["bursts", "burst_suspects"]


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


def burst_suspects(evidence: Mapping, window, threshold, min_shared) -> np.ndarray:
    """Referrers that :func:`bursts` might list (a superset), found with arrays.

    ``evidence`` holds the columns ``customer_id``, ``referrer_id``, ``at``,
    ``ip_hmac`` and ``visitor``.

    >>> evidence = {"customer_id": [2, 3, 4, 5], "referrer_id": [1, 1, 1, 9],
    ...             "at": [0.0, 1.0, 2.0, 3.0], "ip_hmac": ["h", "h", None, "h"],
    ...             "visitor": [None] * 4}
    >>> burst_suspects(evidence, 600, 2, 3).tolist()
    [1]
    >>> burst_suspects(evidence, 600, 3, 2).tolist()
    [1]
    >>> burst_suspects(evidence, 1.5, 2, 3).tolist()
    []
    """
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
