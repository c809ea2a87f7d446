"""Privacy-safe request facts: the IP's keyed hash, and whose clicks are people's.

The corpus (tests/data/user-agents, from CrawlerDetect's own fixtures) holds
3,730 crawler, scraper, headless-browser, link-preview and script user agents,
and a sample of real browsers, in-app ones (Facebook, Instagram) among them.
"""

from __future__ import annotations

import pytest

from tests.conftest import user_agents as corpus
from wom.privacy import (
    USER_AGENT_READ,
    check_bot_pattern,
    use_owner_bot_pattern,
    user_agent_class,
)


@pytest.fixture
def owner_pattern():
    """Set the owner's pattern for one test, and clear it after."""
    yield use_owner_bot_pattern
    use_owner_bot_pattern("")


def test_every_crawler_of_the_corpus_is_a_bot():
    crawlers = corpus("crawlers.txt")
    assert len(crawlers) > 3700
    assert [ua for ua in crawlers if user_agent_class(ua) != "bot"] == []


@pytest.mark.parametrize("name", ["browsers.txt", "in-app-browsers.txt"])
def test_every_browser_of_the_corpus_is_a_person(name):
    browsers = corpus(name)
    assert len(browsers) > 300
    assert [ua for ua in browsers if user_agent_class(ua) != "human"] == []


def test_the_in_app_sample_holds_facebook_and_instagram():
    sample = corpus("in-app-browsers.txt")
    assert any("FBAN/" in ua for ua in sample)
    assert any("Instagram" in ua for ua in sample)


@pytest.mark.parametrize("agent", [None, "", "   "])
def test_no_agent_is_a_bot(agent):
    assert user_agent_class(agent) == "bot"


def test_only_the_start_of_a_long_agent_is_read():
    browser = corpus("browsers.txt")[0]
    padded = browser + " " * (USER_AGENT_READ - len(browser))
    assert user_agent_class(padded + "Googlebot/2.1") == "human"
    assert user_agent_class("Googlebot/2.1 " + padded) == "bot"


def test_the_owners_pattern_counts_their_own_bots(owner_pattern):
    mine = corpus("browsers.txt")[0] + " ShopWatch/3.1"
    assert user_agent_class(mine) == "human"
    owner_pattern("shopwatch/")
    assert user_agent_class(mine) == "bot"
    owner_pattern("")
    assert user_agent_class(mine) == "human"


@pytest.mark.parametrize(
    "pattern, problem",
    [
        ("Mozilla", "matches an ordinary browser"),
        (".*", "matches an ordinary browser"),
        ("(", "give a regular expression"),
        ("x" * 501, "at most 500 characters"),
    ],
)
def test_an_owners_pattern_that_would_catch_people_is_refused(pattern, problem):
    with pytest.raises(ValueError, match=problem):
        check_bot_pattern(pattern)
