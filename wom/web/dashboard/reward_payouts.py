"""The payout file, /dashboard/rewards/payouts.csv: the rewards owed (approved,
not yet paid) with whom to pay and how much, streamed a chunk at a time, every
text cell defused so that a spreadsheet shows it rather than runs it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from flask import Response, abort, request, stream_with_context

from ...contract import currency_exponent, iso
from ...store.csv_text import defused
from ...store.reward_queries import payout_rows
from .. import store
from . import blueprint

__all__ = ["HEADER", "payout_lines"]

HEADER = (
    "reward",
    "customer",
    "name",
    "email",
    "side",
    "for_customer",
    "amount",
    "currency",
    "perk",
    "state_since",
)
STATES = ("approved", "paid", "pending")


def _amount(minor: int | None, currency: str) -> str:
    """Minor units as a plain decimal a spreadsheet reads (no symbol)."""
    if minor is None:
        return ""
    return f"{Decimal(minor).scaleb(-currency_exponent(currency)):f}"


def payout_lines(rows) -> Iterator[str]:
    """The header, then one CSV line per reward."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        writer.writerow([defused(value) for value in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(HEADER)
    for row in rows:
        yield line(
            (
                row["id"],
                row["customer"],
                row["name"] or "",
                row["email"] or "",
                row["side"],
                row["credit"],
                _amount(row["amount"], row["currency"]),
                row["currency"],
                row["perk"] or "",
                iso(row["at"]),
            )
        )


@blueprint.get("/dashboard/rewards/payouts.csv")
def reward_payouts():
    """The rewards in a state (approved: what to pay now) as CSV."""
    state = request.args.get("state", "approved")
    if state not in STATES:
        abort(400, f"Give a state of {', '.join(STATES)}.")

    def lines() -> Iterator[str]:
        # One read transaction for the whole file: a consistent ledger.
        with store().snapshot() as db:
            yield from payout_lines(payout_rows(db, state))

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="rewards-{state}.csv"',
            "Cache-Control": "no-store",
        },
    )
