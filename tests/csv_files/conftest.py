"""The CSV tests' fixtures: files written on demand, every kind loaded, and a
second app to import into."""

from __future__ import annotations

import pytest

from tests.conftest import IP_KEY, SECRET
from tests.csv_files.helpers import CUSTOMERS, MENTIONS, PURCHASES, REFERRALS, imported
from wom import create_app


@pytest.fixture
def write(tmp_path):
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def loaded(runner, write):
    for name, text, options in [
        ("customers.csv", CUSTOMERS, ()),
        ("mentions.csv", MENTIONS, ()),
        ("referrals.csv", REFERRALS, ("--kind", "referrals")),
        ("purchases.csv", PURCHASES, ()),
    ]:
        result = imported(runner, write(name, text), *options)
        assert result.exit_code == 0, result.output
    return runner


@pytest.fixture
def elsewhere(tmp_path):
    """A second app on its own database, to import what the first exported."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "copy.db"),
            "SECRET_KEY": SECRET,
            "IP_HMAC_KEY": IP_KEY,
            "WOM_ANALYTICS_BACKGROUND": False,
        }
    )
    yield app
    app.extensions["wom.store"].close()
