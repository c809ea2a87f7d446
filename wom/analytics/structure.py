"""Communities and bridges of the conversation graph as undirected (METRICS.md).

Both see ``G`` as a simple undirected graph in one canonical order (nodes sorted,
neighbours ascending, no self-loops), so the same graph gives the same answer
however the store loaded it.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict, deque
from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, connected_components

__all__ = ["communities", "normalized_mutual_information", "bridges"]

WORD_OF_MOUTH = frozenset({"referred", "mention"})


def _undirected(G: nx.Graph):
    """``nodes``, CSR ``indptr``/``indices`` (both directions) and edges ``lo < hi``."""
    try:
        nodes = sorted(G)
    except TypeError:  # ids that do not compare: keep the graph's own order
        nodes = list(G)
    n, ids = len(nodes), np.asarray(nodes)
    if ids.dtype.kind in "iu":  # integer ids (the contract): look them up in bulk
        ends = np.searchsorted(ids, np.array(list(G.edges()), np.int64).reshape(-1, 2))
    else:
        index = {u: i for i, u in enumerate(nodes)}
        ends = np.array([(index[u], index[v]) for u, v in G.edges()], np.int64)
    a, b = ends.reshape(-1, 2).T
    keep = a != b
    key = np.unique(np.minimum(a, b)[keep] * n + np.maximum(a, b)[keep])
    lo, hi = (key // n, key % n) if n else (key, key)
    src, dst = np.concatenate([lo, hi]), np.concatenate([hi, lo])
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return nodes, indptr, dst[np.lexsort((dst, src))], lo, hi


def _fast_label_propagation(indptr: np.ndarray, indices: np.ndarray, seed: int):
    """``nx.community.fast_label_propagation_communities`` step for step, as labels.

    Same queue, same draws from ``random.Random(seed)``, so the same partition as
    networkx on the canonical graph, about five times faster on plain lists.
    """
    rng = random.Random(seed)
    flat, ptr = indices.tolist(), indptr.tolist()
    adjacency = [flat[a:b] for a, b in zip(ptr[:-1], ptr[1:], strict=True)]
    order = list(range(len(adjacency)))
    rng.shuffle(order)
    queue, queued, label = deque(order), [True] * len(order), list(range(len(order)))
    while queue:
        v = queue.popleft()
        queued[v] = False
        neighbours = adjacency[v]
        if not neighbours:
            continue
        freq = {}
        for w in neighbours:
            freq[label[w]] = freq.get(label[w], 0) + 1
        top = max(freq.values())
        new = rng.choice([c for c, f in freq.items() if f == top])
        if label[v] != new:
            label[v] = new
            for w in neighbours:
                if label[w] != new and not queued[w]:
                    queued[w] = True
                    queue.append(w)
    return label


def _reach(F: nx.DiGraph | None) -> dict:
    """Descendants in ``F`` per node, in one pass from the leaves up."""
    if F is None:
        return {}
    children = dict(F.adjacency())
    order = [u for u, d in F.in_degree if d == 0]
    for u in order:  # breadth-first from the roots; the list grows as it is read
        order.extend(children[u])
    if len(order) != len(F):  # not a forest after all: count the slow way
        return {u: len(nx.descendants(F, u)) for u in F}
    reach = {}
    for u in reversed(order):
        reach[u] = sum(1 + reach[c] for c in children[u])
    return reach


def communities(
    G: nx.DiGraph,
    F: nx.DiGraph | None = None,
    *,
    seed: int = 0,
    louvain_max_nodes: int = 100_000,
) -> dict:
    """Communities of ``G`` as undirected, with each one's top starter and WOM share.

    Louvain (resolution 1) up to ``louvain_max_nodes`` people, seeded fast label
    propagation above that. The top starter is the customer with the highest reach
    in ``F``, then the most ``conversations_started``, then the smallest external id.
    ``wom_share`` is the share of the community's customers acquired as
    ``referred`` or ``mention`` (None without customers).

    Parameters
    ----------
    G : nx.DiGraph
        The conversation graph.
    F : nx.DiGraph, optional
        The referral forest; without it every reach counts as 0.
    seed : int
        Seed of either method.
    louvain_max_nodes : int
        Largest graph that gets Louvain.

    Returns
    -------
    dict
        ``method`` (``"louvain"`` or ``"fast_label_propagation"``), ``seed`` and
        ``communities``: largest first, each with ``size``, sorted ``members``,
        ``customers``, ``wom_share`` and ``top_starter`` (None, or ``customer_id``,
        ``external_id``, ``reach``, ``conversations_started``).

    Examples
    --------
    Two triangles joined by one edge:

    >>> G = nx.DiGraph([(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 6), (6, 4)])
    >>> found = communities(G)
    >>> found["method"], [c["members"] for c in found["communities"]]
    ('louvain', [[1, 2, 3], [4, 5, 6]])
    >>> found["communities"][0]["top_starter"]["customer_id"]
    3
    >>> communities(G, louvain_max_nodes=0)["method"]
    'fast_label_propagation'
    """
    nodes, indptr, indices, lo, hi = _undirected(G)
    if len(nodes) <= louvain_max_nodes:
        method = "louvain"
        H = nx.Graph()
        H.add_nodes_from(nodes)
        H.add_edges_from(
            (nodes[u], nodes[v]) for u, v in zip(lo.tolist(), hi.tolist(), strict=True)
        )
        index = {u: i for i, u in enumerate(nodes)}
        label = [0] * len(nodes)
        for c, part in enumerate(nx.community.louvain_communities(H, seed=seed)):
            for u in part:
                label[index[u]] = c
    else:
        method = "fast_label_propagation"
        label = _fast_label_propagation(indptr, indices, seed)
    groups = defaultdict(list)
    for i, c in enumerate(label):
        groups[c].append(i)
    reach, attrs_of, started = _reach(F), dict(G.nodes(data=True)), dict(G.out_degree)
    for u in nx.nodes_with_selfloops(G):
        started[u] -= 1  # talking to oneself starts no conversation
    found = []
    for members in sorted(groups.values(), key=lambda ms: (-len(ms), ms[0])):
        best, customers, by_wom = None, 0, 0
        for i in members:
            u, attrs = nodes[i], attrs_of[nodes[i]]
            if attrs.get("status", "customer") != "customer":
                continue
            customers += 1
            by_wom += attrs.get("acquired_via") in WORD_OF_MOUTH
            ext = str(attrs.get("external_id", u))
            rank = (-reach.get(u, 0), -started[u], ext, i)
            best = min(best, rank) if best else rank
        top_starter = best and {
            "customer_id": nodes[best[3]],
            "external_id": best[2],
            "reach": -best[0],
            "conversations_started": -best[1],
        }
        share = by_wom / customers if customers else None
        found.append(
            {
                "size": len(members),
                "members": [nodes[i] for i in members],
                "customers": customers,
                "wom_share": share,
                "top_starter": top_starter,
            }
        )
    return {"method": method, "seed": seed, "communities": found}


def normalized_mutual_information(
    labels_a: Mapping | Sequence, labels_b: Mapping | Sequence
) -> float:
    """NMI of two partitions, normalised by the arithmetic mean of their entropies.

    Mappings (node -> label) are compared on their common keys; sequences
    position by position. Two one-block (or empty) partitions score 1.

    >>> normalized_mutual_information([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    >>> normalized_mutual_information([0, 0, 1, 1], [0, 1, 0, 1])
    0.0
    >>> round(normalized_mutual_information({"a": 0, "b": 0, "c": 1, "d": 1},
    ...                                     {"a": 0, "b": 0, "c": 0, "d": 1}), 4)
    0.3437
    """
    if isinstance(labels_a, Mapping):
        keys = [k for k in labels_a if k in labels_b]
        pairs = [(labels_a[k], labels_b[k]) for k in keys]
    else:
        pairs = list(zip(labels_a, labels_b, strict=True))
    n = len(pairs)
    count_a = Counter(a for a, _ in pairs)
    count_b = Counter(b for _, b in pairs)

    def entropy(counts):
        return -sum(c / n * math.log(c / n) for c in counts.values())

    h = entropy(count_a) + entropy(count_b)
    if h == 0:
        return 1.0
    mi = sum(
        c / n * math.log(c * n / (count_a[a] * count_b[b]))
        for (a, b), c in Counter(pairs).items()
    )
    return min(1.0, max(0.0, 2 * mi / h))


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
    nodes, indptr, indices, lo, hi = _undirected(G)
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
        attrs = G.nodes[nodes[i]]
        if attrs.get("status", "customer") == "customer":
            ranked.append((float(score[i]), str(attrs.get("external_id", nodes[i])), i))
    ranked.sort(key=lambda r: (-r[0], r[1], r[2]))
    return {
        "sampled": sampled,
        "k": k,
        "seed": seed,
        "bridges": [
            {"customer_id": nodes[i], "external_id": ext, "score": s}
            for s, ext, i in ranked[:top]
        ],
    }
