"""The small graph of the people a review flag is about: who talked to whom
among them, and who is credited to whom."""

from __future__ import annotations

from sqlite_utils import Database

__all__ = ["among"]


def among(db: Database, external_ids) -> dict:
    """The conversations and credits among ``external_ids``: ``people``
    (``{external_id: {name, status}}``), ``talks`` (``[talker, listener,
    kinds]``) and ``credits`` (``[customer, referrer, status]``), by external id.

    Bounded by the caller: a query per call, on the given people only.
    """
    external_ids = sorted(set(external_ids))
    if not external_ids:
        return {"people": {}, "talks": [], "credits": []}
    marks = ",".join("?" * len(external_ids))
    people = {
        pid: (external_id, name, status)
        for pid, external_id, name, status in db.execute(
            f"SELECT p.id, p.external_id, i.name, p.status FROM people p "
            f"LEFT JOIN identities i ON i.person_id = p.id "
            f"WHERE p.external_id IN ({marks})",
            external_ids,
        )
    }
    ids = sorted(people)
    marks = ",".join("?" * len(ids))
    talks = [
        [people[talker][0], people[listener][0], kinds.split(",")]
        for talker, listener, kinds in db.execute(
            f"SELECT talker_id, listener_id, kinds FROM touches "
            f"WHERE talker_id IN ({marks}) AND listener_id IN ({marks}) "
            f"ORDER BY talker_id, listener_id",
            ids + ids,
        )
        if talker != listener
    ]
    credits = [
        [people[customer][0], people[referrer][0], status]
        for customer, referrer, status in db.execute(
            f"SELECT customer_id, referrer_id, status FROM credits "
            f"WHERE customer_id IN ({marks}) AND referrer_id IN ({marks}) "
            f"ORDER BY customer_id",
            ids + ids,
        )
    ]
    return {
        "people": {
            external_id: {"name": name, "status": status}
            for external_id, name, status in people.values()
        },
        "talks": talks,
        "credits": credits,
    }
