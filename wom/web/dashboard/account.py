"""The owner's account: who is logged in, and a new password."""

from __future__ import annotations

from flask import redirect, url_for

from ... import actions
from ...store import InvalidInput, now_micros
from .. import store
from ..owner_forms import PasswordForm
from ..owners import current_owner, start
from . import page, show

__all__ = ["account"]


@page("/dashboard/account", methods=["GET", "POST"])
def account():
    """The logged-in owner, and the form that changes their password (which ends
    every other session of theirs)."""
    owner = current_owner()
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            logged_in = actions.change_password(
                store(),
                owner,
                form.current_password.data,
                form.password.data,
                now=now_micros(),
            )
        except InvalidInput as exc:
            for problem in exc.errors:
                getattr(form, problem["field"]).errors.append(problem["message"])
        else:
            start(logged_in)
            return redirect(url_for("dashboard.account", changed=1), 303)
    status = 422 if form.errors else 200
    return show("dashboard/account.html", {"email": owner["email"]}, status, form=form)
