"""Live-edge worlds and CELF: the Monte Carlo engine behind ``wom.analytics.seeding``.

World ``r`` flips every edge's coin once, with ``random.Random(f"{seed}:{r}")``;
every seed set is measured in the same worlds (common random numbers), so the
estimates are deterministic and CELF's lazy bounds hold. Nodes are whatever
``successors(u)`` names: ids of a networkx graph or positions in arrays.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable

import numpy as np

__all__ = ["worlds", "choose"]


def worlds(successors: Callable, sources: list, runs: int, seed: int):
    """Who each source reaches in each live-edge world, as flat ids, and their count.

    World ``r`` flips the coin of each edge met by a search from all sources at once,
    in a fixed order; each source is then searched in that same world.
    """
    reach, offset, cache = [[] for _ in sources], 0, {}
    for run in range(runs):
        rng = random.Random(f"{seed}:{run}")
        local = {s: i for i, s in enumerate(dict.fromkeys(sources))}
        queue, live = list(local), {}
        for v in queue:  # the list grows as it is read
            if v not in cache:
                cache[v] = successors(v)
            live[v] = kept = [w for w, q in cache[v] if rng.random() < q]
            for w in kept:
                if w not in local:
                    local[w] = len(local)
                    queue.append(w)
        for j, s in enumerate(sources):
            seen, stack = {s}, [s]
            while stack:
                for w in live[stack.pop()]:
                    if w not in seen:
                        seen.add(w)
                        stack.append(w)
            ids = np.fromiter(map(local.__getitem__, seen), np.int64, len(seen))
            reach[j].append(ids + offset)
        offset += len(local)
    return [np.concatenate(r) if r else np.zeros(0, np.int64) for r in reach], offset


def choose(successors, pool, top, external, k, runs, seed, lazy) -> dict:
    """CELF (or greedy) over ``pool`` in shared worlds; the top starters' totals.

    Seeds are added while one adds someone: the choice stops short of ``k``
    (``exhausted``) when no candidate left reaches anyone new. ``top_starters``
    holds ``total`` for all of ``top`` and ``totals[j]`` for its first ``j + 1``.
    """
    extra = [u for u in top if u not in frozenset(pool)]
    reach, size = worlds(successors, pool + extra, runs, seed)
    covered = np.zeros(size, bool)

    def gain(j):  # people newly reached, summed over worlds, minus the seed itself
        return int(np.count_nonzero(~covered[reach[j]])) - runs

    chosen, evaluations = [], len(pool)
    # Nothing is covered yet, so each first gain is that candidate's own spread.
    singles = [gain(j) for j in range(len(pool))]
    if lazy:
        heap = [(-singles[j], j, 0) for j in range(len(pool))]
        heapq.heapify(heap)
        # Gains only shrink (coverage in fixed worlds is submodular), so once the
        # best bound adds nobody, no candidate will.
        while heap and len(chosen) < k and heap[0][0] < 0:
            neg, j, stamp = heapq.heappop(heap)
            if stamp == len(chosen):  # fresh: nothing left can beat it
                chosen.append((j, -neg))
                covered[reach[j]] = True
            else:
                evaluations += 1
                heapq.heappush(heap, (-gain(j), j, len(chosen)))
    else:
        left = list(range(len(pool)))
        evaluations = 0
        while left and len(chosen) < k:
            evaluations += len(left)
            neg, j = min((-gain(j), j) for j in left)
            if neg >= 0:  # the best adds nobody
                break
            chosen.append((j, -neg))
            covered[reach[j]] = True
            left.remove(j)
    covered[:] = False
    index = {u: j for j, u in enumerate(pool + extra)}
    reached, totals = 0, []
    for u in top:  # each world's ids are distinct, so new ones add up exactly
        found = reach[index[u]]
        reached += int(np.count_nonzero(~covered[found]))
        covered[found] = True
        totals.append((reached - runs * (len(totals) + 1)) / runs)
    return {
        "seeds": [
            {"customer_id": pool[j], "external_id": external(pool[j]), "gain": g / runs}
            for j, g in chosen
        ],
        "total": sum(g for _, g in chosen) / runs,
        "exhausted": len(chosen) < k,
        "top_starters": {
            "customer_ids": top,
            "total": totals[-1] if totals else 0.0,
            "totals": totals,
        },
        "method": "celf" if lazy else "greedy",
        "runs": runs,
        "seed": seed,
        "candidates": len(pool),
        "evaluations": evaluations,
        "candidate_spread": {pool[j]: g / runs for j, g in enumerate(singles)},
    }
