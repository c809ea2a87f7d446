"""The owner's downloads, streamed: /dashboard/exports/people.csv and the
conversation graph as graph.gexf or graph.graphml (``wom.exports``).

Each response is a generator under ``stream_with_context``: rows are read a
chunk at a time and sent as they are written, so a million people never make a
whole document in memory. The dashboard's login guards them like every page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Response, stream_with_context

from ...exports import graph_document, people_csv
from .. import analytics, store
from . import blueprint

__all__ = ["GRAPH_TYPES", "export_graph", "export_people"]


def _download(pieces: Iterator[str], mimetype: str, name: str) -> Response:
    stem, _, extension = name.partition(".")
    day = datetime.now(UTC).date().isoformat()
    filename = f"wom-{stem}-{day}.{extension}"
    return Response(
        stream_with_context(piece.encode() for piece in pieces),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _loaded():
    """The analytics service, loaded before the first byte goes out: once a
    stream has begun, its status can no longer say "try again"."""
    service = analytics()
    service.ensure_loaded()
    return service


@blueprint.get("/dashboard/exports/people.csv")
def export_people():
    """Every person with their figures, as CSV."""
    return _download(people_csv(store(), _loaded()), "text/csv", "people.csv")


# The graph's formats -> their media types.
GRAPH_TYPES = {"gexf": "application/gexf+xml", "graphml": "application/graphml+xml"}


@blueprint.get("/dashboard/exports/graph.<any(gexf, graphml):kind>")
def export_graph(kind: str):
    """The conversation graph as GEXF 1.2 (timed for Gephi's timeline) or GraphML."""
    return _download(
        graph_document(store(), _loaded(), kind), GRAPH_TYPES[kind], f"graph.{kind}"
    )
