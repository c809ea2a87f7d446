"""The cascade's outcome, told as the events a business would record.

A talker passes the word on by sharing their link or by mentioning us. A shared
link may be fetched by a chat app's preview bot and clicked by the listener, who
may then sign up through it. A mention may be recorded by the owner, and the
listener may name the talker on the sign-up form ("who told you about us?").
A few referrals arrive from an import instead. Customers then buy, most once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cascade import DAY, HOUR, LINK, MENTION, MINUTE, REFERRAL, Spread, lognormal
from .records import (
    BOT_USER_AGENTS,
    CHANNELS,
    CLICK,
    HEARD_FROM,
    HUMAN_USER_AGENTS,
    PURCHASE,
    SIGNUP,
)
from .records import MENTION as MENTION_EVENT
from .records import REFERRAL as REFERRAL_EVENT

__all__ = ["Devices", "Draft", "conversations", "devices", "purchases"]

BOT_PREVIEW = 0.08  # a shared link is fetched by a link-preview bot
MENTION_RECORDED = 0.3  # the owner hears of a mention that converted no one
CONVERTED_MENTION_RECORDED = 0.5
HEARD_FROM_ANSWERED = 0.6  # a converted listener names their talker on the form
LINK_HEARD_FROM = 0.15  # ... even though they came through the link
HOUSEHOLD = 0.02  # a referee who shares the referrer's IP address (one household)
UNNAMED_CHANNEL = 0.1  # a recorded mention without its channel
BUYS = 0.82  # a customer buys at least once
REPEATS = 0.3  # a buyer comes back
FREE = 0.005  # a purchase of 0 (a free sample)
_MENTION_CHANNELS = [
    CHANNELS.index(name)
    for name in ("in person", "WhatsApp", "Instagram", "email", "phone", "at work")
]
_FORM = CHANNELS.index("signup form")
_IMPORT = CHANNELS.index("import")
_V6 = 1 << 32
_CGNAT = 0x64400000  # 100.64.0.0/10: mobile carriers put many people behind one address
# Bots fetch from the documentation ranges 192.0.2/24, 198.51.100/24, 203.0.113/24.
_TEST_NETS = (0xC0000200, 0xC6336400, 0xCB007100)


class Draft:
    """Event columns under construction, people as population indices (-1: absent)."""

    _defaults = {
        "actor": np.int32,
        "listener": np.int32,
        "link": np.int32,
        "visitor": np.int64,
        "ip": np.int64,
        "agent": np.int16,
        "channel": np.int8,
        "cents": np.int64,
    }

    def __init__(self):
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, kind: int, at, **fields) -> None:
        """Append events of one ``kind`` at times ``at`` (seconds, floored)."""
        at = np.floor(np.asarray(at, dtype=np.float64)).astype(np.int64)
        part = {"kind": np.full(len(at), kind, dtype=np.int8), "at": at}
        for name, dtype in self._defaults.items():
            value = fields.pop(name, -1)
            part[name] = np.broadcast_to(np.asarray(value, dtype=dtype), at.shape)
        if fields:
            raise TypeError(f"unknown event fields: {sorted(fields)}")
        self.parts.append(part)

    def columns(self) -> dict[str, np.ndarray]:
        """All events so far, in the order they were added."""
        names = ["kind", "at", *self._defaults]
        return {
            name: np.concatenate(
                [part[name] for part in self.parts] or [np.empty(0, dtype=np.int64)]
            )
            for name in names
        }


@dataclass
class Devices:
    """Per person: the browser cookie, address and browser they come with."""

    visitor: np.ndarray
    ip: np.ndarray
    agent: np.ndarray


def devices(rng: np.random.Generator, people: int) -> Devices:
    """A cookie, an IP code and a human user agent for each of ``people``."""
    mobile = rng.random(people) < 0.4
    ip = np.where(
        mobile,
        _CGNAT + rng.integers(0, 1 << 22, people),
        _V6 + rng.integers(0, 1 << 48, people),
    )
    agent = rng.choice(
        len(HUMAN_USER_AGENTS),
        size=people,
        p=[0.24, 0.16, 0.08, 0.17, 0.09, 0.05, 0.05, 0.04, 0.12],
    )
    return Devices(
        visitor=rng.integers(0, 1 << 63, people, dtype=np.int64),
        ip=ip.astype(np.int64),
        agent=agent.astype(np.int16),
    )


def _bot_devices(rng, count):
    bot = rng.integers(0, len(BOT_USER_AGENTS), count)
    ip = np.asarray(_TEST_NETS)[bot % len(_TEST_NETS)] + rng.integers(1, 255, count)
    # Preview fetchers keep no cookies: a new visitor on every fetch.
    visitor = rng.integers(0, 1 << 63, count, dtype=np.int64)
    return visitor, ip, (len(HUMAN_USER_AGENTS) + bot).astype(np.int16)


def conversations(
    rng: np.random.Generator,
    spread: Spread,
    device: Devices,
    horizon: float,
    draft: Draft,
) -> None:
    """Add the talk, click and conversion events of the cascade to ``draft``."""
    src, dst, channel, credited = (
        spread.src,
        spread.dst,
        spread.channel,
        spread.credited,
    )
    converted_at = spread.converted_at
    talked = spread.talk_at <= horizon
    arcs = len(src)

    # One household: the referee's address is the referrer's (a legitimate shared IP).
    household = credited & (channel == LINK) & (rng.random(arcs) < HOUSEHOLD)
    device.ip[dst[household]] = device.ip[src[household]]

    # Organic customers sign up with nobody to name.
    customer = np.isfinite(converted_at)
    referred = np.zeros(spread.people, dtype=bool)
    referred[dst[credited]] = True
    roots = np.flatnonzero(customer & ~referred)
    draft.add(
        SIGNUP,
        converted_at[roots],
        actor=roots,
        visitor=device.visitor[roots],
        ip=device.ip[roots],
    )

    shared = np.flatnonzero(talked & (channel == LINK))
    bots = shared[rng.random(len(shared)) < BOT_PREVIEW]
    visitor, ip, agent = _bot_devices(rng, len(bots))
    draft.add(
        CLICK,
        spread.talk_at[bots] + rng.uniform(1, 30, len(bots)),
        link=src[bots],
        visitor=visitor,
        ip=ip,
        agent=agent,
    )
    # A listener clicks until they convert; a customer has no reason to click again.
    clicks = np.flatnonzero(
        (spread.click_at <= horizon) & (spread.click_at < converted_at[dst])
    )
    who = dst[clicks]
    draft.add(
        CLICK,
        spread.click_at[clicks],
        link=src[clicks],
        visitor=device.visitor[who],
        ip=device.ip[who],
        agent=device.agent[who],
    )
    joined = np.flatnonzero(credited & (channel == LINK))
    who = dst[joined]
    draft.add(
        SIGNUP,
        converted_at[who],
        actor=who,
        link=src[joined],
        visitor=device.visitor[who],
        ip=device.ip[who],
    )

    said = np.flatnonzero(credited & (channel == MENTION))
    who = dst[said]
    draft.add(
        SIGNUP,
        converted_at[who],
        actor=who,
        visitor=device.visitor[who],
        ip=device.ip[who],
    )
    heard = said[rng.random(len(said)) < CONVERTED_MENTION_RECORDED]
    unheeded = np.flatnonzero(talked & (channel == MENTION) & ~credited)
    unheeded = unheeded[rng.random(len(unheeded)) < MENTION_RECORDED]
    recorded = np.concatenate([heard, unheeded])
    named = np.where(
        rng.random(len(recorded)) < UNNAMED_CHANNEL,
        -1,
        rng.choice(_MENTION_CHANNELS, size=len(recorded)),
    )
    draft.add(
        MENTION_EVENT,
        spread.talk_at[recorded],
        actor=src[recorded],
        listener=dst[recorded],
        channel=named,
    )
    answered = np.concatenate(
        [
            said[rng.random(len(said)) < HEARD_FROM_ANSWERED],
            joined[rng.random(len(joined)) < LINK_HEARD_FROM],
        ]
    )
    # The answer is given on the form, a little before the sign-up completes, and
    # after the click that brought a link's listener to the form.
    landed = np.where(
        channel[answered] == LINK, spread.click_at[answered], spread.talk_at[answered]
    )
    answered_at = np.maximum(
        converted_at[dst[answered]] - rng.uniform(20, 600, len(answered)), landed
    )
    draft.add(
        HEARD_FROM,
        answered_at,
        actor=src[answered],
        listener=dst[answered],
        channel=_FORM,
    )

    imported = np.flatnonzero(credited & (channel == REFERRAL))
    draft.add(
        REFERRAL_EVENT,
        converted_at[dst[imported]],
        actor=src[imported],
        listener=dst[imported],
        channel=_IMPORT,
    )


def purchases(
    rng: np.random.Generator,
    customers: np.ndarray,
    converted_at: np.ndarray,
    horizon: float,
    draft: Draft,
) -> None:
    """Add purchases: most customers buy once, some come back; values are lognormal."""
    buyers = customers[rng.random(len(customers)) < BUYS]
    extra = np.where(
        rng.random(len(buyers)) < REPEATS,
        np.minimum(rng.geometric(0.45, len(buyers)), 20),
        0,
    )
    count = 1 + extra
    who = np.repeat(buyers, count)
    first = np.zeros(len(who), dtype=bool)
    first[np.cumsum(count) - count] = True
    # A first purchase comes in the sign-up visit or days later; repeats weeks apart.
    soon = rng.random(len(who)) < 0.5
    gap = np.where(
        first,
        np.where(
            soon,
            lognormal(rng, 15 * MINUTE, 1.0, len(who), MINUTE, 6 * HOUR),
            lognormal(rng, 3 * DAY, 1.2, len(who), HOUR, 60 * DAY),
        ),
        lognormal(rng, 21 * DAY, 0.8, len(who), DAY, 120 * DAY),
    )
    total = np.cumsum(gap)
    before = np.repeat(total[first] - gap[first], count)
    at = converted_at[who] + total - before
    # Spending is heavy-tailed across customers, steadier for one customer.
    level = np.repeat(rng.normal(np.log(32), 0.9, len(buyers)), count)
    cents = np.rint(np.exp(level + rng.normal(0, 0.35, len(who))) * 100).astype(
        np.int64
    )
    cents[rng.random(len(who)) < FREE] = 0
    keep = at <= horizon
    draft.add(PURCHASE, at[keep], actor=who[keep], cents=cents[keep])
