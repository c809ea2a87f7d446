"""What the Graph and Spread tests share: a small word-of-mouth story recorded
through the store, and the data a page embeds for its scripts."""

from __future__ import annotations

import re

import orjson


def _at(day: str, hour: int = 10) -> str:
    return f"2026-{day}T{hour:02d}:00:00Z"


# Maya's cascade (Leo, Ana, then Tom under Leo), Ana's mention of a prospect,
# Ivy alone, and Ivy mentioning Maya: a conversation between two cascades.
STORY = [
    {"type": "signup", "customer": "maya", "name": "Maya Okafor", "at": _at("01-01")},
    {"type": "referral", "from": "maya", "to": "leo", "at": _at("01-02", 9)},
    {"type": "signup", "customer": "leo", "name": "Leo Chen", "at": _at("01-02")},
    {"type": "mention", "from": "maya", "to": "ana", "at": _at("01-03", 9)},
    {"type": "signup", "customer": "ana", "name": "Ana Souza", "at": _at("01-03")},
    {"type": "referral", "from": "leo", "to": "tom", "at": _at("01-05", 9)},
    {"type": "signup", "customer": "tom", "name": "Tom Berg", "at": _at("01-05")},
    {"type": "mention", "from": "ana", "to": "pia", "at": _at("01-06", 9)},
    {"type": "signup", "customer": "ivy", "name": "Ivy Patel", "at": _at("02-10")},
    {"type": "mention", "from": "ivy", "to": "maya", "at": _at("02-11", 9)},
]


def embedded(page: str, element_id: str):
    """The JSON a page hands its scripts in ``<script id=element_id>``."""
    found = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>',
        page,
        re.S,
    )
    assert found, f"no #{element_id} data block"
    return orjson.loads(found[1])
