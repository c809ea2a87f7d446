"""Planted fraud, for the detectors to find: rings, a reciprocal pair, a burst.

- Referral rings: a chain of real referrals A -> B -> C (-> D) closed by an
  imported referral from the last back to A, although A is long a customer.
- A reciprocal pair: A referred B through the link, then B "referred" A.
- A self-referral burst: one customer signs up a dozen accounts through their
  own link within minutes, from one browser and address, with gmail variants of
  their own address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cascade import DAY, HOUR, LINK, MINUTE, REFERRAL, Spread
from .events import Devices, Draft
from .records import CHANNELS, CLICK, SIGNUP
from .records import REFERRAL as REFERRAL_EVENT

__all__ = ["BURST_ACCOUNTS", "MIN_CUSTOMERS", "RING_SIZES", "Plants", "plant"]

MIN_CUSTOMERS = 200  # below this the demo plants no fraud
RING_SIZES = (3, 4)
BURST_ACCOUNTS = 12  # more than the detector's 10 in 10 minutes
BURST_SPAN = 8 * MINUTE
_IMPORT = CHANNELS.index("import")


@dataclass
class Plants:
    """Planted fraud, people as population indices (accounts beyond the population)."""

    rings: list[list[int]] = field(default_factory=list)  # in cycle order
    reciprocal: list[int] = field(default_factory=list)  # [referrer, referee]
    fraudster: int = -1
    accounts: list[int] = field(default_factory=list)
    burst: tuple[float, float] = (0.0, 0.0)  # first and last sign-up, seconds


def _later(rng, after, horizon, most):
    """A time an hour to ``most`` seconds after ``after``, and before ``horizon``."""
    return min(after + rng.uniform(HOUR, most), horizon - MINUTE)


def _chain(rng, parent, eligible, length):
    """A random path of ``length`` people down ``parent`` links, root-most first."""
    ends = np.flatnonzero(eligible & (parent >= 0))
    path = [ends]
    for _ in range(length - 1):
        up = path[-1]
        path.append(np.where(up >= 0, parent[np.maximum(up, 0)], -1))
    ok = np.ones(len(ends), dtype=bool)
    for step in path:
        ok &= (step >= 0) & eligible[np.maximum(step, 0)]
    if not ok.any():
        return None
    pick = rng.choice(np.flatnonzero(ok))
    return [int(step[pick]) for step in reversed(path)]


def plant(
    rng: np.random.Generator,
    spread: Spread,
    device: Devices,
    horizon: float,
    draft: Draft,
) -> Plants:
    """Add the planted fraud's events to ``draft`` and say who took part."""
    plants = Plants()
    converted_at = spread.converted_at
    # Ring members converted at least two days before the end, so the ring can close.
    eligible = converted_at <= horizon - 2 * DAY
    real = spread.credited & np.isin(spread.channel, (LINK, REFERRAL))
    parent = np.full(spread.people, -1, dtype=np.int64)
    parent[spread.dst[real]] = spread.src[real]

    def close(members, fake_chain):
        if fake_chain:
            # No chain of real referrals to build on: import the whole ring.
            at = max(converted_at[m] for m in members)
            for talker, listener in zip(members, members[1:], strict=False):
                at = _later(rng, at, horizon - 2 * HOUR, DAY)
                draft.add(
                    REFERRAL_EVENT,
                    [at],
                    actor=talker,
                    listener=listener,
                    channel=_IMPORT,
                )
        else:
            at = converted_at[members[-1]]
        at = _later(rng, at, horizon, 4 * DAY)
        draft.add(
            REFERRAL_EVENT,
            [at],
            actor=members[-1],
            listener=members[0],
            channel=_IMPORT,
        )
        eligible[members] = False

    for length in RING_SIZES:
        members = _chain(rng, parent, eligible, length)
        fake = members is None
        if fake:
            pool = np.flatnonzero(eligible)
            members = sorted(
                rng.choice(pool, size=length, replace=False).tolist(),
                key=lambda person: converted_at[person],
            )
        close(members, fake)
        plants.rings.append(members)

    by_link = np.full(spread.people, -1, dtype=np.int64)
    linked = spread.credited & (spread.channel == LINK)
    by_link[spread.dst[linked]] = spread.src[linked]
    pair = _chain(rng, by_link, eligible, 2)
    fake = pair is None
    if fake:
        pair = sorted(
            rng.choice(np.flatnonzero(eligible), size=2, replace=False).tolist(),
            key=lambda person: converted_at[person],
        )
    close(pair, fake)
    plants.reciprocal = pair

    # The burst: a customer of some days' standing signs up a dozen accounts.
    candidates = np.flatnonzero(eligible & (converted_at <= horizon - 3 * DAY))
    fraudster = int(rng.choice(candidates))
    start = _later(
        rng, converted_at[fraudster] + DAY, horizon - BURST_SPAN - HOUR, 20 * DAY
    )
    offsets = np.sort(rng.choice(int(BURST_SPAN), size=BURST_ACCOUNTS, replace=False))
    signed_at = start + offsets
    clicked_at = signed_at - rng.uniform(5, 25, BURST_ACCOUNTS)
    accounts = np.arange(spread.people, spread.people + BURST_ACCOUNTS)
    # A private window: one new cookie for every account, the fraudster's own address.
    cookie = rng.integers(0, 1 << 63, dtype=np.int64)
    draft.add(
        CLICK,
        clicked_at,
        link=fraudster,
        visitor=cookie,
        ip=device.ip[fraudster],
        agent=device.agent[fraudster],
    )
    draft.add(
        SIGNUP,
        signed_at,
        actor=accounts,
        link=fraudster,
        visitor=cookie,
        ip=device.ip[fraudster],
    )
    plants.fraudster = fraudster
    plants.accounts = accounts.tolist()
    plants.burst = (float(signed_at[0]), float(signed_at[-1]))
    return plants
