"""Byte scans for the privacy check: which of a person's strings, or which raw
IP addresses, a file or a table still holds.

A string is looked for as it could be written: UTF-8, lower case, and as JSON
with non-ASCII escaped (``Zo\\u00eb``); an address in its usual text forms.
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
from pathlib import Path

__all__ = ["address_forms", "database_files", "found_in", "found_in_tables", "forms"]


def forms(text: str) -> set[bytes]:
    """The byte strings ``text`` could be stored as.

    >>> sorted(forms("Zoë"))
    [b'Zo\\\\u00eb', b'Zo\\xc3\\xab', b'zo\\xc3\\xab']
    """
    return {
        text.encode(),
        text.lower().encode(),
        json.dumps(text)[1:-1].encode(),
    }


def address_forms(address: str) -> set[bytes]:
    """The text forms of an IP address: as given, compressed, exploded.

    >>> sorted(address_forms("2001:db8::fa"))
    [b'2001:0db8:0000:0000:0000:0000:0000:00fa', b'2001:db8::fa']
    """
    parsed = ipaddress.ip_address(address)
    return {address.encode(), parsed.compressed.encode(), parsed.exploded.encode()}


def database_files(path: Path) -> list[Path]:
    """The database file and its WAL and shared-memory files, as they exist."""
    return [
        candidate
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
        if candidate.exists()
    ]


def found_in(files: list[Path], needles: dict[str, set[bytes]]) -> list[tuple]:
    """``(file name, what)`` for each of ``needles`` (what -> its byte forms)
    found in each file."""
    found = []
    for path in files:
        data = path.read_bytes()
        for what, variants in needles.items():
            if any(variant in data for variant in variants):
                found.append((path.name, what))
    return found


def found_in_tables(
    path: Path, tables: list[str], needles: dict[str, set[bytes]]
) -> list[tuple]:
    """``(table, what)`` for each of ``needles`` in any column of ``tables``
    (read through SQLite, so the WAL's newest rows too)."""
    found = []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for table in tables:
            rows = b"\n".join(
                value if isinstance(value, bytes) else str(value).encode()
                for row in connection.execute(f"SELECT * FROM {table}")
                for value in row
                if value is not None
            )
            for what, variants in needles.items():
                if any(variant in rows for variant in variants):
                    found.append((table, what))
    finally:
        connection.close()
    return found
