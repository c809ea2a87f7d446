"""What the owner does on a customer's page: erase the person (after a
confirmation page), or say whom a "who told you" answer meant.

Each POST carries the form's CSRF token, calls one ``wom.actions`` function and
answers 303 back to the page with a notice; a refused resolution shows the page
again with the reason beside the answer.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ... import actions
from ...store import Conflict, InvalidInput, NotFound, now_micros, queries
from ...store.answers import answer_of
from .. import store
from . import blueprint
from .customer import customer
from .paging import bad_parameter

__all__ = ["confirm_erase", "erase", "resolve"]


@blueprint.get("/dashboard/customers/<external_id>/erase")
def confirm_erase(external_id: str):
    """The confirmation step before an erasure."""
    found = queries.person(store().reader(), external_id)
    return render_template("dashboard/customer_erase.html", person=found)


@blueprint.post("/dashboard/customers/<external_id>/erase")
def erase(external_id: str):
    """Erase the person, then show the page of their pseudonym."""
    if request.form.get("confirm") != "erase":
        raise bad_parameter("confirm", "erase from the confirmation page")
    pseudonym = actions.erase_customer(store(), external_id)
    return redirect(
        url_for("dashboard.customer", external_id=pseudonym, notice="erased"), 303
    )


@blueprint.post("/dashboard/customers/<external_id>/answers/<int:answer_id>")
def resolve(external_id: str, answer_id: int):
    """Say which customer told the person about us, for one of their answers."""
    answer = answer_of(store().reader(), answer_id)
    if answer["external_id"] != external_id:
        raise NotFound(f"{external_id} gave no answer {answer_id}.")
    talker = (request.form.get("other") or request.form.get("talker") or "").strip()
    try:
        if not talker:
            raise InvalidInput.field(
                "talker", "choose a customer, or type the id of the one they meant"
            )
        actions.resolve_answer(store(), answer_id, talker, now=now_micros())
    except (InvalidInput, NotFound, Conflict) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        message = (
            exc.errors[0]["message"] if isinstance(exc, InvalidInput) else str(exc)
        )
        problem = {"answer": answer_id, "message": message}
        return customer(external_id, problem=problem, status=status)
    return redirect(
        url_for(
            "dashboard.customer",
            external_id=external_id,
            notice="resolved",
            _anchor="heard-from",
        ),
        303,
    )
