"""First touch against last touch on the same data: who would be credited to
whom, and who starts the most conversations under each rule (docs/metrics.md).

:func:`compare_rules` takes the conversation graph as arrays and the credits of
both rules (``wom.attribution.credits_by_rule``) and returns plain data: how
many customers would get a different referrer, examples of them, and the top
starters by reach under each rule, each with its figures under both.
"""

from __future__ import annotations

import numpy as np

from wom.analytics.arrays import GraphArrays
from wom.analytics.forest import ForestArrays, subtree_sum

__all__ = ["RULES", "compare_rules", "forest_figures"]

RULES = ("first", "last")


def forest_figures(n: int, customer, referrer) -> tuple[np.ndarray, np.ndarray]:
    """``(reach, direct)`` of each of ``n`` positions in the forest whose edges
    are ``referrer[i] -> customer[i]`` (positions).

    >>> reach, direct = forest_figures(4, [1, 2, 3], [0, 1, 0])
    >>> reach.tolist(), direct.tolist()
    ([3, 1, 0, 0], [2, 1, 0, 0])
    """
    customer = np.asarray(customer, np.int64)
    referrer = np.asarray(referrer, np.int64)
    parent = np.full(n, -1, np.int64)
    parent[customer] = referrer
    reach = subtree_sum(ForestArrays(parent), np.ones(n, np.int64)) - 1
    return reach, np.bincount(referrer, minlength=n)


def compare_rules(
    ga: GraphArrays, chosen: dict, *, top: int = 10, examples: int = 20
) -> dict:
    """Both rules' credits (``chosen``, by person id) side by side.

    Returns ``customers``; per rule, how many credits are ``credited`` (counted)
    and ``held``; ``different_referrer``, the customers whose referrer the rules
    disagree on, with up to ``examples`` of them (``customer``, ``first``,
    ``last``, by external id, in id order); and ``top_starters``: per rule, the
    ``top`` customers by reach (ties: conversations started, then external id),
    each with ``reach`` and ``direct_referrals`` under both rules.

    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> for i, name in enumerate("abcd", 1):
    ...     G.add_node(i, status="customer", external_id=name)
    >>> G.add_edges_from([(1, 3), (2, 3), (3, 4), (2, 4)], kinds=frozenset())
    >>> ga = GraphArrays.from_graph(G)
    >>> chosen = {"customer": np.array([3, 4]),
    ...           "first": {"referrer": np.array([1, 3]), "held": np.zeros(2, bool)},
    ...           "last": {"referrer": np.array([2, 2]), "held": np.zeros(2, bool)}}
    >>> found = compare_rules(ga, chosen, top=2)
    >>> found["different_referrer"], found["examples"][0]
    (2, {'customer': 'c', 'first': 'a', 'last': 'b'})
    >>> [row["external_id"] for row in found["top_starters"]["first"]]
    ['a', 'c']
    >>> found["top_starters"]["last"][0]
    {'external_id': 'b', 'reach': {'first': 0, 'last': 2}, \
'direct_referrals': {'first': 0, 'last': 2}, 'conversations_started': 2}
    """
    n, ids = len(ga), ga.ids
    customer = np.searchsorted(ids, np.asarray(chosen["customer"], np.int64))
    figures, found = {}, {"customers": int(ga.customer.sum())}
    for rule in RULES:
        referrer = np.searchsorted(ids, np.asarray(chosen[rule]["referrer"], np.int64))
        held = np.asarray(chosen[rule]["held"], bool)
        figures[rule] = forest_figures(n, customer[~held], referrer[~held])
        found[rule] = {"credited": int((~held).sum()), "held": int(held.sum())}
    first, last = (np.asarray(chosen[rule]["referrer"]) for rule in RULES)
    differ = np.flatnonzero(first != last)
    names = ga.external_id
    found["different_referrer"] = len(differ)
    found["examples"] = [
        {
            "customer": names[customer[i]],
            **{
                rule: names[np.searchsorted(ids, chosen[rule]["referrer"][i])]
                for rule in RULES
            },
        }
        for i in differ[:examples].tolist()
    ]
    talks = np.bincount(ga.src[ga.src != ga.dst], minlength=n)
    found["top_starters"] = {
        rule: [
            {
                "external_id": names[i],
                "reach": {r: int(figures[r][0][i]) for r in RULES},
                "direct_referrals": {r: int(figures[r][1][i]) for r in RULES},
                "conversations_started": int(talks[i]),
            }
            for i in _top(figures[rule][0], talks, names, ga.customer, top)
        ]
        for rule in RULES
    }
    return found


def _top(reach, talks, names, customer, k: int) -> list[int]:
    """Positions of the ``k`` customers with the most reach (docs/metrics.md ties)."""
    eligible = np.flatnonzero(customer)
    if not len(eligible) or k <= 0:
        return []
    if k < len(eligible):
        cut = np.partition(reach[eligible], len(eligible) - k)[len(eligible) - k]
        eligible = eligible[reach[eligible] >= cut]
    return sorted(eligible.tolist(), key=lambda i: (-reach[i], -talks[i], names[i]))[:k]
