"""Recording a batch of checked events from an integrator (the API's bulk ingest)."""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from ..contract import CheckedEvent
from ..store import IngestResult
from ..store.batcher import Batcher

__all__ = ["record_events"]


def record_events(
    batcher: Batcher,
    events: list[CheckedEvent],
    *,
    source: str,
    now: int,
    within: Callable[[Database, IngestResult], None] | None = None,
) -> IngestResult:
    """Append and derive ``events`` with the other requests' of the moment, all
    or none; return once their transaction has committed. ``within(db, result)``
    runs inside it, and fails this batch alone if it raises."""
    return batcher.submit(events, source=source, now=now, within=within)
