"""Shared fixtures: an app on a real SQLite file in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from wom import create_app
from wom.service import AnalyticsService
from wom.store import Store, ingest

SECRET = "s" * 64
IP_KEY = "i" * 64
REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"  # files the tests read; see tests/data/README.md


def user_agents(name: str) -> list[str]:
    """The user agents of one file of tests/data/user-agents, one a line."""
    lines = (DATA / "user-agents" / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wom.db"


def app_config(db_path: Path, **overrides) -> dict:
    """A test app's config on ``db_path``: keys, no background process."""
    return {
        "TESTING": True,
        "DATABASE": str(db_path),
        "SECRET_KEY": SECRET,
        "IP_HMAC_KEY": IP_KEY,
        "WOM_ANALYTICS_BACKGROUND": False,
        **overrides,
    }


@pytest.fixture
def app(db_path: Path):
    app = create_app(app_config(db_path))
    yield app
    app.extensions["wom.store"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def store(db_path: Path):
    """A migrated store on a real file, without an app."""
    store = Store(db_path)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def service(store):
    """The analytics service of ``store``, loaded, with no background process."""
    service = AnalyticsService(store, background=False)
    service.ensure_loaded()
    return service


@pytest.fixture
def record(store):
    """Ingest events given as keyword dicts, in one batch, from source 'test'."""

    def record(*events: dict, source: str = "test"):
        return ingest(store, list(events), source=source)

    return record


@pytest.fixture
def app_record(app):
    """Ingest events into the app's own store (its service follows them)."""

    def record(*events: dict):
        return ingest(app.extensions["wom.store"], list(events), source="test")

    return record


@pytest.fixture
def api(app):
    """An API client with a read-write token, on the app (see tests/api_client.py)."""
    from tests.api_client import ApiClient

    return ApiClient.for_app(app)


@pytest.fixture
def db(app):
    """A read connection to the app's database."""
    return app.extensions["wom.store"].reader()


OWNER_EMAIL = "owner@example.org"
OWNER_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def owner_password_hash() -> str:
    """OWNER_PASSWORD hashed once (scrypt takes a second, on purpose)."""
    from wom.store.accounts import password_hash

    return password_hash(OWNER_PASSWORD)


@pytest.fixture
def owner(app, owner_password_hash) -> str:
    """A dashboard owner (OWNER_EMAIL, OWNER_PASSWORD); returns the email."""
    from wom.store import accounts, now_micros

    with app.extensions["wom.store"].write() as db:
        accounts.create_owner(db, OWNER_EMAIL, owner_password_hash, now_micros())
    return OWNER_EMAIL


def logged_in(app):
    """A test client of ``app`` logged in through /login as the owner."""
    import re

    client = app.test_client()
    with client.get("/login") as page:
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(True)
        )[1]
    form = {"csrf_token": token, "email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    with client.post("/login", data=form) as reply:
        assert reply.status_code == 303, reply.get_data(True)
    return client


@pytest.fixture
def owner_client(app, owner):
    """A browser logged in as the owner."""
    return logged_in(app)
