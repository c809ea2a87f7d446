"""Settings, /dashboard/settings: every setting of the business, in groups, each
saying when a change takes effect; and the API tokens (``tokens.py``).

A group's form is checked whole first (a bad value is a 422 naming its field,
and nothing of the group is stored); then each changed setting goes through
``actions.change_setting``, on the running server's own writer.
"""

from __future__ import annotations

import json
from zoneinfo import available_timezones

from flask import redirect, request, url_for

from ... import actions
from ...contract import iso
from ...store import Conflict, InvalidInput, accounts
from ...store.accounts import SCOPES
from ...store.settings import SETTINGS, parse_setting, read_settings
from .. import store
from . import blueprint, page, show
from .paging import bad_parameter

__all__ = [
    "GROUPS",
    "LABELS",
    "TAKES_EFFECT",
    "save_settings",
    "settings",
    "settings_data",
]

# (anchor, heading, keys): the page's forms. A setting in none of them is shown
# under "Other" (a setting added later still has a place).
GROUPS = (
    (
        "business",
        "Your business",
        ("business_name", "offer_text", "destination_url", "public_home"),
    ),
    (
        "attribution",
        "Attribution",
        ("attribution_rule", "attribution_window_days", "value_decay"),
    ),
    ("money-time", "Money and time", ("currency", "time_zone", "time_floor")),
    (
        "limits",
        "Limits and checks",
        (
            "signup_rate_limit",
            "api_rate_limit",
            "login_rate_limit",
            "burst_threshold",
            "bot_user_agents",
        ),
    ),
)

# When a change reaches what people see and what the figures say.
TAKES_EFFECT = {
    "business_name": "At once, on every landing and share page.",
    "offer_text": "At once, on every landing page.",
    "destination_url": "At once, for the next sign-up.",
    "public_home": "At once, on the home page.",
    "attribution_rule": "At once for new sign-ups; every other credit is worked "
    "out again under the new rule in chunks, in the background, while clicks and "
    "sign-ups keep flowing (the Attribution page shows how far it is).",
    "attribution_window_days": "At once for new sign-ups; every other credit is "
    "worked out again with the new window in chunks, in the background (the "
    "Attribution page shows how far it is).",
    "value_decay": "At once: every referred value is computed again.",
    "currency": "At once, for the purchases to come. Refused once any purchase "
    "is recorded: they are kept in this currency's units.",
    "time_zone": "At once: the weeks and days of every series are cut again in "
    "the new zone.",
    "time_floor": "For new events only: stored events stay; lower it to import "
    "older history.",
    "signup_rate_limit": "At once, for the next sign-up.",
    "api_rate_limit": "At once, for the next API request.",
    "login_rate_limit": "At once, for the next login attempt.",
    "burst_threshold": "At the next run of the background checks (every few "
    "minutes); flags already raised stay.",
    "bot_user_agents": "At once, for the clicks to come: clicks already counted "
    "stay as they were.",
}
_AT_ONCE = "At once, for whatever happens next."

# Labels other than the key's own words.
LABELS = {
    "destination_url": "Destination URL",
    "public_home": "Live figures on the home page for everyone",
    "value_decay": "Value decay (d)",
    "signup_rate_limit": "Sign-up rate limit",
    "api_rate_limit": "API rate limit",
    "time_floor": "Earliest event time (time floor)",
    "bot_user_agents": "Bots' user agents (a pattern)",
}

# How each setting is typed in; the rest are one line of text.
CHOICES = {
    "attribution_rule": (("first", "first touch"), ("last", "last touch")),
    "public_home": (("true", "yes"), ("false", "no")),
}
LONG_TEXT = frozenset({"offer_text"})
ZONES = sorted(available_timezones())


def _groups() -> list[tuple]:
    grouped = {key for _, _, keys in GROUPS for key in keys}
    others = tuple(key for key in SETTINGS if key not in grouped)
    known = [
        (anchor, heading, tuple(k for k in keys if k in SETTINGS))
        for anchor, heading, keys in GROUPS
    ]
    return known + ([("other", "Other", others)] if others else [])


def _typed(value) -> str:
    """A stored value as the form shows it.

    >>> _typed(True), _typed(0.5), _typed("EUR")
    ('true', '0.5', 'EUR')
    """
    return value if isinstance(value, str) else json.dumps(value)


def _token(row: dict) -> dict:
    return row | {
        "created_at": iso(row["created_at"]),
        "last_used_at": iso(row["last_used_at"]),
        "revoked_at": iso(row["revoked_at"]),
    }


def settings_data() -> dict:
    """What the Settings page shows; the page and its twin render this dict."""
    db = store().reader()
    current = read_settings(db)
    return {
        "groups": [
            {
                "id": anchor,
                "title": heading,
                "settings": [
                    {
                        "key": key,
                        "label": LABELS.get(key, key.replace("_", " ").capitalize()),
                        "value": current[key],
                        "default": SETTINGS[key].default,
                        "help": SETTINGS[key].help,
                        "takes_effect": TAKES_EFFECT.get(key, _AT_ONCE),
                    }
                    for key in keys
                ],
            }
            for anchor, heading, keys in _groups()
        ],
        "tokens": [_token(row) for row in accounts.list_tokens(db)],
        "scopes": list(SCOPES),
    }


def render_settings(status: int = 200, **forms):
    """The Settings page; ``forms`` are what a refused form typed and why, or a
    new token to show once."""
    forms.setdefault("typed", {})
    forms.setdefault("errors", {})
    forms.setdefault("form_group", None)
    return show(
        "dashboard/settings.html",
        settings_data(),
        status,
        choices=CHOICES,
        long_text=LONG_TEXT,
        zones=ZONES,
        as_typed=_typed,
        saved=request.args.get("saved"),
        **forms,
    )


@page("/dashboard/settings", nav="Settings", order=70)
def settings():
    """Every setting, when each takes effect, and the API tokens."""
    return render_settings()


@blueprint.post("/dashboard/settings")
def save_settings():
    """Save one group's form: check every value, then change what changed."""
    groups = {anchor: keys for anchor, _, keys in _groups()}
    group = request.form.get("group", "")
    if group not in groups:
        raise bad_parameter("group", f"give one of {', '.join(groups)}")
    current = read_settings(store().reader())
    typed = {key: request.form.get(key, "") for key in groups[group]}
    errors, changed = {}, []
    for key, value in typed.items():
        try:
            if parse_setting(key, value) != current[key]:
                changed.append(key)
        except InvalidInput as exc:
            errors[key] = exc.errors[0]["message"]
    if errors:
        return render_settings(422, typed=typed, errors=errors, form_group=group)
    # The one change that can be refused goes first, before the rest is stored.
    changed.sort(key=lambda key: key != "currency")
    for key in changed:
        try:
            # A new rule's chunks run in a thread of their own, as on the
            # Attribution page: this answer does not wait for them.
            actions.change_setting(store(), key, typed[key], background=True)
        except Conflict as exc:
            errors[key] = str(exc)
            return render_settings(409, typed=typed, errors=errors, form_group=group)
    return redirect(url_for("dashboard.settings", saved=group, _anchor=group), 303)
