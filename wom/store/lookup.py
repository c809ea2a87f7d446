"""Finding one person from what an owner types in a search box: an id or a name."""

from __future__ import annotations

from sqlite_utils import Database

from ..names import normalise_name

__all__ = ["find_person"]

# Above every character: the end of a prefix range over the name index.
_LAST = "\U0010ffff"


def find_person(db: Database, text: str) -> int | None:
    """The internal id of the person whose external id is ``text``; else of the
    person whose name begins as ``text`` does (case and spacing aside: the
    smallest such name, then the smallest external id); None if nobody.

    Both look-ups read an index, whatever the size of the database.
    """
    row = db.execute("SELECT id FROM people WHERE external_id = ?", [text]).fetchone()
    if row is not None:
        return row[0]
    name = normalise_name(text)
    if not name:
        return None
    row = db.execute(
        "SELECT i.person_id FROM identities i JOIN people p ON p.id = i.person_id "
        "WHERE i.name_normalised >= ? AND i.name_normalised < ? "
        "ORDER BY i.name_normalised, p.external_id LIMIT 1",
        [name, name + _LAST],
    ).fetchone()
    return None if row is None else row[0]
