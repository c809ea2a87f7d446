"""Link rows of a referrals CSV file: a sign-up through the referrer's own link.

An export writes each sign-up through a referral link as a referral row with the
link's code and channel. On import the row's referrer gets that link (unless it is
theirs already), and the row becomes the sign-up through it, so that the credit
is a link's again. A code another person holds is refused at the row's line.
"""

from __future__ import annotations

from sqlite_utils import Database

from ..contract import EventRules, check_objects
from .csv_text import line_problem
from .errors import InvalidInput
from .links import create_link

__all__ = ["claim_links", "link_claims"]


def link_claims(rows, rules: EventRules) -> list[tuple[int, str, str, str]]:
    """(line, referrer, link code, channel) of each link row, its people checked.

    ``rows`` are (line, cells) of a referrals file; the rows without a ``link``
    cell are plain referrals, and claim nothing.
    """
    linked = [(line, row) for line, row in rows if "link" in row]
    # The referrer is no field of the sign-up the row becomes: check both people
    # and the time as the referral the row also is.
    try:
        check_objects(
            [
                {"type": "referral", **{k: row[k] for k in ("from", "to", "at")}}
                for _, row in linked
            ],
            rules,
        )
    except InvalidInput as exc:
        raise InvalidInput(
            [
                line_problem(linked[e["index"]][0], e["field"], e["message"])
                for e in exc.errors
            ]
        ) from None
    return [
        (line, row["from"], row["link"], row.get("channel", "default"))
        for line, row in linked
    ]


def claim_links(db: Database, claims, now: int) -> None:
    """Give each referrer the link their rows name, unless it is theirs already.

    Inside the import's write transaction: a refused code stores nothing.
    """
    problems = []
    for line, referrer, code, channel in claims:
        db.execute(
            "INSERT OR IGNORE INTO people(external_id, created_at) VALUES (?, ?)",
            [referrer, now],
        )
        (owner,) = db.execute(
            "SELECT id FROM people WHERE external_id = ?", [referrer]
        ).fetchone()
        held = db.execute(
            "SELECT owner_id FROM links WHERE code = ?", [code]
        ).fetchone()
        if held is None:
            try:
                create_link(db, owner, code=code, channel=channel, now=now)
            except InvalidInput as exc:
                (error,) = exc.errors
                field = "link" if error["field"] == "code" else "channel"
                problems.append(line_problem(line, field, error["message"]))
        elif held[0] != owner:
            problems.append(
                line_problem(
                    line,
                    "link",
                    f"link {code!r} belongs to another person; name them in "
                    "from, or give another code",
                )
            )
    if problems:
        raise InvalidInput(problems)
