"""The owner resolves a "who told you about us?" answer that named nobody."""

from __future__ import annotations

from ..contract import CheckedEvent
from ..store import Conflict, InvalidInput, Store, people
from ..store.answers import answer_of, mark_resolved
from ..store.ingest import append_events

__all__ = ["resolve_answer"]


def resolve_answer(store: Store, answer_id: int, talker: str, *, now: int) -> dict:
    """Say who an answer meant: ``talker`` (an external id) told its author about us.

    The touch is recorded as a ``heard_from`` event at the time of the answer, as
    if the form had recognised the name, so the store derives the edge and any
    credit it earns. Returns the answer, resolved.
    """
    with store.write() as db:
        answer = answer_of(db, answer_id)
        if answer["resolved_id"] is not None:
            raise Conflict(f"Answer {answer_id} is resolved already.")
        talker_id = people.person_id(db, talker)
        if talker_id == answer["person_id"]:
            raise InvalidInput.field(
                "talker", "nobody tells themselves about us; name someone else"
            )
        told = CheckedEvent(
            index=0,
            type="heard_from",
            at=answer["created_at"],
            talker=talker,
            listener=answer["external_id"],
        )
        append_events(db, [told], source="owner", now=now)
        mark_resolved(db, answer_id, talker_id)
    return answer | {"resolved_id": talker_id, "talker": talker}
