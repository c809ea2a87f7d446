"""Fraud findings through the service: bursts count credits (the threshold is a
setting), and a shared address at sign-up is found whatever was bought."""

from __future__ import annotations

import pytest

from wom.service.background import compute
from wom.store.settings import write_setting


def _burst_flags(store) -> list[tuple]:
    """The burst flags the background figures raise on ``store``, by referrer."""
    flags = compute(str(store.path))["flags"]
    return sorted(
        (flag["credits"][0][1], flag["reason"].split(" ")[0])
        for flag in flags
        if flag["kind"] == "burst"
    )


# Eleven moments within ten minutes.
SECONDS_APART = [f"2026-02-02T10:00:{i:02}Z" for i in range(11)]


def test_a_burst_counts_credits_not_sign_ups_through_a_link(store, record):
    record(
        {"type": "signup", "customer": "q", "at": "2026-01-01T00:00:00Z"},
        {"type": "signup", "customer": "r", "at": "2026-01-01T00:00:00Z"},
    )
    code = store.reader().execute("SELECT code FROM links WHERE owner_id = 2")
    code = code.fetchone()[0]
    # q told eleven friends first, so first touch credits q for all eleven,
    # although they sign up through r's link within ten minutes.
    friends = [f"f{i}" for i in range(11)]
    record(
        *(
            {"type": "mention", "from": "q", "to": f, "at": "2026-02-01T00:00:00Z"}
            for f in friends
        ),
        *(
            {"type": "signup", "customer": f, "link": code, "at": at}
            for f, at in zip(friends, SECONDS_APART, strict=True)
        ),
    )
    assert [referrer for referrer, _ in _burst_flags(store)] == [1]


@pytest.mark.parametrize(("threshold", "flagged"), [(10, []), (2, [1])])
def test_the_burst_threshold_is_the_setting(store, record, threshold, flagged):
    with store.write() as db:
        write_setting(db, "burst_threshold", threshold)
    record(
        {"type": "signup", "customer": "a", "at": "2026-01-01T00:00:00Z"},
        *(
            {"type": "referral", "from": "a", "to": f"b{i}", "at": at}
            for i, at in enumerate(SECONDS_APART[:3])
        ),
    )
    assert [referrer for referrer, _ in _burst_flags(store)] == flagged


def test_a_shared_ip_at_sign_up_is_found_whatever_the_referees_bought_from(
    store, record
):
    record({"type": "signup", "customer": "r", "at": "2026-01-01T00:00:00Z"})
    code = store.reader().execute("SELECT code FROM links").fetchone()[0]
    # Three referees sign up through r's link on one network, hours apart (no
    # burst in time), then each buys from a network of their own.
    for i in range(3):
        record(
            {
                "type": "signup",
                "customer": f"f{i}",
                "link": code,
                "ip_hmac": "ffshared",
                "at": f"2026-02-0{i + 1}T10:00:00Z",
            },
            {
                "type": "purchase",
                "customer": f"f{i}",
                "value": 5,
                "ip_hmac": f"00own{i}",
                "at": f"2026-02-0{i + 1}T11:00:00Z",
            },
        )
    flags = compute(str(store.path))["flags"]
    assert any(flag["kind"] == "burst" and "IP" in flag["reason"] for flag in flags), (
        flags
    )
