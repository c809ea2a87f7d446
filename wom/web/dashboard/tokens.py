"""API tokens on the Settings page: make one (shown once, in the answer to the
form and nowhere else) and revoke one by name."""

from __future__ import annotations

from flask import redirect, request, url_for

from ... import actions
from ...store import Conflict, InvalidInput, now_micros
from .. import store
from . import blueprint
from .settings import render_settings

__all__ = ["create_token", "revoke_token"]


@blueprint.post("/dashboard/settings/tokens")
def create_token():
    """Make a token; the page that answers shows it once. Its digest alone is
    kept, so it is never shown again."""
    name = request.form.get("name", "")
    scope = request.form.get("scope", "")
    try:
        token = actions.create_token(store(), name, scope=scope, now=now_micros())
    except (InvalidInput, Conflict) as exc:
        if isinstance(exc, InvalidInput):
            problem = exc.errors[0]
            errors = {problem["field"]: problem["message"]}
        else:
            errors = {"name": str(exc)}
        status = 409 if isinstance(exc, Conflict) else 422
        return render_settings(
            status, token_errors=errors, token_typed={"name": name, "scope": scope}
        )
    made = {"name": name.strip(), "scope": scope, "token": token}
    return render_settings(201, new_token=made)


@blueprint.post("/dashboard/settings/tokens/revoke")
def revoke_token():
    """Revoke a token: from now on every request that carries it gets 401."""
    actions.revoke_token(store(), request.form.get("name", ""), now=now_micros())
    return redirect(url_for("dashboard.settings", revoked=1, _anchor="tokens"), 303)
