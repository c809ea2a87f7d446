"""Privacy-safe request facts: a keyed hash of the IP, and the class of a user agent."""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from .crawlers import crawler_patterns

__all__ = [
    "USER_AGENT_READ",
    "check_bot_pattern",
    "hmac_ip",
    "use_owner_bot_pattern",
    "user_agent_class",
]

#: How much of a user agent is classified. Real ones are shorter (an in-app
#: browser's runs to about 350 characters); matching costs time per character.
USER_AGENT_READ = 512
# An ordinary browser that no owner's pattern may call a bot.
_PLAIN_BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
_owner: re.Pattern | None = None


def hmac_ip(ip: str, key: bytes) -> str:
    """HMAC-SHA-256 of an IP address under a key kept outside the database.

    A plain or salted hash of an IPv4 address falls to brute force in minutes; a
    keyed one does not, and rotating the key unlinks old rows.

    >>> hmac_ip("192.0.2.1", b"k") == hmac_ip("192.0.2.1", b"k")
    True
    >>> hmac_ip("192.0.2.1", b"k") == hmac_ip("192.0.2.1", b"other")
    False
    """
    # hmac.new rather than the one-shot hmac.digest: the same value, but the
    # one-shot lets go of the GIL, which costs a busy server a queue for it.
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]


def check_bot_pattern(pattern: str) -> str:
    """The owner's own bot pattern, checked: a regular expression (case ignored)
    that matches no ordinary browser; empty for none. ValueError says why not.

    >>> check_bot_pattern(" uptime-robot|MyMonitor/ ")
    'uptime-robot|MyMonitor/'
    >>> check_bot_pattern("Mozilla")
    Traceback (most recent call last):
    ...
    ValueError: it matches an ordinary browser; name what only your bots send
    """
    pattern = pattern.strip()
    if not pattern:
        return ""
    if len(pattern) > 500:
        raise ValueError("give a regular expression of at most 500 characters")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"give a regular expression ({exc})") from None
    if compiled.search(_PLAIN_BROWSER) or compiled.search(""):
        raise ValueError(
            "it matches an ordinary browser; name what only your bots send"
        )
    return pattern


def use_owner_bot_pattern(pattern: str) -> None:
    """Count the user agents ``pattern`` matches as bots too (the owner's
    ``bot_user_agents`` setting, checked by :func:`check_bot_pattern`)."""
    global _owner
    compiled = re.compile(pattern, re.IGNORECASE) if pattern else None
    if (compiled and compiled.pattern) != (_owner and _owner.pattern):
        _owner = compiled
        _classify.cache_clear()


@lru_cache(maxsize=8192)
def _classify(agent: str) -> str:
    if _owner is not None and _owner.search(agent):
        return "bot"
    return "bot" if crawler_patterns().is_crawler(agent) else "human"


def user_agent_class(user_agent: str | None) -> str:
    """``"bot"`` for crawlers, scrapers, headless browsers, link previews, scripts
    or no agent at all; else ``"human"``.

    CrawlerDetect's patterns (kept up to date upstream) decide, with the owner's
    own pattern beside them. Each agent is classified once and then remembered.

    >>> user_agent_class("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
    'bot'
    >>> user_agent_class("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0")
    'bot'
    >>> user_agent_class("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36")
    'human'
    >>> user_agent_class(None)
    'bot'
    """
    if not user_agent or not user_agent.strip():
        return "bot"
    return _classify(user_agent.strip()[:USER_AGENT_READ])
