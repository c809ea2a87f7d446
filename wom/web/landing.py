"""Referral links and landing pages: /r/<code>, ?ref=, sign-up, the share page.

The journey: a friend opens ``/r/<code>`` (the click is recorded durably, by group
commit), sees who invited them and the owner's offer, and signs up on the same
page. The answer is a 303 to their own share page, whose address holds a secret
so that they can bookmark it. ``?ref=<code>`` on any other page counts as a click
on that link and keeps the code for the sign-up form of the same visit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .. import actions
from ..store import now_micros
from ..store.reward_queries import earned_by
from ..store.shares import (
    held_referrals,
    person_by_share_secret,
    share_secret,
    share_secret_of,
)
from . import analytics, invitations, landing_errors, link_cache, store
from .forms import SignupForm
from .invitations import business_url, invitation_page
from .limits import limited
from .previews import public_address
from .reward_words import earned_sentence
from .sharing import brought, first_name, sharing_kit
from .visits import (
    client_ip_hmac,
    consented_visitor,
    forget_visitor,
    new_visitor,
    record_click,
    remember_visitor,
    visitor_cookie_name,
)

__all__ = ["blueprint"]

blueprint = Blueprint("landing", __name__)

# Codes are 8 characters; anything much longer is not worth a query.
_CODE_MAX = 64
# Pages whose own view records the click, or that never show a form.
_NO_REF_CLICK = {
    "landing.link",
    "landing.signup",
    "health.healthz",
    "health.readyz",
    "static",
}


@blueprint.record_once
def _setup(state) -> None:
    app = state.app
    invitations.register(app)
    landing_errors.register(app)
    # The sign-up form checks its own CSRF token (see ``signup``), because
    # CSRFProtect's HTTPS referrer check cannot pass on a page whose
    # Referrer-Policy is no-referrer.
    app.extensions["wom.csrf"].exempt(signup)


def _settings() -> Mapping:
    """The business's settings (read-only; kept in memory between writes)."""
    return link_cache().settings()


def _landing_link(code: str, visitor: str | None = None) -> dict | None:
    """The enabled link ``code`` with its owner, and ``opened_by_owner`` for
    ``visitor``; None if unknown, off, or too long to be a code."""
    if not 0 < len(code) <= _CODE_MAX:
        return None
    found = link_cache().link(code)
    if found is None:
        return None
    return {**found, "opened_by_owner": visitor in found["owner_visitors"]}


def _private(response: Response) -> Response:
    # The address holds a secret: never send it on, never cache or index it.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@blueprint.before_app_request
def _ref_parameter() -> None:
    """``?ref=<code>`` on any page: a click on that link, and the code kept."""
    # Most requests carry no query at all: nothing to parse then.
    if "ref" not in request.environ.get("QUERY_STRING", ""):
        return
    code = request.args.get("ref")
    if (
        not code
        or len(code) > _CODE_MAX
        or request.method not in ("GET", "HEAD")
        or request.endpoint is None
        or request.endpoint in _NO_REF_CLICK
        or request.path.startswith("/api/")
    ):
        return
    visitor = consented_visitor()
    found = _landing_link(code, visitor)
    if found is None or found["opened_by_owner"]:
        return
    record_click(code, visitor)
    # The session cookie is the strictly necessary one (it carries the CSRF
    # token); the code lives there only for this browser session.
    session["ref"] = code


def _missing(settings: Mapping, *, what: str) -> Response:
    html = render_template(
        "landing/missing.html",
        settings=settings,
        business_url=business_url(settings),
        what=what,
    )
    return make_response(html, 404)


def _share_address(person_id: int) -> str:
    """The share page of a person, its secret made on first use."""
    secret = share_secret_of(store().reader(), person_id)
    if secret is None:
        with store().write() as db:
            secret, _ = share_secret(db, person_id, now_micros())
    return url_for("landing.share", secret=secret)


