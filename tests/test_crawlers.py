"""CrawlerDetect's patterns, sorted for speed, answer as CrawlerDetect itself."""

from __future__ import annotations

import pytest
from crawlerdetect import CrawlerDetect

from tests.conftest import user_agents as corpus
from wom.crawlers import CrawlerPatterns, crawler_patterns


@pytest.mark.parametrize(
    "name", ["crawlers.txt", "browsers.txt", "in-app-browsers.txt"]
)
def test_every_agent_of_the_corpus_is_decided_as_crawlerdetect_does(name):
    detector = CrawlerDetect()
    patterns = crawler_patterns()
    disagree = [
        agent
        for agent in corpus(name)
        if patterns.is_crawler(agent) != detector.is_crawler(agent)
    ]
    assert disagree == []


@pytest.mark.parametrize(
    "agent, crawler",
    [
        ("Mozilla/5.0 (compatible; Googlebot/2.1)", True),  # a plain word
        ("curl/8.5.0", True),  # anchored at the start
        ("Java/1.8 outbrain", True),  # a true expression
        ("Mozilla/5.0 Safari/605.1", False),  # excluded, then nothing left
    ],
)
def test_each_kind_of_pattern_is_matched(agent, crawler):
    assert crawler_patterns().is_crawler(agent) is crawler


def test_a_pattern_with_a_leading_class_matches_as_without_it():
    patterns = CrawlerPatterns([r"[a-z0-9\-_]*(bot|spider)"], [])
    assert patterns.is_crawler("my-spider/1") and not patterns.is_crawler("mozilla")
