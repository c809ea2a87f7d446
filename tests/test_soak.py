"""The soak's own machinery: its table, and a failed figure failing the run.

The short seeded soak itself runs in tests/test_soak_short_server.py (crash,
concurrency, Schemathesis, bad input), tests/test_soak_short_abuse.py (auth, rate
limits, privacy, fraud), tests/browser/test_soak_short_browser_abuse.py (browser
abuse) and tests/test_soak_load.py (load).
"""

from __future__ import annotations

import soak.__main__ as runner
from soak import Figure
from tests import test_soak_load, test_soak_short_abuse, test_soak_short_server
from tests.browser import test_soak_short_browser_abuse


def test_the_table_has_a_row_per_figure_and_marks_what_failed():
    text = runner.table(
        [
            Figure("crash", "acknowledged events missing", 0, holds=True),
            Figure("load", "landing p99", 12.5, "ms"),
            Figure("xss", "dialogs", 1, holds=False, note="on /r/x"),
        ]
    )
    lines = text.splitlines()
    assert len(lines) == 5  # header, rule, three figures
    assert "| NO " in lines[4] and "on /r/x" in lines[4]
    assert "12.5 ms" in lines[3]


def test_a_figure_that_did_not_hold_fails_the_run(monkeypatch, capsys):
    monkeypatch.setattr(runner, "available", lambda: ["made_up"])
    monkeypatch.setattr(
        runner,
        "run",
        lambda names, level: [Figure("made_up", "dialogs", 1, holds=False)],
    )
    assert runner.main(["made_up"]) == 1
    assert "FAILED: made_up: dialogs = 1" in capsys.readouterr().err


def test_every_check_of_the_runner_is_held_by_the_short_soak():
    held = (
        test_soak_short_server.CHECKS
        + test_soak_short_abuse.CHECKS
        + test_soak_short_browser_abuse.CHECKS
        + test_soak_load.CHECKS
    )
    assert sorted(held) == runner.available()