@blueprint.get("/r/<code>")
def link(code: str):
    """A referral link: record the click, then the invitation and sign-up form."""
    settings = _settings()
    visitor = consented_visitor()
    found = _landing_link(code, visitor)
    if found is None:
        return _missing(settings, what="link")
    if found["opened_by_owner"]:
        # The referrer checking their own link: no click (it is not word of
        # mouth), and their share page rather than their friends' offer.
        return redirect(_share_address(found["owner_id"]), 303)
    record_click(code, visitor)
    return invitation_page(settings, found)


@blueprint.get("/join")
def join():
    """The sign-up form without a link in the path (a ``?ref=`` visit, or direct)."""
    code = request.args.get("ref") or session.get("ref") or ""
    return invitation_page(_settings(), _landing_link(code))


def _same_origin_or_none() -> bool:
    """The Origin header names this site, or is absent or ``null``.

    Under Referrer-Policy no-referrer a browser sends ``Origin: null`` with the
    form; any other origin is a cross-site post.
    """
    origin = request.headers.get("Origin")
    if origin in (None, "null"):
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:  # not a URL at all (say, "http://[::1"): not this site
        return False
    return parts.scheme == request.scheme and parts.netloc == request.host


@blueprint.post("/join")
@limited("signup_rate_limit")
def signup():
    """Sign up from a landing page: 303 to the new customer's share page.

    The redirect never goes where the request says: only to the share page, or
    to the "already signed up" page. The owner's destination is a link there.
    """
    form = SignupForm()
    valid = form.validate_on_submit()
    # With CSRF switched off (WTF_CSRF_ENABLED) the form has no token field.
    if (form.meta.csrf and form.csrf_token.errors) or not _same_origin_or_none():
        abort(
            400,
            "This form has expired or did not come from our page. "
            "Go back, reload the page and send it again.",
        )
    found = _landing_link(form.ref.data or "")
    settings = _settings()
    if not valid:
        return invitation_page(settings, found, form=form, status=422)
    known = consented_visitor()
    visitor = (known or new_visitor()) if form.consent.data else None
    done = actions.sign_up(
        store(),
        name=form.name.data,
        email=form.email.data,
        code=found["code"] if found else None,
        visitor=visitor,
        known_visitor=known if form.consent.data else None,
        browser_visitor=known,
        ip_hmac=client_ip_hmac(),
        answer=form.heard_from.data or None,
        now=datetime.now(UTC),
    )
    session.pop("ref", None)
    if done.share_secret is not None:
        session["welcome"] = done.new_customer
        target = url_for("landing.share", secret=done.share_secret)
    else:
        target = url_for("landing.known")
    response = redirect(target, 303)
    if visitor is not None:
        remember_visitor(response, visitor)
    elif request.cookies.get(visitor_cookie_name()):
        forget_visitor(response)
    return response


@blueprint.get("/join/known")
def known():
    """Where an email that already belongs to a customer lands."""
    settings = _settings()
    return render_template(
        "landing/known.html", settings=settings, business_url=business_url(settings)
    )


@blueprint.get("/s/<secret>")
def share(secret: str):
    """A customer's share page: their link, share buttons, QR code, their count."""
    db = store().reader()
    settings = _settings()
    person = person_by_share_secret(db, secret) if len(secret) <= _CODE_MAX else None
    if person is None:
        return _private(_missing(settings, what="share page"))
    # The address customers pass on: under PUBLIC_URL when it is set.
    link_url = (
        public_address("landing.link", code=person["code"])
        or url_for("landing.link", code=person["code"], _external=True)
        if person["code"]
        else None
    )
    html = render_template(
        "landing/share.html",
        settings=settings,
        business_url=settings["destination_url"] or None,
        name=first_name(person["name"]),
        welcome=session.pop("welcome", None),
        brought=brought(analytics().person(person["id"])),
        held=held_referrals(db, person["id"]),
        earned=earned_sentence(earned_by(db, person["id"])),
        **sharing_kit(link_url, settings["business_name"], settings["offer_text"]),
    )
    return _private(make_response(html))
