"""Answers kept until the figures they were computed from move."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

__all__ = ["Memo"]

T = TypeVar("T")


class Memo:
    """Answers by key, the latest ``keep`` of each kind (a key's first item), so
    that a reader asking for ever new variants cannot fill the memory.

    >>> memo = Memo(keep=2)
    >>> [memo.get(("page", n), lambda: n * n) for n in (1, 2, 1, 3)]
    [1, 4, 1, 9]
    >>> memo.get(("page", 1), lambda: "computed again")  # the oldest made way
    'computed again'
    >>> memo.clear(); memo.get(("page", 3), lambda: "after a change")
    'after a change'
    """

    def __init__(self, keep: int = 16):
        self.keep = keep
        self._kinds: dict[Hashable, dict[Hashable, object]] = {}

    def get(self, key: tuple, compute: Callable[[], T]) -> T:
        """The answer kept for ``key``, or ``compute()``'s, kept."""
        kept = self._kinds.setdefault(key[0], {})
        if key in kept:
            return kept[key]
        if len(kept) >= self.keep:
            del kept[next(iter(kept))]
        kept[key] = answer = compute()
        return answer

    def clear(self) -> None:
        """Forget every answer: what they were computed from has moved."""
        self._kinds = {}
