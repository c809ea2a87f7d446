"""People's names: the loose form in which a typed "who told you" answer matches."""

from __future__ import annotations

import unicodedata

__all__ = ["normalise_name"]


def normalise_name(text: str) -> str:
    """A name as people type it loosely: NFKC, case-folded, single spaces.

    >>> normalise_name("  Zoë   DUPONT ")
    'zoë dupont'
    >>> normalise_name("ＺＯË Dupont") == normalise_name("zoë dupont")
    True
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
