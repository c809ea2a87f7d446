"""wom: a self-hosted word-of-mouth tracker.

``create_app`` is the Flask application factory (``flask --app wom ...``).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from flask import Flask

__all__ = ["create_app"]

log = logging.getLogger("wom")

# Keys shorter than this are refused outside development and tests.
MIN_SECRET_LENGTH = 32


def _from_environment(app: Flask) -> None:
    """``WOM_*`` environment variables override the instance folder's config.py."""
    for name, key in (
        ("WOM_DATABASE", "DATABASE"),
        ("WOM_SECRET_KEY", "SECRET_KEY"),
        ("WOM_IP_KEY", "IP_HMAC_KEY"),
        ("WOM_PUBLIC_URL", "PUBLIC_URL"),
        ("WOM_WEBHOOK_KEY", "WEBHOOK_KEY"),
    ):
        if os.environ.get(name):
            app.config[key] = os.environ[name]
    if os.environ.get("WOM_HOLD_LOCK"):
        app.config["HOLD_WRITER_LOCK"] = os.environ["WOM_HOLD_LOCK"] == "1"
    if os.environ.get("WOM_WEBHOOK_WORKER"):
        app.config["WEBHOOK_WORKER"] = os.environ["WOM_WEBHOOK_WORKER"] == "1"
    if os.environ.get("WOM_HTTPS"):
        app.config["SESSION_COOKIE_SECURE"] = os.environ["WOM_HTTPS"] == "1"
    if os.environ.get("WOM_TRUSTED_PROXIES"):
        proxies = os.environ["WOM_TRUSTED_PROXIES"].strip()
        if not proxies.isdigit():
            raise RuntimeError(
                "WOM_TRUSTED_PROXIES is the number of proxies in front (0, 1, 2 ...), "
                f"not {proxies!r}."
            )
        app.config["TRUSTED_PROXIES"] = int(proxies)


def _check_secrets(app: Flask) -> None:
    development = app.debug or app.testing
    for key, variable in (
        ("SECRET_KEY", "WOM_SECRET_KEY"),
        ("IP_HMAC_KEY", "WOM_IP_KEY"),
        ("WEBHOOK_KEY", "WOM_WEBHOOK_KEY"),
    ):
        value = app.config.get(key) or ""
        if len(value) < MIN_SECRET_LENGTH and not development:
            raise RuntimeError(
                f"{key} is missing or shorter than {MIN_SECRET_LENGTH} characters. "
                f"Set {variable} or put "
                f"{key} in {Path(app.instance_path) / 'config.py'} "
                "(`make instance/config.py` writes random ones)."
            )
        if not value:
            # Development only: a throwaway key for this process.
            app.config[key] = os.urandom(32).hex()


def _build_components(app: Flask) -> None:
    """The store and what lives beside it for the app's life, each kept under
    ``app.extensions`` and read through the typed accessors of ``wom.web``.

    The link cache and the analytics service subscribe to the store: it tells
    them what every committed write changed.
    """
    from .actions.reward_job import RewardApprover
    from .service import AnalyticsService
    from .store import Store
    from .store.batcher import Batcher
    from .store.link_cache import LinkCache
    from .store.settings import follow_bot_pattern
    from .webhooks import Deliverer, Policy, Sealer, Webhooks

    store = Store(app.config["DATABASE"])
    log.info("wom starting with SQLite %s on %s", sqlite3.sqlite_version, store.path)
    if app.config["HOLD_WRITER_LOCK"]:
        store.hold_lock()
    store.ensure_schema()
    # Clicks are classified in this process: with the owner's bot pattern too.
    follow_bot_pattern(store)
    app.extensions["wom.store"] = store
    app.extensions["wom.link_cache"] = LinkCache(store)
    # Two group committers: a landing page's click never waits behind an API
    # batch, and concurrent API batches share one commit.
    app.extensions["wom.click_batcher"] = Batcher(store)
    app.extensions["wom.api_batcher"] = Batcher(store, max_batch=8)
    app.extensions["wom.analytics"] = AnalyticsService(
        store, background=app.config["WOM_ANALYTICS_BACKGROUND"]
    )
    # Webhooks: secrets sealed under WEBHOOK_KEY; the targets' rules from the
    # environment the process started with (never a setting); the delivery worker
    # wakes when a write adds messages, and starts with the first request, so
    # that only a serving process (never a CLI command, nor a test's app, which
    # runs its rounds by hand) sends.
    sealer = Sealer(app.config["WEBHOOK_KEY"])
    policy = Policy.from_environment()
    deliverer = Deliverer(store, sealer, policy)
    store.subscribe(deliverer.notice)
    app.extensions["wom.webhooks"] = Webhooks(sealer, policy, deliverer)
    if app.config["WEBHOOK_WORKER"] and not app.testing:
        app.before_request(deliverer.start)
    if app.config["HOLD_WRITER_LOCK"]:
        # A switch of the attribution rule that a stop interrupted goes on.
        from .actions.switching import continue_in_background

        continue_in_background(store)
    # Rewards whose hold ended are approved by a thread of a serving process,
    # from its first request (a test's app runs the job by hand).
    approver = RewardApprover(store)
    app.extensions["wom.reward_approver"] = approver
    if not app.testing:
        app.before_request(approver.start)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the wom app: config, store, blueprints, error pages, CLI."""
    root = Path(__file__).resolve().parent.parent
    app = Flask(
        __name__,
        instance_path=str(root / "instance"),
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(
        DATABASE=str(Path(app.instance_path) / "wom.db"),
        SECRET_KEY=None,
        IP_HMAC_KEY=None,
        HOLD_WRITER_LOCK=False,
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        # Reverse proxies in front that set X-Forwarded-For and -Proto. Behind one,
        # every request would otherwise come from the proxy's address: one rate
        # limit for everybody, and every referral held as a shared IP.
        TRUSTED_PROXIES=0,
        WOM_ANALYTICS_BACKGROUND=True,
        # An owner's dashboard session ends after this long without a request,
        # and this long after it began in any case.
        OWNER_IDLE_MINUTES=60,
        OWNER_SESSION_HOURS=12,
        # Where people reach wom (https://refer.example.com): link previews and
        # shared links are built from it, never from the request's Host header.
        PUBLIC_URL=None,
        # Seals webhook endpoints' secrets (kept outside the database).
        WEBHOOK_KEY=None,
        # Whether this process sends webhooks (from its first request on).
        WEBHOOK_WORKER=True,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        _from_environment(app)
    else:
        app.config.from_mapping(test_config)
    _check_secrets(app)
    from .web import previews

    previews.configure(app)
    if app.config["SESSION_COOKIE_SECURE"]:
        app.config["SESSION_COOKIE_NAME"] = "__Host-wom_session"
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from . import cli, errors
    from .web import (
        api,
        dashboard,
        health,
        home,
        landing,
        limits,
        owners,
        security,
        sessions,
    )

    _build_components(app)

    app.session_interface = sessions.ReusedSerializerSessions()
    errors.register(app)
    security.register(app)
    limits.register(app)
    # Every cookie-authenticated form carries a CSRF token; the API uses bearer
    # tokens and exempts its own blueprint.
    csrf = sessions.protect_forms(app)
    csrf.exempt(api.blueprint)
    app.extensions["wom.csrf"] = csrf
    app.register_blueprint(health.blueprint)
    app.register_blueprint(home.blueprint)
    app.register_blueprint(landing.blueprint)
    app.register_blueprint(previews.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(owners.blueprint)
    app.register_blueprint(dashboard.blueprint)
    cli.register(app)
    return app
