"""The overview of a database with no customers: how to get the first one, and
their referral link, through the sign-up page or the API."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from flask import url_for

from ...contract import CustomerInput
from ...store.csvio import COLUMNS
from ..previews import public_address

__all__ = ["start_data"]

TOKEN_COMMAND = "flask --app wom create-token my-shop"


def _address(endpoint: str, **values) -> str:
    """An absolute address: under PUBLIC_URL when it is set."""
    return public_address(endpoint, **values) or url_for(
        endpoint, _external=True, **values
    )


def start_data(counts: dict) -> dict:
    """What the empty overview shows: the sign-up page's address, and the API
    calls that make a customer and read their referral link."""
    api = _address("api.save_customer")
    example = CustomerInput.example | {
        "acquired_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    }
    links = _address("api.customer_links", external_id=example["id"])
    return {
        "empty": True,
        "customers": counts["customers"],
        "prospects": counts["prospects"],
        "join_url": _address("landing.join"),
        "api_docs": _address("api_docs"),
        "token_command": TOKEN_COMMAND,
        "example_customer": example,
        "csv_columns": {kind: list(columns) for kind, columns in COLUMNS.items()},
        "curl": [
            f"export WOM_TOKEN=$({TOKEN_COMMAND})",
            f"curl -X POST {api} \\\n"
            '  -H "Authorization: Bearer $WOM_TOKEN" \\\n'
            '  -H "Content-Type: application/json" \\\n'
            f"  -d '{orjson.dumps(example).decode()}'",
            f'curl {links} \\\n  -H "Authorization: Bearer $WOM_TOKEN"',
        ],
        # The link's address with its code left for the reader to fill in.
        "link_address": _address("landing.link", code="x").rsplit("/", 1)[0]
        + "/<code>",
    }
