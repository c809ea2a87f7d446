"""Check 9, fraud scenarios: a synthetic seeded set (soak/abuse_fraud_scenario.py)
replayed through the landing pages and the API, then the background figures run
and the review flags are read through the API.

Must hold: every planted case is flagged (each self-referral, each ring, the
burst, the click flood), and no legitimate referral is voided (each friend's
credit names their referrer, credited or held). Holds for review are reported
apart: the households may be held, by design. Precision and recall are printed:
a flag counts as right when it names planted fraud, and the households' holds
count neither way.
"""

from __future__ import annotations

from dataclasses import dataclass

from soak import Figure
from soak.abuse_fraud_scenario import Replayed, Scenario, build, replay
from soak.abuse_site import Site, serve

__all__ = ["SEEDS", "Verdict", "judge", "measure", "run"]

CHECK = "fraud"
# The scenario of each seed (more of them at the long level).
SEEDS = {"short": (0,), "default": (0,), "long": (0, 1, 2)}


@dataclass
class Verdict:
    """How the flags of one replay compare with what was planted."""

    planted: int
    caught: int
    missed: list
    flags: int
    right: int
    household_holds: int
    voided: list
    held: int


def _flags(site: Site) -> list[dict]:
    reader = site.client(token=site.token("read"))
    found, cursor = [], None
    while True:
        page = reader.get(
            "/api/v1/flags?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        ).json()
        found += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    reader.close()
    return found


def judge(scenario: Scenario, made: Replayed, flags: list[dict], credits: dict):
    """The verdict on ``flags``, given each legitimate friend's ``credits``
    (their credited referrer's ``{"id", "status"}``, or None)."""
    ids = made.ids

    def named(flag: dict) -> set[str]:
        return {flag["customer"], flag["referrer"], *flag["members"]} - {None}

    cases = {}
    for cheat, again in scenario.cheats:
        cases[f"self-referral {cheat.key}"] = lambda f, c=cheat, a=again: (
            f["kind"] == "self_referral"
            and (f["customer"], f["referrer"]) == (ids[a.key], ids[c.key])
        )
    for n, ring in enumerate(scenario.rings):
        members = {ids[p.key] for p in ring}
        cases[f"ring {n}"] = lambda f, m=members: (
            f["kind"] in ("ring", "reciprocal") and set(f["members"]) == m
        )
    cases["burst"] = lambda f: (
        f["kind"] == "burst" and f["referrer"] == ids[scenario.fraudster.key]
    )
    cases["click flood"] = lambda f: (
        f["kind"] == "click_flood" and f["referrer"] == ids[scenario.flooded.key]
    )
    missed = [case for case, fits in cases.items() if not any(map(fits, flags))]
    fraud = {
        ids[p.key]
        for p in [
            *(p for pair in scenario.cheats for p in pair),
            *(p for ring in scenario.rings for p in ring),
            scenario.fraudster,
            *scenario.accounts,
        ]
    }
    homes = {ids[friend.key] for _, friend, home in scenario.friends if home}
    household = [f for f in flags if f["kind"] == "held" and f["customer"] in homes]
    right = [
        f
        for f in flags
        if f not in household
        and (named(f) & fraud or any(fits(f) for fits in cases.values()))
    ]
    voided, held = [], 0
    for referrer, friend, _ in scenario.friends:
        credit = credits[friend.key]
        if credit is None or credit["id"] != ids[referrer.key]:
            voided.append((friend.key, credit))
        else:
            held += credit["status"] == "held"
    return Verdict(
        planted=len(cases),
        caught=len(cases) - len(missed),
        missed=missed,
        flags=len(flags) - len(household),
        right=len(right),
        household_holds=len(household),
        voided=voided,
        held=held,
    )


def measure(site: Site, seed: int) -> Verdict:
    """Replay the scenario of ``seed`` on ``site``, run the background figures
    as the owner would, and judge the flags."""
    scenario = build(seed)
    made = replay(site, scenario, seed)
    owner = site.owner()
    assert owner.form("/dashboard/figures", "/dashboard/recompute").status_code == 303
    owner.close()
    reader = site.client(token=site.token("read"))
    credits = {
        friend.key: reader.get(f"/api/v1/customers/{made.ids[friend.key]}").json()[
            "credited_referrer"
        ]
        for _, friend, _ in scenario.friends
    }
    reader.close()
    return judge(scenario, made, _flags(site), credits)


def figures(verdicts: list[Verdict], seeds) -> list[Figure]:
    """The check's figures over every seed's verdict."""
    planted = sum(v.planted for v in verdicts)
    caught = sum(v.caught for v in verdicts)
    flags, right = sum(v.flags for v in verdicts), sum(v.right for v in verdicts)
    missed = [m for v in verdicts for m in v.missed]
    voided = [x for v in verdicts for x in v.voided]
    return [
        Figure(
            CHECK,
            "planted cases flagged",
            f"{caught} of {planted}",
            holds=caught == planted,
            note=f"seeds {list(seeds)}" + (f"; missed: {missed[:3]}" if missed else ""),
        ),
        Figure(CHECK, "recall", round(caught / planted, 3)),
        Figure(
            CHECK,
            "precision",
            round(right / flags, 3) if flags else None,
            note=f"{right} of {flags} flags name planted fraud",
        ),
        Figure(
            CHECK,
            "legitimate referrals voided",
            len(voided),
            holds=not voided,
            note=f"first: {voided[0]}" if voided else "20 a seed",
        ),
        Figure(
            CHECK,
            "legitimate referrals held for review",
            sum(v.held for v in verdicts),
            note=f"households' holds: {sum(v.household_holds for v in verdicts)} "
            "flags (2 households a seed, held by design)",
        ),
    ]


def run(level: str) -> list[Figure]:
    """The check at ``level``: one fresh site per seed."""
    verdicts = []
    for seed in SEEDS[level]:
        with serve(TRUSTED_PROXIES=1) as site:
            verdicts.append(measure(site, seed))
    return figures(verdicts, SEEDS[level])
