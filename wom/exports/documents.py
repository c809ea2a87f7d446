"""The export documents: the store's rows, a chunk at a time in one snapshot,
with the analytics service's figures for each chunk.

The snapshot (one read transaction) keeps every chunk consistent with the others
whatever commits meanwhile; the service's lock is held for one chunk's figures
at a time, so writes keep flowing while a million rows go out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

from ..contract import currency_exponent, iso, major
from ..service import AnalyticsService
from ..service.customers import figures_of
from ..store import Store
from ..store.csv_text import defused
from ..store.export_rows import CHUNK, edge_chunks, node_chunks, people_chunks
from ..store.settings import read_settings
from .xml_graphs import Schema, gexf, graphml

__all__ = [
    "CHUNK",
    "GRAPH_FORMATS",
    "GRAPH_SCHEMA",
    "PEOPLE_COLUMNS",
    "graph_document",
    "people_csv",
]

PEOPLE_COLUMNS = (
    "id",
    "name",
    "email",
    "status",
    "acquired_at",
    "acquired_via",
    "credited_referrer",
    "credit_status",
    "reach",
    "direct_referrals",
    "generations",
    "value",
    "referred_value",
)
GRAPH_SCHEMA = Schema(
    nodes={
        "status": "string",
        "acquired_via": "string",
        "acquired_at": "string",
        "value": "double",
        "reach": "long",
        "direct_referrals": "long",
    },
    edges={
        "kinds": "string",
        "touches": "long",
        "first_at": "string",
        "last_at": "string",
        "converted": "boolean",
        "credited": "boolean",
    },
)
GRAPH_FORMATS = ("gexf", "graphml")


def _exponent(db) -> int:
    return currency_exponent(read_settings(db)["currency"])


def _figures(service: AnalyticsService, pids: list) -> dict:
    with service.forest() as (_, state):
        return figures_of(state, pids)


def people_csv(store: Store, service: AnalyticsService) -> Iterator[str]:
    """Every person with their figures as CSV (a header, then one row each, by
    internal id); money in major units, cells a spreadsheet would run defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PEOPLE_COLUMNS)
    yield buffer.getvalue()
    with store.snapshot() as db:
        exponent = _exponent(db)
        for chunk in people_chunks(db, CHUNK):
            figures = _figures(service, [row[0] for row in chunk])
            buffer.seek(0)
            buffer.truncate()
            for (
                pid,
                external_id,
                name,
                email,
                status,
                at,
                via,
                referrer,
                credit,
                value,
            ) in chunk:
                mine = figures.get(pid, {})
                writer.writerow(
                    [
                        defused(cell)
                        for cell in (
                            external_id,
                            name,
                            email,
                            status,
                            iso(at),
                            via,
                            referrer,
                            credit,
                            mine.get("reach", 0),
                            mine.get("direct_referrals", 0),
                            mine.get("generations", 0),
                            major(value, exponent),
                            major(mine.get("referred_value", 0.0), exponent),
                        )
                    ]
                )
            yield buffer.getvalue()


def _start(acquired_at: int | None, heard_at: int | None) -> str | None:
    """When a person enters the timeline: first told, or converted if earlier.

    >>> _start(5_000_000, 2_000_000), _start(None, None)
    ('1970-01-01T00:00:02Z', None)
    """
    known = [at for at in (acquired_at, heard_at) if at is not None]
    return iso(min(known)) if known else None


def _nodes(db, service: AnalyticsService, exponent: int) -> Iterator[list[tuple]]:
    for chunk in node_chunks(db, CHUNK):
        figures = _figures(service, [row[0] for row in chunk])
        yield [
            (
                external_id,
                name or external_id,
                {
                    "status": status,
                    "acquired_via": via,
                    "acquired_at": iso(at),
                    "value": major(value, exponent),
                    "reach": figures.get(pid, {}).get("reach"),
                    "direct_referrals": figures.get(pid, {}).get("direct_referrals"),
                    "start": _start(at, heard),
                },
            )
            for pid, external_id, name, status, via, at, heard, value in chunk
        ]


def _edges(db) -> Iterator[list[tuple]]:
    for chunk in edge_chunks(db, CHUNK):
        yield [
            (
                talker,
                listener,
                {
                    "kinds": kinds,
                    "touches": touches,
                    "first_at": iso(first),
                    "last_at": iso(last),
                    "converted": bool(converted),
                    "credited": bool(credited),
                    "start": iso(first),
                },
            )
            for (
                _,
                _,
                talker,
                listener,
                kinds,
                touches,
                first,
                last,
                converted,
                credited,
            ) in chunk
        ]


def graph_document(
    store: Store, service: AnalyticsService, kind: str, *, today=None
) -> Iterator[str]:
    """The whole conversation graph as ``kind`` (GRAPH_FORMATS): people by
    external id (labelled with their name where known), with their figures, and
    every conversation with its kinds, counts, times and credit."""
    if kind not in GRAPH_FORMATS:
        raise ValueError(f"give one of {', '.join(GRAPH_FORMATS)}")
    with store.snapshot() as db:
        exponent = _exponent(db)
        nodes, edges = _nodes(db, service, exponent), _edges(db)
        if kind == "gexf":
            modified = today or datetime.now(UTC).date()
            yield from gexf(GRAPH_SCHEMA, nodes, edges, modified=modified)
        else:
            yield from graphml(GRAPH_SCHEMA, nodes, edges)
