"""Strangers' strings planted in a site, for the browser abuse check: every
payload in every field a stranger controls, through the roads strangers take.

- the API, as a shop's CRM relays what people typed: a customer's name, the
  channel of their link and of their mentions and referrals;
- the landing page's sign-up form: a name and a "who told you" answer;
- a webhook receiver's answers, which the Webhooks page shows (and, typed by
  the owner rather than a stranger, endpoint URLs holding the payloads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from soak.abuse_receiver import Receiver
from soak.abuse_site import Client, Site

__all__ = ["Planted", "fits", "plant"]


def fits(payload: str, limit: int) -> str:
    """As much of ``payload`` as a field of ``limit`` characters keeps: wom
    stores text stripped (the form strips before it counts, the API after), so
    the payload is stripped first and cut to ``limit``, then stripped again, and
    what is sent is what is stored and shown. A field must hold something: an
    all-space payload becomes ``x``.

    >>> fits("  <b>  ", 3), fits("  <b c>", 3), fits("<svg onload=x>", 4)
    ('<b>', '<b', '<svg')
    >>> fits("   ", 3)
    'x'
    """
    return payload.strip()[:limit].rstrip() or "x"


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass
class Planted:
    """Where the payloads ended up: per payload, its referrer's id, link code
    and the share page of the stranger who signed up through it; the webhook
    endpoint whose deliveries were answered with them."""

    payloads: list[str]
    referrers: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    shares: list[str] = field(default_factory=list)
    endpoint: str | None = None
    # Endpoints whose URL holds a payload (those the URL check let in).
    named_endpoints: list[str] = field(default_factory=list)


def _person(admin: Client, i: int, payload: str, at: datetime) -> str:
    """A customer named ``payload`` with a link, a mention and a referral on
    channels named ``payload``, sent through the API; the link's code."""
    referrer, name, channel = f"soak-r{i}", fits(payload, 100), fits(payload, 40)
    made = admin.post(
        "/api/v1/customers",
        json={
            "id": referrer,
            "name": name,
            "email": f"soak.r{i}@example.org",
            "acquired_at": _iso(at),
        },
    )
    assert made.status_code in (200, 201), made.text
    link = admin.post(f"/api/v1/customers/{referrer}/links", json={"channel": channel})
    assert link.status_code == 201, link.text
    friend = f"soak-f{i}"
    told = [
        {"type": "mention", "from": referrer, "to": f"soak-m{i}", "channel": channel},
        {"type": "referral", "from": referrer, "to": friend, "channel": channel},
        {"type": "signup", "customer": friend, "name": name},
    ]
    for minutes, event in enumerate(told, start=5):
        event["at"] = _iso(at + timedelta(minutes=minutes))
    sent = admin.post("/api/v1/events", json={"events": told})
    assert sent.status_code == 200, sent.text
    return link.json()["code"]


def plant(site: Site, payloads: list[str]) -> Planted:
    """Put every payload in every field a stranger controls."""
    # Every stranger here comes from loopback: one address, far over the limits.
    site.settings(signup_rate_limit="100000 per hour", login_rate_limit="1000 per hour")
    admin = site.client(token=site.token("admin"))
    planted = Planted(payloads)
    start = datetime.now(UTC) - timedelta(days=30)
    for i, payload in enumerate(payloads):
        code = _person(admin, i, payload, start + timedelta(hours=i))
        stranger = site.client()
        joined = stranger.sign_up(
            f"/r/{code}",
            name=fits(payload, 100),
            email=f"soak.s{i}@example.org",
            heard_from=fits(payload, 200),
        )
        stranger.close()
        assert joined.status_code == 303, joined.text
        planted.referrers.append(f"soak-r{i}")
        planted.codes.append(code)
        planted.shares.append(joined.headers["Location"])
    planted.endpoint = _answered_endpoint(site, admin, payloads)
    for payload in payloads:
        # An admin's own typing, not a stranger's; shown on the same pages.
        made = admin.post(
            "/api/v1/webhooks",
            json={
                "url": f"http://127.0.0.1:9/hooks?p={payload}",
                "events": ["flag.opened"],
            },
        )
        if made.status_code == 201:
            planted.named_endpoints.append(made.json()["id"])
    admin.close()
    return planted


def _answered_endpoint(site: Site, admin: Client, payloads: list[str]) -> str:
    """An endpoint whose receiver answered a test delivery with each payload,
    every other one as a failure (the page shows both)."""

    def answer(n: int, body: bytes) -> tuple[int, bytes]:
        return (500 if n % 2 else 200), payloads[n % len(payloads)].encode()

    with Receiver(answer) as receiver:
        made = admin.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "events": ["customer.created"]},
        )
        assert made.status_code == 201, made.text
        endpoint = made.json()["id"]
        for _ in payloads:
            queued = admin.post(f"/api/v1/webhooks/{endpoint}/test")
            assert queued.status_code == 202, queued.text
        # The site sends no webhooks by itself (WEBHOOK_WORKER off): rounds now.
        deliverer = site.app.extensions["wom.webhooks"].deliverer
        while deliverer.run_once():
            pass
    return endpoint
