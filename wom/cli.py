"""The command line: ``flask --app wom COMMAND``.

Every command that writes goes through the store's single writer, so it refuses
with a clear message while a server holds the database's lock file.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import actions
from .cli_support import also_on_the_dashboard, app_store, clear_errors, day_of
from .reward_cli import REWARD_COMMANDS
from .store import (
    accounts,
    now_micros,
    rebuild,
)
from .store.settings import SETTINGS, parse_setting, read_settings

__all__ = ["register", "COMMANDS"]


@click.command("init-db")
@clear_errors
@with_appcontext
def init_db():
    """Create the database (or apply pending migrations)."""
    applied = app_store().migrate()
    click.echo(
        f"Database ready at {app_store().path}"
        + (f" (applied {', '.join(applied)})" if applied else " (up to date)")
    )


@click.command("demo")
@click.option("--customers", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--webhooks", is_flag=True, help="Queue webhooks for the subscribed endpoints."
)
@click.option(
    "--ending-today",
    is_flag=True,
    help="Date the six months to end today (the dashboard's latest weeks then "
    "hold activity), rather than on the fixed default dates.",
)
@clear_errors
@with_appcontext
def demo(customers: int, seed: int, webhooks: bool, ending_today: bool):
    """Fill an empty database with deterministic, believable word of mouth."""
    from .demo import DEFAULT_END, DEFAULT_START, generate

    start = None
    if ending_today:
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = today - (DEFAULT_END - DEFAULT_START)
    from .store.bulk import load_history

    store = app_store()
    store.migrate()
    with click.progressbar(
        length=customers, label="Generating people and events", file=sys.stderr
    ) as bar:
        done = [0]

        def advance(n_done, n_total):
            bar.update(n_done - done[0])
            done[0] = n_done

        made = generate(customers, seed=seed, start=start, progress=advance)
    with click.progressbar(
        length=len(made.events), label="Writing events", file=sys.stderr
    ) as bar:
        load_history(
            store,
            made.people,
            made.events,
            ip_key=current_app.config["IP_HMAC_KEY"].encode(),
            progress=bar.update,
            webhooks=webhooks,
        )
    click.echo(
        f"Loaded {len(made.people)} people and {len(made.events)} events "
        f"into {store.path}"
    )


@click.command("create-owner")
@click.argument("email")
@click.password_option(help="At least 12 characters; asked for when not given.")
@clear_errors
@with_appcontext
def create_owner(email: str, password: str):
    """Add a dashboard owner."""
    actions.create_owner(app_store(), email, password, now=now_micros())
    click.echo(f"Owner {email.strip().lower()} created.")


@click.command("setup-code")
@clear_errors
@with_appcontext
def setup_code():
    """Print a one-time code that opens the first-run setup page from another
    machine, for an hour (only while no owner exists)."""
    code = actions.make_setup_code(app_store(), now=now_micros())
    click.echo(f"Open /setup?code={code} within the hour to make the first owner.")


@click.command("create-token")
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice(accounts.SCOPES),
    default="write",
    show_default=True,
    help="read: figures only; write: also events, customers, flags; "
    "admin: also tokens, settings, webhooks and rewards.",
)
@click.option("--read-only", is_flag=True, help="The same as --scope read.")
@clear_errors
@also_on_the_dashboard
@with_appcontext
def create_token(name: str, scope: str, read_only: bool):
    """Make an API token and print it, once, on stdout (only its hash is kept)."""
    scope = "read" if read_only else scope
    click.echo(actions.create_token(app_store(), name, scope=scope, now=now_micros()))


@click.command("list-tokens")
@clear_errors
@with_appcontext
def list_tokens():
    """List the API tokens: name, scope, when made, last used, revoked."""
    rows = accounts.list_tokens(app_store().reader())
    if not rows:
        click.echo("No tokens yet; make one with create-token NAME.")
    for row in rows:
        state = (
            "revoked " + day_of(row["revoked_at"]) if row["revoked_at"] else "active"
        )
        used = day_of(row["last_used_at"]) if row["last_used_at"] else "never"
        click.echo(
            f"{row['name']}  {row['scope']}  made {day_of(row['created_at'])}  "
            f"last used {used}  {state}"
        )


@click.command("revoke-token")
@click.argument("name")
@clear_errors
@also_on_the_dashboard
@with_appcontext
def revoke_token(name: str):
    """Revoke the API token NAME: every request carrying it is refused from now."""
    actions.revoke_token(app_store(), name, now=now_micros())
    click.echo(f"Token {name} revoked.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@clear_errors
@with_appcontext
def backup(path: Path):
    """Copy the live database to PATH with SQLite's backup API."""
    if path.exists():
        raise click.ClickException(f"{path} exists already; give a new file name.")
    if not path.parent.is_dir():
        raise click.ClickException(
            f"There is no folder {path.parent}; make it first, or pick another."
        )
    source = app_store().reader()
    target = sqlite3.connect(str(path))
    try:
        source.conn.backup(target)
    finally:
        target.close()
    click.echo(f"Backed up {app_store().path} to {path}")


