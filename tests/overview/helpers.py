"""The overview tests' helpers: a page and its twin fetched, a person's link code,
rows by name."""

from __future__ import annotations

import orjson

from wom.store import links, people

# February is the period before March's; both have 28 days.
MARCH = "from=2026-03-01&to=2026-03-28"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


def get(client, url: str):
    with client.get(url) as reply:
        return reply.status_code, reply.headers, reply.get_data(as_text=True)


def twin(client, url: str) -> dict:
    path, _, query = url.partition("?")
    status, _, body = get(client, f"{path}.json?{query}")
    assert status == 200, body
    return orjson.loads(body)


def code_of(app, person: str) -> str:
    db = app.extensions["wom.store"].reader()
    return links.links_of(db, people.person_id(db, person))[0]["code"]


def by_name(rows: list[dict]) -> dict:
    return {row["name"]: row for row in rows}
