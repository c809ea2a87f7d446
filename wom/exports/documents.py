"""The export documents, a chunk of rows at a time.

Rows are keyed and ordered by the store (one read snapshot for the whole
document, each chunk one range of a key); what is known of each row comes from
the store (people's names, emails and credits) or from the analytics service's
graphs (the graph's nodes and edges, every figure), whose lock is held for one
chunk at a time, so writes keep flowing while a million rows go out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

from ..contract import currency_exponent
from ..service import AnalyticsService
from ..service.customers import figures_of
from ..service.graph_export import edge_rows, node_rows
from ..store import Store
from ..store.csv_text import defused
from ..store.export_rows import CHUNK, edge_chunks, node_chunks, people_chunks
from ..store.settings import read_settings
from .cells import iso_micros, iso_seconds
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
    nodes=(
        ("status", "string"),
        ("acquired_via", "string"),
        ("acquired_at", "string"),
        ("value", "double"),
        ("reach", "long"),
        ("direct_referrals", "long"),
    ),
    edges=(
        ("kinds", "string"),
        ("touches", "long"),
        ("first_at", "string"),
        ("last_at", "string"),
        ("converted", "boolean"),
        ("credited", "boolean"),
    ),
)
GRAPH_FORMATS = ("gexf", "graphml")
_NO_FIGURES: dict = {}


def _divisor(db) -> int:
    """Minor units per major unit of the business's currency."""
    return 10 ** currency_exponent(read_settings(db)["currency"])


def people_csv(store: Store, service: AnalyticsService) -> Iterator[str]:
    """Every person with their figures as CSV (a header, then one row each, by
    internal id); money in major units, text cells a spreadsheet would run
    defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PEOPLE_COLUMNS)
    yield buffer.getvalue()
    with store.snapshot() as db:
        divisor = _divisor(db)
        for chunk in people_chunks(db, CHUNK):
            with service.held() as (_, _, state):
                figures = figures_of(state, [row[0] for row in chunk])
            acquired = iso_micros([row[5] for row in chunk])
            buffer.seek(0)
            buffer.truncate()
            for (
                pid,
                eid,
                name,
                email,
                status,
                _,
                via,
                referrer,
                credit,
                value,
            ), at in zip(chunk, acquired, strict=True):
                mine = figures.get(pid, _NO_FIGURES)
                writer.writerow(
                    (
                        defused(eid),
                        defused(name),
                        defused(email),
                        status,
                        at,
                        via,
                        defused(referrer),
                        credit,
                        mine.get("reach", 0),
                        mine.get("direct_referrals", 0),
                        mine.get("generations", 0),
                        value / divisor,
                        mine.get("referred_value", 0.0) / divisor,
                    )
                )
            yield buffer.getvalue()


def _nodes(db, service: AnalyticsService, divisor: int) -> Iterator[list[tuple]]:
    for chunk in node_chunks(db, CHUNK):
        with service.held() as (G, _, state):
            rows = node_rows(G, state, chunk)
        acquired = iso_seconds([row[4] for row in rows])
        # A person enters the timeline when first told, or on converting if
        # that came first.
        starts = iso_seconds(
            [
                row[4]
                if row[5] is None or (row[4] is not None and row[4] < row[5])
                else row[5]
                for row in rows
            ]
        )
        yield [
            (
                eid,
                name or eid,
                start,
                (status, via, at, value / divisor, reach, direct),
            )
            for (eid, name, status, via, _, _, value, reach, direct), at, start in zip(
                rows, acquired, starts, strict=True
            )
        ]


def _edges(db, service: AnalyticsService) -> Iterator[list[tuple]]:
    for chunk in edge_chunks(db, CHUNK):
        with service.held() as (G, F, _):
            rows = edge_rows(G, F, chunk)
        first = iso_seconds([row[4] for row in rows])
        last = iso_seconds([row[5] for row in rows])
        yield [
            (
                talker,
                listener,
                begun,
                (kinds, touches, begun, ended, converted, credited),
            )
            for (
                talker,
                listener,
                kinds,
                touches,
                _,
                _,
                converted,
                credited,
            ), begun, ended in zip(rows, first, last, strict=True)
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
        divisor = _divisor(db)
        nodes, edges = _nodes(db, service, divisor), _edges(db, service)
        if kind == "gexf":
            modified = today or datetime.now(UTC).date()
            yield from gexf(GRAPH_SCHEMA, nodes, edges, modified=modified)
        else:
            yield from graphml(GRAPH_SCHEMA, nodes, edges)
