"""A bearer-token client for the API tests: every reply read and closed at once."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from wom.store import accounts, now_micros

__all__ = ["ApiClient", "Reply", "make_token"]

PREFIX = "/api/v1"


def make_token(
    app, name: str = "shop", *, read_only: bool = False, scope: str = "write"
) -> str:
    """A new API token for ``app``'s store (``read_only`` is scope ``read``)."""
    scope = "read" if read_only else scope
    with app.extensions["wom.store"].write() as db:
        return accounts.create_token(db, name, scope=scope, now=now_micros())


@dataclass
class Reply:
    """What came back: status, headers and body (the response is closed)."""

    status: int
    headers: dict
    body: bytes

    @property
    def json(self):
        return orjson.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


class ApiClient:
    """Calls /api/v1 with ``Authorization: Bearer <token>`` (or without one)."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    @classmethod
    def for_app(
        cls, app, name: str = "shop", *, read_only: bool = False, scope="write"
    ):
        token = make_token(app, name, read_only=read_only, scope=scope)
        return cls(app.test_client(), token)

    def call(self, method: str, path: str, *, headers=None, **kwargs) -> Reply:
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        url = path if path.startswith("/api/") else PREFIX + path
        with self.client.open(url, method=method, headers=sent, **kwargs) as response:
            return Reply(response.status_code, dict(response.headers), response.data)

    def get(self, path: str, **kwargs) -> Reply:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Reply:
        return self.call("POST", path, **kwargs)

    def delete(self, path: str, **kwargs) -> Reply:
        return self.call("DELETE", path, **kwargs)

    def events(self, *events: dict, **kwargs) -> Reply:
        """POST /events with these events as one batch."""
        return self.post("/events", json={"events": list(events)}, **kwargs)
