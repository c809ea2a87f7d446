"""Who could talk to whom: a community-structured population, built in O(n).

People live in groups of varied size (families, teams, clubs), most talk happens
inside the group and a little across, mostly to nearby groups. This is a
stochastic block model in the caveman style, sampled arc by arc, so its cost is
linear in the number of arcs and no pair of people is ever enumerated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .names import pick_cultures

__all__ = ["Population", "populate", "talk_arcs"]

GROUP_MEDIAN = 9  # people per group; sizes are lognormal with a long tail
GROUP_SPREAD = 0.8
GROUP_MAX = 250
REGION_GROUPS = 40  # neighbouring groups share a name culture
CROSS_SHARE = 0.2  # share of arcs that leave the speaker's group
NEARBY_SHARE = 0.7  # share of those that land in a nearby group
NEARBY_SPREAD = 400  # people; the scale of "nearby"
TALK_MEDIAN = 3.5  # how many people a customer talks to; lognormal, heavy-tailed
TALK_SPREAD = 0.9
TALK_MAX = 80
HUB_SHARE = 0.002  # connectors (a blogger, a coach, a shopkeeper) who tell many
HUB_MEDIAN = 40
HUB_MAX = 300
HUB_CROSS = 0.6  # connectors talk well beyond their own group


@dataclass(frozen=True)
class Population:
    """Everyone who could hear about the business, with their group and name culture."""

    size: int
    group_start: np.ndarray  # per person: index of the first member of their group
    group_size: np.ndarray  # per person: size of their group
    culture: np.ndarray  # per person: index into ``names.CULTURES``


def populate(rng: np.random.Generator, size: int) -> Population:
    """``size`` people in consecutive groups of lognormal size (2 to ``GROUP_MAX``).

    >>> people = populate(np.random.default_rng(0), 1000)
    >>> people.size, int(people.group_size.min()) >= 2
    (1000, True)
    """
    sizes = np.empty(0, dtype=np.int64)
    while sizes.sum() < size:
        more = rng.lognormal(
            np.log(GROUP_MEDIAN), GROUP_SPREAD, size // GROUP_MEDIAN + 8
        )
        sizes = np.concatenate(
            [sizes, np.clip(np.rint(more), 2, GROUP_MAX).astype(np.int64)]
        )
    ends = np.cumsum(sizes)
    groups = int(np.searchsorted(ends, size)) + 1
    sizes = sizes[:groups]
    # Trim the last group to fit; a lone person left over joins the group before.
    sizes[-1] -= int(ends[groups - 1]) - size
    if sizes[-1] < 2 and groups > 1:
        sizes[-2] += sizes[-1]
        sizes, groups = sizes[:-1], groups - 1
    starts = np.cumsum(sizes) - sizes
    regions = pick_cultures(rng, groups // REGION_GROUPS + 1)
    group_culture = regions[np.arange(groups) // REGION_GROUPS]
    mixed = rng.random(groups) < 0.2
    group_culture[mixed] = pick_cultures(rng, int(mixed.sum()))
    person_culture = np.repeat(group_culture, sizes)
    movers = rng.random(size) < 0.15
    person_culture[movers] = pick_cultures(rng, int(movers.sum()))
    return Population(
        size=size,
        group_start=np.repeat(starts, sizes).astype(np.int32),
        group_size=np.repeat(sizes, sizes).astype(np.int32),
        culture=person_culture,
    )


def talk_arcs(
    rng: np.random.Generator, people: Population
) -> tuple[np.ndarray, np.ndarray]:
    """Directed talker -> listener arcs, sorted and without duplicates or self-loops.

    Each person talks to a heavy-tailed number of people (most to a few, a few to
    dozens), mostly in their own group. A few connectors talk to dozens or
    hundreds, across groups.

    >>> people = populate(np.random.default_rng(0), 1000)
    >>> src, dst = talk_arcs(np.random.default_rng(0), people)
    >>> bool((src != dst).all()), bool((np.diff(src) >= 0).all())
    (True, True)
    """
    n = people.size
    talk = rng.lognormal(np.log(TALK_MEDIAN), TALK_SPREAD, n)
    counts = np.minimum(np.rint(talk), TALK_MAX).astype(np.int64)
    hub = rng.random(n) < HUB_SHARE
    many = rng.lognormal(np.log(HUB_MEDIAN), 0.6, int(hub.sum()))
    counts[hub] = np.minimum(np.rint(many), HUB_MAX).astype(np.int64)
    src = np.repeat(np.arange(n, dtype=np.int64), counts)
    start = people.group_start[src].astype(np.int64)
    size = people.group_size[src].astype(np.int64)
    # Another member of the group: a step of 1..size-1 round the group from the speaker.
    step = 1 + (rng.random(len(src)) * (size - 1)).astype(np.int64)
    dst = start + (src - start + step) % size
    cross_share = np.where(hub[src], HUB_CROSS, CROSS_SHARE)
    cross = np.flatnonzero(rng.random(len(src)) < cross_share)
    nearby = rng.random(len(cross)) < NEARBY_SHARE
    offset = np.rint(rng.normal(0, NEARBY_SPREAD, len(cross))).astype(np.int64)
    anywhere = rng.integers(0, n, len(cross))
    dst[cross] = np.where(nearby, src[cross] + offset, anywhere) % n
    keep = dst != src
    keys = np.sort(src[keep] * n + dst[keep])
    new = np.ones(len(keys), dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    keys = keys[new]
    return (keys // n).astype(np.int32), (keys % n).astype(np.int32)
