"""The command line, `flask --app wom ...`: every command documented and working."""

from __future__ import annotations

import sqlite3
import time

import pytest

from wom import create_app
from wom.cli import COMMANDS
from wom.store import Store
from wom.store.queries import derived_snapshot


def test_every_command_is_documented_in_the_readme():
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text()
    for command in COMMANDS:
        assert f"flask --app wom {command.name}" in readme, command.name


def test_init_db(runner, app):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "Database ready" in result.output


def test_create_token_prints_only_the_token_and_keeps_only_its_hash(
    runner, app, db_path
):
    result = runner.invoke(args=["create-token", "shop"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("wom_") and "\n" not in token and len(token) > 40
    app.extensions["wom.store"].close()
    raw = b"".join(
        p.read_bytes() for p in db_path.parent.glob("wom.db*") if p.suffix != ".lock"
    )
    assert token.encode() not in raw
    row = (
        sqlite3.connect(db_path)
        .execute("SELECT name, read_only FROM tokens")
        .fetchone()
    )
    assert row == ("shop", 0)


def test_create_token_read_only_and_duplicate_names(runner, app):
    assert runner.invoke(args=["create-token", "bi", "--read-only"]).exit_code == 0
    again = runner.invoke(args=["create-token", "bi"])
    assert again.exit_code == 1
    assert "exists already" in again.output


def test_create_owner_hashes_with_scrypt(runner, app):
    result = runner.invoke(
        args=["create-owner", "Owner@Example.org"],
        input="correct horse battery\ncorrect horse battery\n",
    )
    assert result.exit_code == 0, result.output
    stored = (
        app.extensions["wom.store"]
        .reader()
        .execute("SELECT email, password_hash FROM owners")
        .fetchone()
    )
    assert stored[0] == "owner@example.org"
    assert stored[1].startswith("scrypt:131072:8:1$")


def test_create_owner_refuses_a_short_password(runner, app):
    result = runner.invoke(
        args=["create-owner", "o@example.org", "--password", "short"]
    )
    assert result.exit_code == 1
    assert "password: use 12 to 1024 characters" in result.output


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("currency", "usd", '"USD"'),
        ("attribution_window_days", "30", "30"),
        ("time_zone", "Europe/Paris", '"Europe/Paris"'),
        ("business_name", "Zoë's Café", '"Zoë\'s Café"'),
        ("bot_user_agents", " uptime-kuma|MyMonitor/ ", '"uptime-kuma|MyMonitor/"'),
    ],
)
def test_settings_set_and_show(runner, app, key, value, shown):
    result = runner.invoke(args=["settings", key, value])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["settings", key]).output.strip() == shown
    assert f"{key}" in runner.invoke(args=["settings"]).output


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("currency", "euro", "three-letter"),
        ("time_zone", "Mars/Olympus", "IANA time zone"),
        ("attribution_rule", "middle", "give one of first, last"),
        ("attribution_window_days", "0", "from 1 to 3650"),
        ("destination_url", "javascript:alert(1)", "http(s)://"),
        ("colour", "red", "unknown setting"),
        # Limits that would stop all traffic, or outlast any Retry-After.
        ("api_rate_limit", "0/minute", "at least 1 request"),
        ("api_rate_limit", "5 per minute; 0 per hour", "at least 1 request"),
        ("signup_rate_limit", "1 per 99999999999999 years", "1 second to 1 year"),
        ("login_rate_limit", "1 per 0 minute", "at least 1 request"),
        ("api_rate_limit", "lots", "such as '20 per hour'"),
        # An owner's bot pattern that would count people as bots, or no pattern.
        ("bot_user_agents", "Mozilla", "matches an ordinary browser"),
        ("bot_user_agents", "x*", "matches an ordinary browser"),
        ("bot_user_agents", "monitor(", "give a regular expression"),
    ],
)
def test_settings_refuse_bad_values(runner, app, key, value, message):
    result = runner.invoke(args=["settings", key, value])
    assert result.exit_code == 1
    assert message in result.output


