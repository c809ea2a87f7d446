"""The overview, /dashboard: a period's headline figures beside the previous
period's, the funnel, the charts' data, who starts the conversations and what
happened lately. A database with no customers gets the first steps instead
(``start.py``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from ...analytics.buckets import TooManyBuckets
from ...contract import currency_exponent, major
from ...service.period import headcount, period_figures
from ...store import activity, people
from ...store.settings import read_settings
from .. import analytics, store
from ..api.wire import BadParameters, arguments, choice, iso, iso_seconds
from . import page, show
from .periods import PRESETS, Period, local_day, preset
from .recompute import background_state
from .start import start_data

__all__ = ["overview", "overview_data"]

DEFAULT_PRESET = "4w"
#: Headline figures of a period: name -> (label, unit); units tell the page
#: how to write a value and its change.
HEADLINE = {
    "new_customers": ("new customers", "count"),
    "wom_share": ("came by word of mouth", "share"),
    "k_factor": ("k-factor of the period's customers", "ratio"),
    "cycle_time": ("from joining to a first referral (median)", "duration"),
}
#: The funnel's stages. Sign-ups are not all from clicks (a mention brings
#: people without one), so only buyers get a share: of the period's sign-ups.
FUNNEL = {
    "clicks": "clicks on referral links",
    "new_customers": "sign-ups",
    "buyers": "of them spent money",
}
#: The charts' buckets, the first that holds the period in one series.
CHART_BUCKETS = ("week", "month")
#: How the new customers of each bucket came: on their own, through a referral
#: (a link or an imported referral) or after a mention.
KINDS_OF_NEW = ("root", "referred", "mention")
ACTIVITY_LIMIT = 20
CHANNEL_LIMIT = 12
_KIND_WORDS = {
    "link": "Sign-up through a link",
    "mention": "Mention",
    "heard_from": "Who-told-you answer",
    "referral": "Referral",
}


def customer_url(external_id: str) -> str:
    """The dashboard page of a customer."""
    if "dashboard.customer" in current_app.view_functions:
        return url_for("dashboard.customer", external_id=external_id)
    return "/dashboard/customers/" + quote(external_id, safe="")


def asked_period(today: date) -> Period:
    """The period the query asks for: ``range`` (a preset), or ``from`` and
    ``to`` (days, both included); the last four weeks by default."""
    asked = arguments({"range": choice(*PRESETS), "from": local_day, "to": local_day})
    dates = [name for name in ("from", "to") if name in asked]
    problem = None
    if "range" in asked and dates:
        problem = ("range", "give a range or from and to, not both")
    elif len(dates) == 1:
        problem = (dates[0], "give from and to together")
    if problem:
        field, message = problem
        raise BadParameters([{"index": None, "field": field, "message": message}])
    if dates:
        return Period(asked["from"], asked["to"])
    return preset(asked.get("range", DEFAULT_PRESET), today)


def _compared(now: dict, before: dict | None, name: str) -> dict:
    value = now[name]
    previous = None if before is None else before[name]
    change = None if value is None or previous is None else value - previous
    return {"value": value, "previous": previous, "change": change}


def _headline(now: dict, before: dict | None) -> list[dict]:
    rows = []
    for name, (label, unit) in HEADLINE.items():
        row = {"name": name, "label": label, "unit": unit}
        row |= _compared(now, before, name)
        if name == "k_factor":
            row["partial"] = now["k_partial"]
        rows.append(row)
    return rows


def _funnel(now: dict, before: dict | None) -> list[dict]:
    rows = [
        {"name": name, "label": label} | _compared(now, before, name)
        for name, label in FUNNEL.items()
    ]
    signups = now["new_customers"]
    rows[-1]["share"] = now["buyers"] / signups if signups else None
    return rows


def _channel_rows(channels: list[dict]) -> dict:
    """The channels as the chart's labels and counts, the largest first; the
    rest beyond CHANNEL_LIMIT together as "Other"."""
    labels, counts = [], []
    for row in channels[:CHANNEL_LIMIT]:
        named = row["channel"] not in (None, "default")
        words = _KIND_WORDS.get(row["kind"], row["kind"])
        labels.append(f"{words} · {row['channel']}" if named else words)
        counts.append(row["touches"])
    rest = sum(row["touches"] for row in channels[CHANNEL_LIMIT:])
    if rest:
        labels.append("Other")
        counts.append(rest)
    return {"labels": labels, "touches": counts}


def _series(service, start: float | None, end: float | None) -> tuple:
    """The bucket and rows the charts draw: weeks, or months where the period
    holds too many weeks for one series (none where it holds too many months)."""
    for bucket in CHART_BUCKETS:
        try:
            return bucket, service.spread(bucket, start, end)["series"]
        except TooManyBuckets:
            continue
    return None, []


def _charts(
    bucket: str | None, rows: list[dict], starters: list[dict], channels: list[dict]
) -> dict:
    labels = [row["bucket"] for row in rows]
    # The series ranks the same top starters; a row has a reach for each.
    ranked = min((len(row["top_reach_each"]) for row in rows), default=0)
    return {
        "bucket": bucket,
        "series": {
            "labels": labels,
            **{key: [row[key] for row in rows] for key in KINDS_OF_NEW},
            "k_factor": [row["k_factor"] for row in rows],
            "k_partial": [row["k_partial"] for row in rows],
        },
        "reach": {
            "labels": labels,
            "starters": [
                {
                    "id": row["external_id"],
                    "name": row["name"] or row["external_id"],
                    "reach": [each["top_reach_each"][n] for each in rows],
                }
                for n, row in enumerate(starters[:ranked])
            ],
        },
        "channels": _channel_rows(channels),
    }


def _top_starters(db, rows: list[dict]) -> list[dict]:
    names = people.names_of(db, [row["external_id"] for row in rows])
    return [
        {
            "external_id": row["external_id"],
            "name": names.get(row["external_id"]),
            "url": customer_url(row["external_id"]),
            "reach": row["reach"],
            "direct": row["direct_referrals"],
            "indirect": row["reach"] - row["direct_referrals"],
            "generations": row["generations"],
            "conversations_started": row["conversations_started"],
        }
        for row in rows
    ]


def _activity(db, exponent: int) -> list[dict]:
    rows = activity.recent_activity(db, ACTIVITY_LIMIT)
    for row in rows:
        row["at"] = iso(row["at"])
        row["value"] = major(row["value"], exponent)
        for side in ("who", "whom"):
            if row[side] is not None:
                row[side]["url"] = customer_url(row[side]["id"])
    return rows


def _latest_weeks(db, time_zone: str) -> dict | None:
    """The four weeks up to the day the latest customer joined."""
    latest = activity.latest_acquisition(db)
    if latest is None:
        return None
    day = datetime.fromtimestamp(latest / 1e6, ZoneInfo(time_zone)).date()
    return {"from": (day - timedelta(days=27)).isoformat(), "to": day.isoformat()}


def overview_data(period: Period, today: date) -> dict:
    """What the overview shows for ``period`` (``today`` is the business's
    local date); the page and its twin render this dict."""
    service = analytics()
    db = store().reader()
    settings = read_settings(db)
    tz = settings["time_zone"]
    counts = headcount(service)
    if not counts["customers"]:
        return start_data(counts)
    start, end = period.bounds(tz)
    now = period_figures(service, start, end)
    before_period = period.previous()
    before = (
        None
        if before_period is None
        else period_figures(service, *before_period.bounds(tz))
    )
    exponent = currency_exponent(settings["currency"])
    bucket, rows = _series(service, start, end)
    # The figures' version of the graphs: the last built, while a newer one is
    # built in the background after a write; its starters are the charts'.
    derived = service.derivations.published
    starters = _top_starters(db, derived.starters["items"])
    return {
        "empty": False,
        "time_zone": tz,
        "currency": settings["currency"],
        "money_decimals": exponent,
        "period": period.as_dict(tz)
        | {"preset": period.preset, "today": today.isoformat()},
        "previous": None if before_period is None else before_period.as_dict(tz),
        "presets": [
            {"name": name, "label": label} | preset(name, today).as_dict(tz)
            for name, (label, _) in PRESETS.items()
        ],
        "customers": counts["customers"],
        "prospects": counts["prospects"],
        "headline": _headline(now, before),
        "funnel": _funnel(now, before),
        "purchases": _compared(now, before, "purchases")
        | {"worth": major(now["purchase_value"], exponent)},
        "quiet": not (now["new_customers"] or now["clicks"] or now["purchases"]),
        "latest_weeks": _latest_weeks(db, tz),
        "top_starters": starters,
        "charts": _charts(bucket, rows, starters, now["channels"]),
        "activity": _activity(db, exponent),
        "background": background_state(),
        "figures": {
            "version": derived.version,
            "computed_at": iso_seconds(derived.built_at),
            "updating": not service.derivations.fresh(),
        },
    }


def _today(db) -> date:
    zone = ZoneInfo(read_settings(db)["time_zone"])
    return datetime.now(UTC).astimezone(zone).date()


@page("/dashboard", nav="Overview", order=10)
def overview():
    """A period's figures beside the previous period's, the charts, the top
    starters and the latest activity; the first steps when nobody is in yet."""
    today = _today(store().reader())
    data = overview_data(asked_period(today), today)
    if data["empty"]:
        return show("dashboard/start.html", data)
    return show("dashboard/overview.html", data)
