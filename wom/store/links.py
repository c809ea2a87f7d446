"""A person's referral links: listing them and making new ones."""

from __future__ import annotations

from sqlite_utils import Database

from .errors import Conflict, InvalidInput
from .link_codes import new_link_code

__all__ = ["create_link", "links_of"]


def links_of(db: Database, pid: int) -> list[dict]:
    """The person's referral links, oldest first."""
    keys = ("code", "channel", "disabled", "created_at", "clicks", "bot_clicks")
    rows = db.execute(
        "SELECT code, channel, disabled, created_at, clicks, bot_clicks, signups "
        "FROM links WHERE owner_id = ? ORDER BY id",
        [pid],
    )
    return [
        dict(zip((*keys, "signups"), row, strict=True)) | {"disabled": bool(row[2])}
        for row in rows
    ]


def create_link(
    db: Database,
    pid: int,
    *,
    code: str | None = None,
    channel: str | None = None,
    now: int,
) -> dict:
    """Give ``pid`` a new referral link (a random code unless one is asked for)."""
    channel = "default" if channel is None else channel
    if not isinstance(channel, str) or not 1 <= len(channel.strip()) <= 40:
        raise InvalidInput.field("channel", "give a channel name of 1 to 40 characters")
    if code is not None:
        if not isinstance(code, str) or not _valid_code(code):
            raise InvalidInput.field(
                "code", "give 4 to 64 lower-case letters, digits or -"
            )
        if db.execute("SELECT 1 FROM links WHERE code = ?", [code]).fetchone():
            raise Conflict(f"The code {code!r} is taken; pick another or omit it.")
    while code is None:
        code = new_link_code()
        if db.execute("SELECT 1 FROM links WHERE code = ?", [code]).fetchone():
            code = None
    db.execute(
        "INSERT INTO links(code, owner_id, channel, created_at) VALUES (?, ?, ?, ?)",
        [code, pid, channel.strip(), now],
    )
    return next(link for link in links_of(db, pid) if link["code"] == code)


def _valid_code(code: str) -> bool:
    return 4 <= len(code) <= 64 and all(
        c.isascii() and (c.islower() or c.isdigit() or c == "-") for c in code
    )
