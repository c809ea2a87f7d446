"""Passes over a forest's generations: subtree sums, heights, preorder, masks.

Each pass visits :class:`~wom.analytics.forest.ForestArrays` once in generation
order, deepest first (sums up the tree) or roots first (values down the tree).
A wide forest takes one numpy call per generation; a deep, narrow one (a long
chain) takes a plain Python loop over the order instead, which is faster there.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # forest.py re-exports these passes, so no import at run time
    from wom.analytics.forest import ForestArrays

__all__ = ["ancestor_bits", "preorder", "subtree_height", "subtree_sum"]

# Below this many nodes per generation on average, loop in Python.
_MIN_MEAN_WIDTH = 16


def _deep(fa: ForestArrays) -> bool:
    return fa.generations_count * _MIN_MEAN_WIDTH > len(fa)


def _bottom_up(fa: ForestArrays):
    """(child, parent) position lists, deepest generation first."""
    below = fa.order[fa.level_ptr[1] :][::-1] if len(fa) else fa.order
    return below.tolist(), fa.parent[below].tolist()


def subtree_sum(fa: ForestArrays, weights, decay: float = 1.0) -> np.ndarray:
    """``acc[u] = weights[u] + decay * sum(acc[c] for c in children(u))``.

    With ``decay=1`` this sums ``weights`` over each subtree; in general each
    descendant ``w`` adds ``weights[w] * decay**(generations below u)``.

    >>> from wom.analytics.forest import ForestArrays
    >>> fa = ForestArrays([-1, 0, 1])
    >>> subtree_sum(fa, [1, 1, 1]).tolist(), subtree_sum(fa, [0, 10, 4], 0.5).tolist()
    ([3, 2, 1], [6.0, 12.0, 4.0])
    """
    acc = np.array(weights, dtype=None if decay == 1 else np.float64, copy=True)
    if _deep(fa):
        totals = acc.tolist()
        for child, parent in zip(*_bottom_up(fa), strict=True):
            totals[parent] += decay * totals[child] if decay != 1 else totals[child]
        return np.array(totals, dtype=acc.dtype)
    ptr = fa.level_ptr
    for g in range(fa.generations_count - 1, 0, -1):
        level = fa.order[ptr[g] : ptr[g + 1]]
        np.add.at(
            acc, fa.parent[level], acc[level] * decay if decay != 1 else acc[level]
        )
    return acc


def subtree_height(fa: ForestArrays) -> np.ndarray:
    """Height of each node's subtree, in edges (0 for a leaf).

    >>> from wom.analytics.forest import ForestArrays
    >>> subtree_height(ForestArrays([-1, 0, 1, 0])).tolist()
    [2, 1, 0, 0]
    """
    height = np.zeros(len(fa), np.int64)
    if _deep(fa):
        heights = height.tolist()
        for child, parent in zip(*_bottom_up(fa), strict=True):
            if heights[child] >= heights[parent]:
                heights[parent] = heights[child] + 1
        return np.array(heights, dtype=np.int64)
    ptr = fa.level_ptr
    for g in range(fa.generations_count - 1, 0, -1):
        level = fa.order[ptr[g] : ptr[g + 1]]
        np.maximum.at(height, fa.parent[level], height[level] + 1)
    return height


def ancestor_bits(fa: ForestArrays, bits) -> np.ndarray:
    """OR of ``bits`` over each node's strict ancestors (uint64 masks).

    >>> from wom.analytics.forest import ForestArrays
    >>> ancestor_bits(ForestArrays([-1, 0, 1, -1]), [1, 2, 4, 8]).tolist()
    [0, 1, 3, 0]
    """
    bits = np.asarray(bits, dtype=np.uint64)
    inherited = np.zeros(len(fa), np.uint64)
    below = fa.parent >= 0
    inherited[below] = bits[fa.parent[below]]
    return _top_down(fa, inherited, np.bitwise_or, operator.or_)


def preorder(fa: ForestArrays) -> np.ndarray:
    """Each node's place in a depth-first preorder of the forest.

    The subtree of ``u`` takes places ``pre[u]`` to ``pre[u] + size[u] - 1``,
    so any figure summed over a subtree is a difference of prefix sums.

    >>> from wom.analytics.forest import ForestArrays
    >>> preorder(ForestArrays([-1, 0, -1, 0, 1])).tolist()
    [0, 1, 4, 3, 2]
    """
    n = len(fa)
    size = subtree_sum(fa, np.ones(n, np.int64))
    # Each node starts right after its parent and its earlier siblings' subtrees.
    sizes = size[fa.child_idx]
    before = np.cumsum(sizes) - sizes
    counts = np.diff(fa.child_ptr)
    first_sibling = before[fa.child_ptr[:-1][counts > 0]]
    step = np.zeros(n, np.int64)
    step[fa.child_idx] = 1 + before - np.repeat(first_sibling, counts[counts > 0])
    roots = np.flatnonzero(fa.parent < 0)
    step[roots] = np.cumsum(size[roots]) - size[roots]
    return _top_down(fa, step, np.add, operator.add)


def _top_down(fa: ForestArrays, own, ufunc, op) -> np.ndarray:
    """``out[root] = own[root]``; ``out[v] = op(out[parent], own[v])`` below."""
    out = own.copy()
    if _deep(fa):
        totals = out.tolist()
        children, parents = _bottom_up(fa)
        for child, parent in zip(reversed(children), reversed(parents), strict=True):
            totals[child] = op(totals[parent], totals[child])
        return np.array(totals, dtype=out.dtype)
    ptr = fa.level_ptr
    for g in range(1, fa.generations_count):
        level = fa.order[ptr[g] : ptr[g + 1]]
        out[level] = ufunc(out[fa.parent[level]], out[level])
    return out