def test_backup_makes_a_consistent_copy(runner, app, tmp_path):
    runner.invoke(args=["create-token", "x"])
    target = tmp_path / "copy.db"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT name FROM tokens").fetchone()[0] == "x"
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code == 1 and "exists already" in again.output
    nowhere = runner.invoke(args=["backup", str(tmp_path / "no" / "copy.db")])
    assert nowhere.exit_code == 1 and "There is no folder" in nowhere.output


def test_a_database_another_program_holds_is_a_clear_error(runner, app, db_path):
    app.extensions["wom.store"].migrate()
    other = sqlite3.connect(db_path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    try:
        app.extensions["wom.store"].writer.execute("PRAGMA busy_timeout = 50")
        result = runner.invoke(args=["create-token", "late"])
    finally:
        other.rollback()
        other.close()
    assert result.exit_code == 1
    assert "database is locked" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args", [["create-token", "late"], ["settings", "currency", "USD"], ["rebuild"]]
)
def test_writing_commands_refuse_while_the_server_holds_the_lock(
    runner, app, db_path, args
):
    app.extensions["wom.store"].close()  # start-up's migration took the lock
    server = Store(db_path)
    server.hold_lock()
    try:
        result = runner.invoke(args=args)
    finally:
        server.close()
    assert result.exit_code == 1
    assert "Another wom process (probably the server) holds" in result.output
    # What to do, never "through the running server": settings and tokens have
    # no such road.
    assert "Stop the server, run this command, then start the server again" in (
        result.output
    )
    assert "through the running server" not in result.output


def test_reading_commands_work_while_the_server_holds_the_lock(runner, app, db_path):
    app.extensions["wom.store"].close()  # start-up's migration took the lock
    server = Store(db_path)
    server.hold_lock()
    try:
        result = runner.invoke(args=["settings"])
    finally:
        server.close()
    assert result.exit_code == 0
    assert "business_name" in result.output


def demo_database(tmp_path, name, seed):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / name),
            "SECRET_KEY": "s" * 64,
            "IP_HMAC_KEY": "i" * 64,
        }
    )
    result = app.test_cli_runner().invoke(
        args=["demo", "--customers", "300", "--seed", str(seed)]
    )
    assert result.exit_code == 0, result.output
    db = app.extensions["wom.store"].reader()
    content = {
        "events": db.execute(
            "SELECT seq, type, at, talker_id, listener_id, link_id, visitor, value, "
            "channel, event_id, ip_hmac, ua_class FROM events ORDER BY seq"
        ).fetchall(),
        "people": db.execute("SELECT id, external_id FROM people").fetchall(),
        "identities": db.execute("SELECT * FROM identities").fetchall(),
        "links": db.execute("SELECT code, owner_id FROM links").fetchall(),
        "derived": derived_snapshot(db),
    }
    app.extensions["wom.store"].close()
    return content, result.output


def test_demo_is_deterministic(tmp_path):
    first, output = demo_database(tmp_path, "a.db", seed=7)
    second, _ = demo_database(tmp_path, "b.db", seed=7)
    other, _ = demo_database(tmp_path, "c.db", seed=8)
    assert first == second
    assert first["events"] != other["events"]
    assert "Loaded" in output
    customers = sum(1 for row in first["derived"]["people"] if row[1] == "customer")
    assert customers == 300


def test_demo_refuses_a_database_that_has_events(runner, app):
    assert runner.invoke(args=["demo", "--customers", "50"]).exit_code == 0
    again = runner.invoke(args=["demo", "--customers", "50"])
    assert again.exit_code == 1
    assert "already holds events" in again.output


def test_a_demo_ending_today_fills_the_dashboards_latest_weeks(runner, app):
    result = runner.invoke(args=["demo", "--customers", "50", "--ending-today"])
    assert result.exit_code == 0, result.output
    first, last = (
        app.extensions["wom.store"]
        .reader()
        .execute("SELECT min(at), max(at) FROM events")
        .fetchone()
    )
    now = time.time() * 1_000_000
    day = 86_400 * 1_000_000
    assert now - 182 * day <= first and now - 28 * day < last <= now + day
