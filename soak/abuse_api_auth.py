"""Every operation of the OpenAPI document, called with every token that must
not get in: none, a malformed header, an unknown token, a revoked one, and each
scope below the one the operation declares (its bearer role). Each must get the
401 or 403 the document lists for it, never a 2xx; and the scope declared must
be enough (a positive control: the document does not ask too much).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from soak.abuse_site import Client, Site
from wom import actions
from wom.store import now_micros
from wom.store.accounts import SCOPES

__all__ = ["Operation", "Refusals", "operations", "sweep_api"]

PREFIX = "/api/v1"
_PARAMETER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Operation:
    """One operation of the document, as the sweep calls it."""

    method: str
    template: str
    scope: str | None  # None: public
    documented: frozenset[int]
    body: object = None

    def path(self, values: dict) -> str:
        """The operation's address with ``values`` in its path parameters."""
        return PREFIX + _PARAMETER.sub(lambda m: values[m[1]], self.template)


def _example(operation: dict):
    content = (operation.get("requestBody") or {}).get("content", {})
    found = content.get("application/json")
    if found is None:
        return None
    if "example" in found:
        return found["example"]
    return next(iter(found.get("examples", {}).values()), {}).get("value")


def operations(document: dict) -> list[Operation]:
    """Every operation of ``document``, with the scope its bearer role names."""
    found = []
    for template, methods in document["paths"].items():
        for method, operation in methods.items():
            security = operation.get("security", document.get("security"))
            roles = [role for need in security for role in need.get("bearer", [])]
            found.append(
                Operation(
                    method.upper(),
                    template,
                    roles[0] if roles else None,
                    frozenset(int(status) for status in operation["responses"]),
                    _example(operation),
                )
            )
    # Erasing and removing last: the positive control may carry them out.
    return sorted(found, key=lambda op: op.method == "DELETE")


@dataclass
class Refusals:
    """What the sweep saw."""

    calls: int = 0
    let_in: list = field(default_factory=list)  # a 2xx without the right token
    undocumented: list = field(default_factory=list)  # not the 401/403 listed
    public: list = field(default_factory=list)
    refused_at_scope: list = field(default_factory=list)


def _expect(refusals: Refusals, op: Operation, who: str, answer, status: int):
    refusals.calls += 1
    where = (f"{op.method} {op.template}", who, answer.status_code)
    if 200 <= answer.status_code < 300:
        refusals.let_in.append(where)
    elif answer.status_code != status or status not in op.documented:
        refusals.undocumented.append(where)
    elif status == 401 and "WWW-Authenticate" not in answer.headers:
        refusals.undocumented.append((*where, "no WWW-Authenticate"))


def _call(client: Client, op: Operation, values: dict, headers: dict):
    kwargs = {"headers": headers}
    if op.body is not None:
        kwargs["json"] = op.body
    return client.request(op.method, op.path(values), **kwargs)


def sweep_api(site: Site, document: dict, values: dict) -> Refusals:
    """Call every operation of ``document`` with every token that must be
    refused, then with a token of the scope it declares; ``values`` fill the
    path parameters (real ones, so that a token let in would get a 2xx)."""
    tokens = {scope: site.token(scope) for scope in SCOPES}
    revoked = site.token("admin", name="soak-revoked")
    actions.revoke_token(site.store, "soak-revoked", now=now_micros())
    strangers = {
        "no token": {},
        "not bearer": {"Authorization": f"Basic {tokens['admin']}"},
        "empty bearer": {"Authorization": "Bearer "},
        "unknown token": {"Authorization": "Bearer wom_" + "x" * 40},
        "revoked admin token": {"Authorization": f"Bearer {revoked}"},
    }
    client = site.client()
    refusals = Refusals()
    ops = operations(document)
    for op in ops:
        if op.scope is None:
            refusals.public.append(f"{op.method} {op.template}")
            continue
        for who, headers in strangers.items():
            _expect(refusals, op, who, _call(client, op, values, headers), 401)
        for scope in SCOPES[: SCOPES.index(op.scope)]:
            headers = {"Authorization": f"Bearer {tokens[scope]}"}
            answer = _call(client, op, values, headers)
            _expect(refusals, op, f"{scope} token", answer, 403)
    for op in ops:
        if op.scope is None:
            continue
        headers = {"Authorization": f"Bearer {tokens[op.scope]}"}
        answer = _call(client, op, values, headers)
        if answer.status_code in (401, 403):
            refusals.refused_at_scope.append((f"{op.method} {op.template}", op.scope))
    client.close()
    return refusals
