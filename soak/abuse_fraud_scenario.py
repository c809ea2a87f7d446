"""A synthetic, seeded fraud scenario, and its replay through a site's own roads.

What it holds (the issue's set; the planted fraud follows wom/demo/fraud.py):

- 20 legitimate referrals: 10 customers who each bring 2 friends through their
  link, every friend from an address of their own but 2 *households*, who sign
  up from their referrer's address (held for review, by design);
- 10 self-referrals: a customer signs up again through their own link with
  another spelling of their own email (Gmail dots and tags, googlemail.com, an
  Outlook or iCloud tag, a Yahoo keyword, upper case, a Unicode domain);
- 3 rings: a chain of real referrals through links (3, 3 and 4 people) closed by
  an imported referral from the last back to the first, long a customer;
- 1 burst: a customer's link signs up 12 accounts (more than the 10 in 10
  minutes of ``burst_threshold``) from one browser and address;
- 1 click flood: one visitor clicks a legitimate customer's link 120 times (more
  than ``CLICK_FLOOD_CLICKS``, 100).

Everything arrives over HTTP as it would: landing pages and sign-up forms from
each person's address (the site trusts one proxy), and the CRM's imported
referrals through the API.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from soak.abuse_site import Client, Site
from wom.demo.fraud import BURST_ACCOUNTS
from wom.store.clicks import CLICK_FLOOD_CLICKS

__all__ = ["Person", "Replayed", "Scenario", "build", "replay"]

LEGIT_REFERRERS, FRIENDS_EACH, HOUSEHOLDS = 10, 2, 2
SELF_REFERRALS = 10
RING_SIZES = (3, 3, 4)
FLOOD_CLICKS = CLICK_FLOOD_CLICKS + 20
FIRST = [
    "Ada",
    "Bea",
    "Cal",
    "Dev",
    "Eli",
    "Fox",
    "Gus",
    "Hal",
    "Ida",
    "Jo",
    "Kai",
    "Liv",
    "Max",
    "Noa",
    "Oli",
    "Pia",
    "Quy",
    "Rae",
    "Sol",
    "Tam",
]
LAST = ["Abe", "Berg", "Cruz", "Dahl", "Eze", "Fink", "Gil", "Holm", "Ito", "Jax"]


@dataclass(frozen=True)
class Person:
    """Someone who signs up: their name, email and address."""

    key: str
    name: str
    email: str
    address: str


def _aliases(rng: random.Random, n: int) -> tuple[str, str]:
    """An email and another spelling of the same mailbox (emails.py's rules)."""
    user = f"{rng.choice(FIRST).lower()}{rng.choice(LAST).lower()}{n}"
    dotted = f"{user[:3]}.{user[3:]}"
    return rng.choice(
        [
            (f"{user}@gmail.com", f"{dotted}@gmail.com"),
            (f"{user}@gmail.com", f"{user}+deal@gmail.com"),
            (f"{dotted}@gmail.com", f"{user}@googlemail.com"),
            (f"{user}@outlook.com", f"{user}+shop@outlook.com"),
            (f"{user}@icloud.com", f"{user}+w@icloud.com"),
            (f"{user}@yahoo.com", f"{user}-promo@yahoo.com"),
            (f"{user}@example.org", f"{user.upper()}@EXAMPLE.ORG"),
            (f"{user}@bücher.example", f"{user}@xn--bcher-kva.example"),
        ]
    )


@dataclass
class Scenario:
    """Who does what (built by :func:`build`, replayed by :func:`replay`)."""

    referrers: list[Person] = field(default_factory=list)
    friends: list[tuple[Person, Person, bool]] = field(default_factory=list)
    cheats: list[tuple[Person, Person]] = field(default_factory=list)
    rings: list[list[Person]] = field(default_factory=list)
    fraudster: Person | None = None
    accounts: list[Person] = field(default_factory=list)
    flooded: Person | None = None


def build(seed: int) -> Scenario:
    """The scenario of ``seed``: the same seed, the same people and order.

    >>> s = build(0)
    >>> len(s.friends), sum(h for *_, h in s.friends), len(s.cheats)
    (20, 2, 10)
    >>> [len(r) for r in s.rings], len(s.accounts)
    ([3, 3, 4], 12)
    >>> from wom.emails import normalise_email
    >>> all(normalise_email(a.email) == normalise_email(b.email) for a, b in s.cheats)
    True
    >>> build(0) == s
    True
    """
    rng = random.Random(seed)
    addresses = iter(rng.sample(range(1, 250 * 250), 200))
    count = iter(range(1000))

    def person(key: str, email: str | None = None, address: str | None = None):
        n = next(count)
        if address is None:
            number = next(addresses)
            address = f"10.{number // 250}.{number % 250}.{n % 250 + 1}"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        email = email or f"{name.replace(' ', '.').lower()}.{n}@example.org"
        return Person(f"{key}-{n}", name, email, address)

    scenario = Scenario()
    scenario.referrers = [person("referrer") for _ in range(LEGIT_REFERRERS)]
    households = set(rng.sample(range(LEGIT_REFERRERS * FRIENDS_EACH), HOUSEHOLDS))
    for i in range(LEGIT_REFERRERS * FRIENDS_EACH):
        referrer = scenario.referrers[i // FRIENDS_EACH]
        home = referrer.address if i in households else None
        scenario.friends.append(
            (referrer, person("friend", address=home), i in households)
        )
    for n in range(SELF_REFERRALS):
        email, alias = _aliases(rng, n)
        cheat = person("cheat", email=email)
        again = rng.choice([cheat.address, None])  # the same place, or not
        scenario.cheats.append((cheat, person("again", email=alias, address=again)))
    scenario.rings = [
        [person(f"ring{r}") for _ in range(size)] for r, size in enumerate(RING_SIZES)
    ]
    scenario.fraudster = person("fraudster")
    browser = person("burst").address
    scenario.accounts = [
        person("account", address=browser) for _ in range(BURST_ACCOUNTS)
    ]
    scenario.flooded = rng.choice(scenario.referrers)
    return scenario


@dataclass
class Replayed:
    """What the replay made: each person's external id, by key."""

    ids: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)


_CODE = re.compile(r'id="own-link" type="text" value="[^"]*/r/([^"/]+)"')


def _sign_up(
    site: Site,
    made: Replayed,
    who: Person,
    via: Person | None = None,
    client: Client | None = None,
) -> None:
    """``who`` signs up (through ``via``'s link, clicked first); their link's
    code is read off their share page."""
    browser = client or site.client(address=who.address)
    page = f"/r/{made.codes[via.key]}" if via else "/join"
    answer = browser.sign_up(page, name=who.name, email=who.email)
    assert answer.status_code == 303, (who, answer.status_code, answer.text[:300])
    share = browser.get(answer.headers["Location"]).text
    found = _CODE.search(share)
    assert found, f"no link on {who.key}'s share page"
    made.codes[who.key] = found[1]
    if client is None:
        browser.close()


def replay(site: Site, scenario: Scenario, seed: int) -> Replayed:
    """Play the scenario on ``site``, in an order drawn from ``seed``."""
    rng = random.Random(seed)
    made = Replayed()
    roots = [
        *scenario.referrers,
        *(c for c, _ in scenario.cheats),
        *(ring[0] for ring in scenario.rings),
        scenario.fraudster,
    ]
    rng.shuffle(roots)
    for root in roots:
        _sign_up(site, made, root)
    # Friends, second accounts and ring chains, interleaved; a chain in order.
    steps = [(friend, referrer) for referrer, friend, _ in scenario.friends]
    steps += [(again, cheat) for cheat, again in scenario.cheats]
    chains = [list(zip(ring[1:], ring, strict=False)) for ring in scenario.rings]
    rng.shuffle(steps)
    while steps or any(chains):
        pick = rng.randrange(len(steps) + len(chains))
        if pick < len(steps):
            _sign_up(site, made, *steps.pop(pick))
        elif chains[pick - len(steps)]:
            _sign_up(site, made, *chains[pick - len(steps)].pop(0))
        else:
            chains.pop(pick - len(steps))
    browser = site.client(address=scenario.accounts[0].address)
    for account in scenario.accounts:  # one browser, minutes apart at most
        _sign_up(site, made, account, scenario.fraudster, browser)
    browser.close()
    clicker = site.client(address="192.0.2.200")
    for _ in range(FLOOD_CLICKS):
        assert clicker.get(f"/r/{made.codes[scenario.flooded.key]}").status_code == 200
    clicker.close()
    _ids(site, scenario, made)
    _close_rings(site, scenario, made)
    return made


def _ids(site: Site, scenario: Scenario, made: Replayed) -> None:
    """Everyone's external id, found by email through the API."""
    reader = site.client(token=site.token("read"))
    by_email = {
        row["email"]: row["id"]
        for row in reader.get("/api/v1/customers?limit=1000").json()["items"]
    }
    reader.close()
    everyone = [
        *scenario.referrers,
        *(f for _, f, _ in scenario.friends),
        *(p for pair in scenario.cheats for p in pair),
        *(p for ring in scenario.rings for p in ring),
        scenario.fraudster,
        *scenario.accounts,
    ]
    for who in everyone:
        made.ids[who.key] = by_email[who.email.strip()]


def _close_rings(site: Site, scenario: Scenario, made: Replayed) -> None:
    """The CRM imports a referral from each ring's last member to its first."""
    crm = site.client(token=site.token("write"))
    told = [
        {
            "type": "referral",
            "from": made.ids[ring[-1].key],
            "to": made.ids[ring[0].key],
            "channel": "import",
            "at": "2026-12-01T00:00:00Z",
        }
        for ring in scenario.rings
    ]
    answer = crm.post("/api/v1/events", json={"events": told})
    assert answer.status_code == 200, answer.text
    crm.close()
