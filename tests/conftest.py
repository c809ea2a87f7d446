"""Shared fixtures: an app on a real SQLite file in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from wom import create_app
from wom.store import Store, ingest

SECRET = "s" * 64
IP_KEY = "i" * 64
REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


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
def record(store):
    """Ingest events given as keyword dicts, in one batch, from source 'test'."""

    def record(*events: dict, source: str = "test"):
        return ingest(store, list(events), source=source)

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
