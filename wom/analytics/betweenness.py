"""Betweenness centrality of the conversation graph as undirected: ``bridges``.

Brandes' dependencies, with the trees that hang off the 2-core done in closed
form and one breadth-first search per sampled pivot on the core only.
"""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, connected_components

from wom.analytics.arrays import GraphArrays, undirected_of

__all__ = ["bridges", "bridges_from_arrays"]


def _peel(indptr: np.ndarray, indices: np.ndarray):
    """Strip trees off the 2-core: ``parent`` per peeled node (-1 otherwise), rounds."""
    n = len(indptr) - 1
    deg = np.diff(indptr)
    # With one neighbour left, the XOR of the remaining neighbours' ids is its id.
    xor = np.zeros(n, np.int64)
    np.bitwise_xor.at(xor, np.repeat(np.arange(n), deg), indices)
    alive, parent, rounds = deg > 0, np.full(n, -1), []
    while (leaves := np.flatnonzero(alive & (deg == 1))).size:
        up = xor[leaves]
        # Two leaves of each other end a tree: the smaller one stays as its root.
        pair = (deg[up] == 1) & (leaves < up)
        leaves, up = leaves[~pair], up[~pair]
        alive[leaves], parent[leaves] = False, up
        np.subtract.at(deg, up, 1)
        np.bitwise_xor.at(xor, up, leaves)
        rounds.append((leaves, up))
    return alive & (deg >= 2), parent, rounds


def _core_dependencies(core, lo, hi, weight, mult, raw) -> None:
    """Add ``mult[c]`` times Brandes' dependencies from each core node ``c`` to ``raw``.

    A core node ``v`` stands for ``weight[v]`` targets (itself and the tree hanging
    off it), so ``delta[v] = weight[v] - 1 + sum sigma[v] / sigma[w] * (1 + delta[w])``
    over the shortest-path children ``w``.
    """
    nc = core.size
    cid = np.full(len(weight), -1)
    cid[core] = np.arange(nc)
    both = (cid[lo] >= 0) & (cid[hi] >= 0)
    a, b = cid[lo[both]], cid[hi[both]]
    A = csr_array((np.ones(2 * a.size), (np.r_[a, b], np.r_[b, a])), shape=(nc, nc))
    w = weight[core]
    depth, pos = np.full(nc, -1), np.empty(nc, np.int64)
    for c in np.flatnonzero(mult[core]):
        order, pred = breadth_first_order(A, c, return_predecessors=True)
        pos[order] = np.arange(order.size)
        up = pos[pred[order[1:]]]  # BFS order: parents' positions never decrease
        bounds = [0, 1]
        while bounds[-1] < order.size:
            bounds.append(1 + int(np.searchsorted(up, bounds[-1])))
        levels = len(bounds) - 1
        depth.fill(-1)
        depth[order] = np.repeat(np.arange(levels), np.diff(bounds))
        step = depth[b] - depth[a]
        src = np.r_[a[step == 1], b[step == -1]]
        dst = np.r_[b[step == 1], a[step == -1]]
        key = depth[src].astype(np.int16 if levels < 2**15 else np.int64)
        by_level = np.argsort(key, kind="stable")  # a radix sort on 16 bits
        src, dst = src[by_level], dst[by_level]
        cuts = np.searchsorted(key[by_level], np.arange(levels))
        sigma = np.zeros(nc)
        sigma[c] = 1.0
        for lv in range(levels - 1):
            s = slice(cuts[lv], cuts[lv + 1])
            np.add.at(sigma, dst[s], sigma[src[s]])
        delta = np.where(depth >= 0, w - 1.0, 0.0)
        for lv in range(levels - 2, -1, -1):
            u, v = src[cuts[lv] : cuts[lv + 1]], dst[cuts[lv] : cuts[lv + 1]]
            np.add.at(delta, u, sigma[u] / sigma[v] * (1.0 + delta[v]))
        delta[c] = 0.0
        raw[core] += mult[core[c]] * delta


def _dependencies(indptr, indices, lo, hi, sources) -> np.ndarray:
    """Sum over ``sources`` of Brandes' dependencies (ordered pairs, unscaled).

    Trees hanging off the 2-core are done in closed form: for a tree node ``x`` with
    subtree size ``sub``, a source outside its subtree depends on it for ``sub - 1``
    targets, and one below its child ``y`` for ``size - sub[y] - 1``. Only the core
    (a third of a word-of-mouth graph) needs a breadth-first search per source.
    """
    n = len(indptr) - 1
    core, parent, rounds = _peel(indptr, indices)
    sub, cnt = np.ones(n), np.zeros(n)
    cnt[sources] = 1.0
    comp = connected_components(
        csr_array((np.ones(indices.size), indices, indptr), shape=(n, n))
    )[1]
    size = np.bincount(comp)[comp].astype(float)
    in_comp = np.bincount(comp, weights=cnt)[comp]
    for leaves, up in rounds:  # children are always peeled before their parent
        np.add.at(sub, up, sub[leaves])
        np.add.at(cnt, up, cnt[leaves])
    raw = np.where(core, 0.0, (in_comp - cnt) * (sub - 1))
    kids = np.flatnonzero(parent >= 0)
    np.add.at(raw, parent[kids], cnt[kids] * (size[kids] - sub[kids] - 1))
    if core.any():
        _core_dependencies(np.flatnonzero(core), lo, hi, sub, cnt, raw)
    return raw


