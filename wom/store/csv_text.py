"""CSV as text: bytes decoded, records read strictly with their line numbers, and
cells quoted so that a spreadsheet shows them rather than runs them (OWASP's advice
on CSV injection)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator

from .errors import InvalidInput

__all__ = ["decode_csv", "defused", "line_problem", "records", "unquoted"]

# What a spreadsheet runs as a formula, after any quotes an export already added:
# a text that starts with quotes and then one of these gets one more quote.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def line_problem(line: int | None, column: str, message: str) -> dict:
    """One problem of a file, at its line (None: the whole file)."""
    where = f"line {line}, {column}" if line is not None else column
    return {"index": None, "field": where, "message": message}


def decode_csv(data: bytes) -> str:
    """The text of a CSV file's bytes: UTF-8 without its byte order mark, lines
    ending in ``\\n``; InvalidInput names the line of a byte that is not UTF-8."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _newlines(data[: exc.start].decode("utf-8")).count("\n") + 1
        message = "not UTF-8; save the file as UTF-8 (in Excel: CSV UTF-8)"
        raise InvalidInput([line_problem(line, "file", message)]) from None
    # The text a file opened with universal newlines gives, as the command read it
    # before: a file imported then digests the same now, and adds nothing again.
    return _newlines(text)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each record and the line it starts on; InvalidInput where the reader stops."""
    # strict: a stray quote is an error, not a cell that runs to the end of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:
            raise InvalidInput(
                [line_problem(line + 1, "row", _unreadable(exc))]
            ) from None
        if values is None:
            return
        yield line + 1, values
        line = reader.line_num


def _unreadable(exc: csv.Error) -> str:
    if str(exc).startswith("field larger than field limit"):
        return (
            f"a cell is longer than {csv.field_size_limit():,} characters; "
            "no column takes that much (is a quote left open?)"
        )
    return (
        "a quote is never closed, or text follows a closing quote; put a cell "
        'with a quote, a comma or a line break in "...", and write " in it as ""'
    )


def unquoted(text: str) -> str:
    """A cell without the quote an export put before a formula.

    >>> unquoted("'=1+1"), unquoted("''=1+1"), unquoted("'Brien")
    ('=1+1', "'=1+1", "'Brien")
    """
    return text[1:] if text[:1] == "'" and _FORMULA.match(text, 1) else text


def defused(cell):
    """A cell that a spreadsheet shows as text rather than runs.

    >>> defused("=1+1"), defused("'=1+1"), defused("Ann"), defused(-1.5)
    ("'=1+1", "''=1+1", 'Ann', -1.5)
    """
    return "'" + cell if isinstance(cell, str) and _FORMULA.match(cell) else cell