@click.command("settings")
@click.argument("key", required=False)
@click.argument("value", required=False)
@clear_errors
@also_on_the_dashboard
@with_appcontext
def settings(key: str | None, value: str | None):
    """Show every setting, show one (KEY), or set one (KEY VALUE)."""
    store = app_store()
    if key is None:
        current = read_settings(store.reader())
        width = max(map(len, SETTINGS))
        for name, setting in SETTINGS.items():
            click.echo(
                f"{name:<{width}}  {json.dumps(current[name], ensure_ascii=False)}"
                f"  # {setting.help}"
            )
        return
    if value is None:
        if key not in SETTINGS:
            parse_setting(key, "")  # raises, naming the known settings
        click.echo(json.dumps(read_settings(store.reader())[key], ensure_ascii=False))
        return
    parsed = actions.change_setting(store, key, value)
    click.echo(f"{key} = {json.dumps(parsed, ensure_ascii=False)}")


@click.command("rebuild")
@clear_errors
@with_appcontext
def rebuild_command():
    """Recompute every derived table from the event log."""
    with app_store().write() as db:
        rebuild(db)
    click.echo("Derived tables rebuilt from the event log.")


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--kind",
    type=click.Choice(["customers", "referrals", "mentions", "purchases"]),
    help="What the file holds (found from its header row when left out).",
)
@click.option(
    "--webhooks",
    is_flag=True,
    help="Queue webhooks for what the file adds (by default an import sends none).",
)
@clear_errors
@with_appcontext
def import_command(file, kind: str | None, webhooks: bool):
    """Import a CSV file of customers, referrals, mentions or purchases.

    The same checks and ingest path as the API, in one transaction: a file with a
    bad row stores nothing, and each bad row is reported with its line number.
    """
    from .store.csv_text import decode_csv
    from .store.csvio import import_csv

    text = decode_csv(file.read())
    rows = max(text.count("\n"), 1)
    with click.progressbar(length=rows, label="Importing", file=sys.stderr) as bar:
        done = import_csv(
            app_store(), text, kind=kind, progress=bar.update, webhooks=webhooks
        )
    click.echo(
        f"Imported {done.rows} {done.kind} rows: {done.accepted} events stored, "
        f"{done.replayed} seen before."
    )


@click.command("export")
@click.argument(
    "kind", type=click.Choice(["customers", "referrals", "mentions", "purchases"])
)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Where to write the CSV (default: stdout).",
)
@clear_errors
@with_appcontext
def export_command(kind: str, output):
    """Export customers, referrals, mentions or purchases as CSV that import reads."""
    from .store.csvio import export_csv

    rows = export_csv(app_store().reader(), kind, output)
    if output.name != "<stdout>":
        click.echo(f"Exported {rows} {kind} rows to {output.name}")


COMMANDS = [
    init_db,
    demo,
    create_owner,
    setup_code,
    create_token,
    list_tokens,
    revoke_token,
    backup,
    settings,
    rebuild_command,
    import_command,
    export_command,
    *REWARD_COMMANDS,
]


def register(app: Flask) -> None:
    """Add the commands to ``flask --app wom``."""
    for command in COMMANDS:
        app.cli.add_command(command)
