"""Cells of an export, a column at a time: times as ISO 8601 and text fit for XML.

A million rows make every per-cell microsecond count, so times are formatted a
chunk's column at once (numpy), and text is escaped only when it needs it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["iso_micros", "iso_seconds", "xml_text"]

# What XML must escape in an attribute or text, and what it cannot carry at all.
_CARE = re.compile("[&<>\"'\x00-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
_KEPT = {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}


def _escaped(found: re.Match) -> str:
    char = found.group()
    return _ESCAPES.get(char) or _KEPT.get(char) or "\ufffd"


def xml_text(value: str) -> str:
    """``value`` safe inside an XML attribute's quotes or an element: markup
    escaped, tabs and line breaks kept as references, and characters XML 1.0
    cannot carry replaced by U+FFFD.

    >>> xml_text('Ann "<b>" & co'), xml_text("a\\nb\\x00"), xml_text("Zoë")
    ('Ann &quot;&lt;b&gt;&quot; &amp; co', 'a&#10;b\\ufffd', 'Zoë')
    """
    if _CARE.search(value) is None:
        return value
    return _CARE.sub(_escaped, value)


def iso_micros(values: Sequence[int | None]) -> list[str | None]:
    """Microseconds since the epoch as ISO 8601 with a Z, as
    ``wom.contract.iso`` writes them (fractions only when there are some).

    >>> iso_micros([0, 1_500_000, None])
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:01.500000Z', None]
    """
    known = [v for v in values if v is not None]
    texts = iter(
        np.datetime_as_string(np.array(known, "datetime64[us]"), unit="us").tolist()
    )
    out: list[str | None] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        text = next(texts)
        out.append((text[:-7] if text.endswith(".000000") else text) + "Z")
    return out


def iso_seconds(values: Sequence[float | None]) -> list[str | None]:
    """POSIX seconds (the analytics' unit) as ISO 8601, to the microsecond.

    >>> iso_seconds([1.25, None])
    ['1970-01-01T00:00:01.250000Z', None]
    """
    return iso_micros(
        [None if v is None or v != v else round(v * 1_000_000) for v in values]
    )
