"""Independent Cascade over the talk arcs, in continuous time.

Each customer talks to each of their listeners once, some time after converting;
the listener converts with some probability after a further delay. Sampling every
arc's outcome up front turns the cascade into its live-edge graph (Kempe,
Kleinberg and Tardos 2003): a listener converts at the earliest time any live
path from a root reaches them. That is one Dijkstra run from a virtual source
joined to every organic root at its own start time, done in C by scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from .network import populate, talk_arcs

__all__ = ["LINK", "MENTION", "REFERRAL", "Spread", "lognormal", "spread"]

LINK, MENTION, REFERRAL = 0, 1, 2  # how a talker passes the word on
CHANNEL_SHARE = (0.45, 0.5, 0.05)
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

POOL = 3.0  # people in the population per customer wanted
SEEDS = 0.002  # first customers, in the first days, per customer wanted
TRICKLE = 0.35  # organic customers over the period, per customer wanted
MAX_STRETCH = 1.5  # the most the run may be slowed down to fill the period
ROOT_SHAPE = 0.3  # organic customers arrive faster as the business becomes known
STUBBORN = 0.25  # share of people who never convert, however often told
CLICK = 0.6  # a link share is clicked
CONVERT_AFTER_CLICK = 0.55
CONVERT_AFTER_MENTION = 0.45


def lognormal(rng, median, sigma, size, low, high):
    """Lognormal draws with the given median, clipped to [``low``, ``high``]."""
    return np.clip(rng.lognormal(np.log(median), sigma, size), low, high)


@dataclass(frozen=True)
class Spread:
    """The outcome of the cascade, times in seconds after the start (``inf``: never).

    Arcs (``src``, ``dst``) are talker -> listener. An arc is ``credited`` when it
    converted its listener; every other customer is an organic root.
    """

    people: int
    culture: np.ndarray  # per person
    src: np.ndarray  # per arc
    dst: np.ndarray
    channel: np.ndarray
    talk_at: np.ndarray  # when the talker passes the word on
    click_at: np.ndarray  # when the listener clicks a shared link
    credited: np.ndarray
    converted_at: np.ndarray  # per person


def _outcomes(rng, src, dst, people, stubborn):
    """Channel, delays and whether each arc converts its listener."""
    arcs = len(src)
    channel = rng.choice(3, size=arcs, p=CHANNEL_SHARE).astype(np.int8)
    talk_delay = lognormal(rng, 3 * DAY, 1.1, arcs, 10 * MINUTE, 60 * DAY)
    clicked = (channel == LINK) & (rng.random(arcs) < CLICK)
    click_delay = np.where(
        clicked, lognormal(rng, 2 * HOUR, 1.4, arcs, 20.0, 14 * DAY), np.inf
    )
    same_session = rng.random(arcs) < 0.55
    # A click converts in the same visit (minutes) or on a later one (days); a word of
    # mouth converts after days to weeks.
    convert_delay = np.where(
        channel == LINK,
        np.where(
            same_session,
            lognormal(rng, 4 * MINUTE, 0.8, arcs, 30.0, HOUR),
            lognormal(rng, 2 * DAY, 1.0, arcs, HOUR, 30 * DAY),
        ),
        lognormal(rng, 5 * DAY, 1.0, arcs, HOUR, 60 * DAY),
    )
    chance = np.where(channel == LINK, CONVERT_AFTER_CLICK, CONVERT_AFTER_MENTION)
    live = (rng.random(arcs) < chance) & ~stubborn[dst]
    live &= (channel != LINK) | clicked
    return channel, talk_delay, click_delay, convert_delay, live


def _activate(src, dst, weight, roots, root_at, people):
    """Earliest conversion time and converting talker of everyone (Dijkstra)."""
    source = people
    rows = np.concatenate([src, np.full(len(roots), source)])
    cols = np.concatenate([dst, roots])
    # +1 s keeps every weight positive: scipy ignores zero-weight entries.
    data = np.concatenate([weight, root_at + 1.0])
    graph = csr_array((data, (rows, cols)), shape=(people + 1, people + 1))
    dist, pred = dijkstra(
        graph, directed=True, indices=source, return_predecessors=True
    )
    return dist[:people] - 1.0, pred[:people]


def spread(rng: np.random.Generator, customers: int, horizon: float) -> Spread:
    """Run the cascade until exactly ``customers`` people converted, within ``horizon``.

    The first customers arrive in the first days, organic ones trickle in faster
    and faster, and word of mouth spreads from all of them. The earliest
    ``customers`` to convert are kept; those after them are still prospects when
    the demo ends. The run is then scaled in time (by about 1.1 in practice, at
    most ``MAX_STRETCH``) so that the last customer converts near ``horizon``:
    the demo fills its period whatever its size.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness.
    customers : int
        How many people convert.
    horizon : float
        Seconds from the start to the end of the period.

    Returns
    -------
    Spread
        Arcs with their outcome, and each person's conversion time.

    >>> result = spread(np.random.default_rng(0), 500, 180 * DAY)
    >>> int(np.isfinite(result.converted_at).sum())
    500
    >>> bool(np.nanmax(np.where(np.isfinite(result.converted_at),
    ...                         result.converted_at, np.nan)) <= 180 * DAY)
    True
    """
    size = int(customers * POOL) + 60
    population = populate(rng, size)
    src, dst = talk_arcs(rng, population)
    stubborn = rng.random(size) < STUBBORN
    channel, talk_delay, click_delay, convert_delay, live = _outcomes(
        rng, src, dst, size, stubborn
    )
    weight = talk_delay + np.where(channel == LINK, click_delay, 0.0) + convert_delay

    seeds = max(3, round(customers * SEEDS))
    trickle = round(customers * TRICKLE)
    roots = rng.choice(size, size=min(size, seeds + trickle), replace=False)
    root_at = np.concatenate(
        [
            rng.random(seeds) * 3 * DAY,
            horizon * rng.random(len(roots) - seeds) ** ROOT_SHAPE,
        ]
    )
    live_src, live_dst, live_weight = src[live], dst[live], weight[live]
    while True:
        dist, pred = _activate(live_src, live_dst, live_weight, roots, root_at, size)
        reached = np.flatnonzero(np.isfinite(dist))
        if len(reached) >= customers:
            break
        # Too few people reached: more organic customers, among those not reached.
        missing = customers - len(reached)
        unreached = np.flatnonzero(~np.isfinite(dist))
        extra = rng.choice(
            unreached, size=min(len(unreached), missing // 2 + 3), replace=False
        )
        roots = np.concatenate([roots, extra])
        root_at = np.concatenate(
            [root_at, horizon * rng.random(len(extra)) ** ROOT_SHAPE]
        )

    order = reached[np.argsort(dist[reached], kind="stable")][:customers]
    is_customer = np.zeros(size, dtype=bool)
    is_customer[order] = True
    # A small demo whose cascade ran fast is stretched only so far: its delays stay
    # believable and it ends a little early.
    last = max(dist[order[-1]], 1.0) if customers else horizon
    scale = min(horizon / last, MAX_STRETCH)
    converted_at = np.where(is_customer, dist * scale, np.inf)
    talk_at = converted_at[src] + talk_delay * scale
    click_at = talk_at + click_delay * scale
    credited = live & is_customer[dst] & (pred[dst] == src)
    return Spread(
        people=size,
        culture=population.culture,
        src=src,
        dst=dst,
        channel=channel,
        talk_at=talk_at,
        click_at=click_at,
        credited=credited,
        converted_at=converted_at,
    )
