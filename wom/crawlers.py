"""CrawlerDetect's patterns, matched in time linear in the user agent.

CrawlerDetect (kept up to date upstream) decides: strip what its exclusions match
(browser names, versions), then look for any of some 1,460 crawler patterns in
what is left. Python's ``re`` tries every branch of one big alternation at every
position, about 19 µs a character here, and one pattern that begins with
``[a-z0-9\\-_]*`` makes the search quadratic (an 8 kB agent took 6.5 s).

So the patterns are sorted once by what they must begin with: a pattern that
starts with at least three plain characters is tried only where the agent has
those three (looked up in a dict at each position); those anchored at the start
are tried there only; the rest stay one alternation. A leading ``[..]*`` is
dropped (a search matches with it exactly when without), and a group of plain
words is split into its words. The answers are CrawlerDetect's own: a test
holds them together on its corpus.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from crawlerdetect.providers.crawlers import data as CRAWLER_PATTERNS
from crawlerdetect.providers.exclusions import data as EXCLUDED_PATTERNS

__all__ = ["CrawlerPatterns", "crawler_patterns"]

_KEY = 3  # plain characters that index a pattern
# A character that stands for itself: not special, or escaped punctuation.
_UNIT = r"(?:[^.^$*+?{}\[\]\\|()]|\\[^A-Za-z0-9])"
_PREFIX = re.compile(f"{_UNIT}+")
_WORDS = re.compile(rf"\(({_UNIT}+(?:\|{_UNIT}+)*)\)")
_LEADING_CLASS = re.compile(r"^\[[^\]]*\]\*")


def _plain(units: list[str]) -> str:
    """Escaped punctuation as itself, lower case."""
    return "".join(unit[-1] for unit in units).lower()


def _prefix(pattern: str) -> tuple[str, bool]:
    """The plain text ``pattern`` must begin with, and whether that is all of it.

    >>> _prefix(r"Fetch\\/[0-9]"), _prefix("Project ?25499"), _prefix("Googlebot")
    (('fetch/', False), ('project', False), ('googlebot', True))
    """
    found = _PREFIX.match(pattern)
    if found is None:
        return "", False
    units = re.findall(r"\\.|.", found.group(), re.DOTALL)
    after = pattern[found.end() :]
    if after[:1] in ("?", "*", "{"):
        units.pop()  # the quantifier makes the last character optional
    return _plain(units), not after


def _alternation(patterns: list[str]) -> re.Pattern:
    # (?!) matches nothing: an empty list.
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", re.IGNORECASE)


class CrawlerPatterns:
    """Crawler patterns and the exclusions applied first, ready to match."""

    def __init__(self, crawlers: Iterable[str], exclusions: Iterable[str]):
        by_key: dict[str, list] = defaultdict(list)
        at_start, other, every = [], [], []
        for pattern in crawlers:
            pattern = _LEADING_CLASS.sub("", pattern)
            every.append(pattern)
            group = _WORDS.fullmatch(pattern)
            for part in group.group(1).split("|") if group else [pattern]:
                text, whole = _prefix(part)
                if len(text) >= _KEY and "|" not in part:
                    # A plain word is compared as text; else its pattern is tried.
                    entry = text if whole else re.compile(part, re.IGNORECASE)
                    by_key[text[:_KEY]].append(entry)
                elif part.startswith("^") and "|" not in part:
                    at_start.append(part[1:])
                else:
                    other.append(part)
        self._by_key = {key: tuple(entries) for key, entries in by_key.items()}
        self._at_start = _alternation(at_start)
        self._other = _alternation(other)
        self._every = _alternation(every)
        self._excluded = re.compile("|".join(exclusions), re.IGNORECASE)

    def is_crawler(self, agent: str) -> bool:
        """Whether ``agent`` is a crawler's, as CrawlerDetect decides.

        >>> patterns = CrawlerPatterns(["Googlebot", "^curl", "Fetch\\\\/[0-9]"], [])
        >>> [patterns.is_crawler(a) for a in ("x googlebot/2.1", "curl/8", "a curl")]
        [True, True, False]
        >>> patterns.is_crawler("Fetch/3"), patterns.is_crawler("Fetch/x")
        (True, False)
        """
        rest = self._excluded.sub("", agent)
        if not rest:
            return False
        low = rest.lower()
        if len(low) != len(rest):
            # Lower case moved the positions (a rare letter): search it all.
            return self._every.search(rest) is not None
        by_key = self._by_key
        for i in range(len(low) - _KEY + 1):
            entries = by_key.get(low[i : i + _KEY])
            if entries is not None:
                for entry in entries:
                    if (
                        low.startswith(entry, i)
                        if type(entry) is str
                        else entry.match(rest, i)
                    ):
                        return True
        return (
            self._at_start.match(rest) is not None
            or self._other.search(rest) is not None
        )


@lru_cache(maxsize=1)
def crawler_patterns() -> CrawlerPatterns:
    """CrawlerDetect's patterns, sorted on first use."""
    return CrawlerPatterns(CRAWLER_PATTERNS, EXCLUDED_PATTERNS)
