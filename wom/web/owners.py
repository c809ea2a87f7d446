"""The owner's way in: /login, /logout, and /setup for the first owner.

The browser's signed session cookie carries a random session id; the session
itself is a server-side record (``store.owner_sessions``), checked on every
request, new at every login, ended at logout and at a password change, and
timed out when idle and in any case after a fixed time.

The setup page makes the first owner. It opens only while no owner exists, and
only from the machine wom runs on or with a one-time code that the CLI prints
(``flask --app wom setup-code``): otherwise the first stranger to reach a public
server would become its owner.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .. import actions
from ..store import InvalidInput, accounts, now_micros
from ..store import owner_sessions as sessions
from . import store
from .limits import limited
from .owner_forms import LoginForm, SetupForm
from .requests import from_this_machine

__all__ = ["blueprint", "current_owner", "start", "SESSION_KEY"]

blueprint = Blueprint("owners", __name__)

# The key of the session id in Flask's signed cookie session.
SESSION_KEY = "owner_session"
_MINUTE_US = 60 * 1_000_000


def current_owner() -> dict | None:
    """The owner whose live session this request carries (``id``, ``email``), or
    None. Looked up once per request; a use is recorded at most once a minute."""
    cached = request.environ.get("wom.owner", False)
    if cached is not False:
        return cached
    session_id = session.get(SESSION_KEY)
    owner = None
    if isinstance(session_id, str) and len(session_id) <= 64:
        now = now_micros()
        config = current_app.config
        owner = sessions.session_owner(
            store().reader(),
            session_id,
            now=now,
            idle=config["OWNER_IDLE_MINUTES"] * _MINUTE_US,
            absolute=config["OWNER_SESSION_HOURS"] * 60 * _MINUTE_US,
        )
        if owner is not None and sessions.needs_seen(owner["seen_at"], now):
            with store().write() as db:
                sessions.seen(db, session_id, now)
    # Kept in the request's own environ: ``g`` may outlive one request.
    request.environ["wom.owner"] = owner
    return owner


def start(logged_in: actions.LoggedIn) -> None:
    """Put a new session in the browser: the whole cookie session starts over
    (a new CSRF token too), so nothing from before the login carries over."""
    session.clear()
    session[SESSION_KEY] = logged_in.session_id
    session.permanent = False
    request.environ["wom.owner"] = {"id": logged_in.owner_id, "email": logged_in.email}


def _next_page() -> str:
    """Where to go after logging in: a dashboard page named by ``next``, or the
    overview. Never another site, whatever ``next`` says."""
    wanted = request.args.get("next", "")
    parts = urlsplit(wanted)
    if (
        wanted.startswith("/dashboard")
        and not parts.scheme
        and not parts.netloc
        and "\\" not in wanted
    ):
        return wanted
    return url_for("dashboard.overview")


@blueprint.route("/login", methods=["GET", "POST"])
@limited("login_rate_limit", methods=("POST",))
def login():
    """The owner's login form; a new session on success."""
    if current_owner() is not None:
        return redirect(_next_page(), 303)
    if not accounts.has_owner(store().reader()):
        return redirect(url_for("owners.setup"), 303)
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        logged_in = actions.log_in(
            store(), form.email.data, form.password.data, now=now_micros()
        )
        if logged_in is not None:
            start(logged_in)
            return redirect(_next_page(), 303)
        failed = True
    status = 401 if failed else (422 if form.errors else 200)
    return render_template("owners/login.html", form=form, failed=failed), status


@blueprint.post("/logout")
def logout():
    """End this browser's session (the form carries a CSRF token)."""
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str):
        actions.log_out(store(), session_id, now=now_micros())
    session.clear()
    return redirect(url_for("owners.login"), 303)


def _setup_code() -> str | None:
    code = request.values.get("code")
    return code if isinstance(code, str) and 0 < len(code) <= 64 else None


@blueprint.route("/setup", methods=["GET", "POST"])
@limited("login_rate_limit", methods=("POST",))
def setup():
    """Make the first owner: only while there is none, from this machine or with
    a one-time code."""
    if accounts.has_owner(store().reader()):
        return redirect(url_for("owners.login"), 303)
    code = _setup_code()
    if code is None and not from_this_machine():
        abort(
            403,
            "The setup page opens only on the machine that runs wom, or with a "
            "one-time code: run `flask --app wom setup-code` there and open the "
            "address it prints.",
        )
    form = SetupForm(code=code or "")
    if form.validate_on_submit():
        try:
            logged_in = actions.set_up_first_owner(
                store(),
                form.email.data,
                form.password.data,
                code=code,
                now=now_micros(),
            )
        except InvalidInput as exc:
            for problem in exc.errors:
                field = getattr(form, problem["field"], None)
                if field is None:
                    raise
                field.errors = [*field.errors, problem["message"]]
        else:
            start(logged_in)
            return redirect(url_for("dashboard.overview"), 303)
    status = 422 if form.errors else 200
    return render_template("owners/setup.html", form=form), status