def bridges(
    G: nx.DiGraph,
    k: int | None = None,
    seed: int = 0,
    top: int = 20,
    *,
    sample_above: int = 5000,
) -> dict:
    """Customers with the highest betweenness centrality in ``G`` as undirected.

    Normalised like ``nx.betweenness_centrality(H, k, seed=seed)`` on the canonical
    undirected graph ``H``, and equal to it: the same pivots, ``random.Random(seed)
    .sample``. Above ``sample_above`` people it samples ``k = 500`` pivots unless
    ``k`` is given; ``k`` of at least the number of people means exact.

    Parameters
    ----------
    G : nx.DiGraph
        The conversation graph.
    k : int, optional
        Pivots to sample (at least 2).
    seed : int
        Seed of the pivot sample.
    top : int
        How many customers to list.
    sample_above : int
        Largest graph computed exactly when ``k`` is None.

    Returns
    -------
    dict
        ``sampled`` (bool), ``k`` (None when exact), ``seed`` and ``bridges``: up
        to ``top`` customers by score, then external id, each with
        ``customer_id``, ``external_id`` and ``score``.

    Examples
    --------
    A path a - b - c: only b lies between two others.

    >>> found = bridges(nx.DiGraph([("a", "b"), ("c", "b")]), top=2)
    >>> found["sampled"], [(b["customer_id"], b["score"]) for b in found["bridges"]]
    (False, [('b', 1.0), ('a', 0.0)])
    """
    nodes, indptr, indices, lo, hi = undirected_of(G)
    attrs = [G.nodes[u] for u in nodes]
    customer = np.array([a.get("status", "customer") == "customer" for a in attrs])
    return _bridges(
        nodes,
        (indptr, indices, lo, hi),
        customer,
        lambda i: str(attrs[i].get("external_id", nodes[i])),
        k=k,
        seed=seed,
        top=top,
        sample_above=sample_above,
    )


def bridges_from_arrays(
    ga: GraphArrays,
    k: int | None = None,
    seed: int = 0,
    top: int = 20,
    *,
    sample_above: int = 5000,
) -> dict:
    """:func:`bridges` of the graph that ``ga`` holds, without networkx.

    >>> G = nx.DiGraph([(1, 2), (3, 2)])
    >>> found = bridges_from_arrays(GraphArrays.from_graph(G), top=1)
    >>> [(b["customer_id"], b["score"]) for b in found["bridges"]]
    [(2, 1.0)]
    """
    return _bridges(
        ga.ids,
        ga.undirected,
        ga.customer,
        ga.external_id.__getitem__,
        k=k,
        seed=seed,
        top=top,
        sample_above=sample_above,
    )


def _bridges(nodes, csr, customer, external, *, k, seed, top, sample_above) -> dict:
    """:func:`bridges` on the canonical CSR of ``nodes``; ``external(i)`` is a str."""
    indptr, indices, lo, hi = csr
    n = len(nodes)
    if k is None and n > sample_above:
        k = 500
    sampled = k is not None and max(k, 2) < n
    k = max(k, 2) if sampled else None
    sources = random.Random(seed).sample(range(n), k) if sampled else np.arange(n)
    score = _dependencies(indptr, indices, lo, hi, sources)
    if n > 2 and sampled:
        scale = np.full(n, 1 / (k * (n - 2)))
        scale[sources] = 1 / ((k - 1) * (n - 2))
        score *= scale
    elif n > 2:
        score /= (n - 1) * (n - 2)
    score = np.round(score, 12)  # ties that differ only in summation order
    ranked = []
    for i in np.argsort(-score, kind="stable").tolist():
        if ranked and len(ranked) >= top and score[i] < ranked[-1][0]:
            break
        if customer[i]:
            ranked.append((float(score[i]), external(i), i))
    ranked.sort(key=lambda r: (-r[0], r[1], r[2]))
    return {
        "sampled": sampled,
        "k": k,
        "seed": seed,
        "bridges": [
            {"customer_id": _plain(nodes[i]), "external_id": ext, "score": s}
            for s, ext, i in ranked[:top]
        ],
    }


def _plain(node):
    """A numpy integer id as a Python int, so that results pickle and compare."""
    return node.item() if isinstance(node, np.generic) else node
