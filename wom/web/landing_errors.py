"""The landing pages' errors, in the business's branding and in a visitor's words.

A refused sign-up (an expired form, too many sign-ups from one network) is read
by a customer's friend, not by the owner: it names no HTTP status and leads back
to the form.
"""

from __future__ import annotations

from flask import Flask, render_template, request, url_for

from ..errors import register_pages
from . import link_cache
from .invitations import business_url
from .limits import retry_after

__all__ = ["register"]

_WORDS = {
    400: "Please send the form again",
    429: "One moment, please",
    500: "Sorry, something went wrong",
}


def _page(status: int, title: str, detail: str) -> str | None:
    if status not in _WORDS:
        return None
    settings = link_cache().settings()
    if status == 429:
        minutes = max(1, round(retry_after() / 60))
        detail = (
            "Many people have signed up from this network just now. Please try "
            f"again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
    # Only a form already read: parsing one here could fail inside the handler
    # (a body over the form limit), and a refused request's body is not read.
    form = request.__dict__.get("form")
    code = form.get("ref", "") if form is not None else ""
    back = (
        url_for("landing.link", code=code)
        if code.isalnum() and len(code) <= 64
        else url_for("landing.join")
    )
    return render_template(
        "landing/error.html",
        settings=settings,
        business_url=business_url(settings),
        title=_WORDS[status],
        detail=detail,
        back=back,
    )


def register(app: Flask) -> None:
    """Show the landing blueprint's 400 and 429 in its own pages."""
    register_pages(app, "landing", _page)
