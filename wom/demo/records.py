"""Columns of numbers that read as lists of plain dicts.

A million customers make millions of events. Held as Python dicts they would
take gigabytes; held as numpy columns they take a few hundred megabytes, and
each dict is built only when it is read. ``People`` and ``EventLog`` are
read-only sequences: index them, slice them, iterate them, or ``list()`` them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np

from .names import FIRST_NAMES, LAST_NAMES

__all__ = [
    "BOT_USER_AGENTS",
    "CHANNELS",
    "EVENT_TYPES",
    "HUMAN_USER_AGENTS",
    "LINK_ALPHABET",
    "EventLog",
    "People",
    "format_ip",
    "format_link_code",
]

EVENT_TYPES = ("mention", "heard_from", "referral", "signup", "purchase", "click")
MENTION, HEARD_FROM, REFERRAL, SIGNUP, PURCHASE, CLICK = range(6)
CHANNELS = (
    "in person",
    "WhatsApp",
    "Instagram",
    "email",
    "phone",
    "at work",
    "signup form",
    "import",
)
LINK_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i
LINK_LENGTH = 8
HUMAN_USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.31.115 (iPhone15,2; iOS 17_4)",
)
# Link-preview fetchers and crawlers: they "click" when a link is pasted in a chat.
BOT_USER_AGENTS = (
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "WhatsApp/2.23.20.0",
    "TelegramBot (like TwitterBot)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Discordbot/2.0; +https://discordapp.com",
)
USER_AGENTS = HUMAN_USER_AGENTS + BOT_USER_AGENTS
_V6 = 1 << 32  # ip codes at or above this are IPv6 in the 2001:db8::/32 range


def format_ip(code: int) -> str:
    """An IP address from its numeric code: IPv4 below 2**32, else 2001:db8::/32.

    >>> format_ip(0x64400001), format_ip((1 << 32) + 0x0001_0002_0003)
    ('100.64.0.1', '2001:db8:1:2::3')
    """
    if code < _V6:
        return f"{code >> 24}.{(code >> 16) & 255}.{(code >> 8) & 255}.{code & 255}"
    code -= _V6
    high, middle, low = (code >> 32) & 0xFFFF, (code >> 16) & 0xFFFF, code & 0xFFFF
    return f"2001:db8:{high:x}:{middle:x}::{low:x}"


def format_link_code(code: int) -> str:
    """A link code from its number: ``LINK_LENGTH`` letters of ``LINK_ALPHABET``.

    >>> format_link_code(0), format_link_code(31)
    ('22222222', '22222232')
    """
    letters = []
    for _ in range(LINK_LENGTH):
        code, digit = divmod(code, len(LINK_ALPHABET))
        letters.append(LINK_ALPHABET[digit])
    return "".join(reversed(letters))


def _id_width(count: int) -> int:
    return max(6, len(str(count)))


class _Columns(Sequence):
    """Shared machinery: a length, chunked iteration and equality by columns."""

    _chunk = 65_536
    _fields: tuple[str, ...] = ()

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return self._rows(start, max(start, stop))
            return [self[i] for i in range(start, stop, step)]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("index out of range")
        return self._rows(index, index + 1)[0]

    def __iter__(self) -> Iterator[dict]:
        for start in range(0, len(self), self._chunk):
            yield from self._rows(start, min(len(self), start + self._chunk))

    def __eq__(self, other) -> bool:
        if type(other) is type(self):
            return self._key() == other._key() and all(
                np.array_equal(getattr(self, name), getattr(other, name))
                for name in self._fields
            )
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {len(self)}>"

    def _key(self) -> tuple:
        return (self._length,)

    @abstractmethod
    def _rows(self, start: int, stop: int) -> list[dict]:
        """Rows ``start`` to ``stop``, built from the columns."""


class People(_Columns):
    """Everyone the events name, as dicts of external id, name, email, link code."""

    _fields = ("first", "last", "link")

    def __init__(
        self,
        first: np.ndarray,
        last: np.ndarray,
        emails: list[str | None],
        link: np.ndarray,
    ):
        self._length = len(first)
        self.first, self.last, self.emails, self.link = first, last, emails, link
        self.width = _id_width(len(first))

    def _key(self) -> tuple:
        return (self._length, self.emails)

    def external_id(self, rank: int) -> str:
        """The external id of the person at ``rank``: ``c`` and a padded number."""
        return f"c{rank + 1:0{self.width}d}"

    def _rows(self, start: int, stop: int) -> list[dict]:
        width = self.width
        return [
            {
                "external_id": f"c{rank + 1:0{width}d}",
                "name": f"{FIRST_NAMES[first]} {LAST_NAMES[last]}",
                "email": email,
                "link_code": format_link_code(link) if link >= 0 else None,
            }
            for rank, first, last, email, link in zip(
                range(start, stop),
                self.first[start:stop].tolist(),
                self.last[start:stop].tolist(),
                self.emails[start:stop],
                self.link[start:stop].tolist(),
                strict=True,
            )
        ]


class EventLog(_Columns):
    """The demo's events in time order, as dicts in the API contract's shape.

    Columns hold people as ranks into ``People``; -1 marks an absent field.
    """

    _fields = (
        "kind",
        "at",
        "actor",
        "listener",
        "link",
        "visitor",
        "ip",
        "agent",
        "channel",
        "cents",
    )

    def __init__(
        self,
        start: datetime,
        people: People,
        *,
        kind,
        at,
        actor,
        listener,
        link,
        visitor,
        ip,
        agent,
        channel,
        cents,
    ):
        self._length = len(kind)
        self.start, self.people = start, people
        self.kind, self.at, self.actor, self.listener = kind, at, actor, listener
        self.link, self.visitor, self.ip, self.agent = link, visitor, ip, agent
        self.channel, self.cents = channel, cents

    def _key(self) -> tuple:
        return (self._length, self.start, self.people)

    def _rows(self, start: int, stop: int) -> list[dict]:
        s = slice(start, stop)
        width, origin = self.people.width, self.start
        links = self.link[s]
        link_codes = np.where(links >= 0, self.people.link[links], -1)
        rows = []
        for (
            number,
            kind,
            at,
            actor,
            listener,
            link,
            visitor,
            ip,
            agent,
            channel,
            cents,
        ) in zip(
            range(start, stop),
            self.kind[s].tolist(),
            self.at[s].tolist(),
            self.actor[s].tolist(),
            self.listener[s].tolist(),
            link_codes.tolist(),
            self.visitor[s].tolist(),
            self.ip[s].tolist(),
            self.agent[s].tolist(),
            self.channel[s].tolist(),
            self.cents[s].tolist(),
            strict=True,
        ):
            moment = origin + timedelta(seconds=at)
            if kind <= REFERRAL:
                row = {
                    "type": EVENT_TYPES[kind],
                    "from": f"c{actor + 1:0{width}d}",
                    "to": f"c{listener + 1:0{width}d}",
                    "at": moment,
                }
                if channel >= 0:
                    row["channel"] = CHANNELS[channel]
            elif kind == SIGNUP:
                row = {
                    "type": "signup",
                    "customer": f"c{actor + 1:0{width}d}",
                    "at": moment,
                }
                if link >= 0:
                    row["link"] = format_link_code(link)
                if visitor >= 0:
                    row["visitor"] = f"{visitor:016x}"
                if ip >= 0:
                    row["ip"] = format_ip(ip)
            elif kind == PURCHASE:
                row = {
                    "type": "purchase",
                    "customer": f"c{actor + 1:0{width}d}",
                    # Exact major units: never a float near the cents.
                    "value": Decimal(cents).scaleb(-2),
                    "currency": "EUR",
                    "at": moment,
                }
            else:
                row = {
                    "type": "click",
                    "link": format_link_code(link),
                    "visitor": f"{visitor:016x}",
                    "at": moment,
                    "user_agent": USER_AGENTS[agent],
                }
                if ip >= 0:
                    row["ip"] = format_ip(ip)
            row["event_id"] = f"demo-{number}"
            rows.append(row)
        return rows
