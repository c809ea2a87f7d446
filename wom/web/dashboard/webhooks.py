"""The Webhooks page: the owner's endpoints (add one and see its secret once,
remove, rotate, test, enable a disabled one) and each endpoint's deliveries, with
a resend. The same data as /api/v1/webhooks, read the same way."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, URLField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ... import actions
from ...contract.webhooks import EVENT_TYPES, WebhookInput
from ...store import InvalidInput, NotFound, now_micros
from ...store import webhooks as endpoints
from .. import store, webhooks
from ..api.webhooks import endpoint_reply
from ..api.wire import arguments, choice, integer, iso
from . import blueprint, page, show

__all__ = [
    "WebhookForm",
    "delete_webhook",
    "enable_webhook",
    "resend_webhook",
    "rotate_webhook",
    "test_webhook",
    "webhook",
    "webhook_list",
]

PAGE_SIZE = 50


class WebhookForm(FlaskForm):
    """Where to send, and which events."""

    url = URLField(
        "Endpoint URL",
        validators=[DataRequired("Give the https URL to send to."), Length(max=2000)],
        description="https only; its host must resolve to public addresses.",
    )
    events = SelectMultipleField(
        "Events",
        choices=[SelectChoice(name, name) for name in EVENT_TYPES],
        validators=[DataRequired("Pick at least one event.")],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


def _listing() -> dict:
    """The page's data (and its twin's): every endpoint, and the events to pick."""
    found = endpoints.list_endpoints(store().reader())
    return {
        "endpoints": [endpoint_reply(row) for row in found],
        "events": list(EVENT_TYPES),
        "disabled": sum(row["disabled_at"] is not None for row in found),
    }


@page("/dashboard/webhooks", nav="Webhooks", order=80, methods=["GET", "POST"])
def webhook_list():
    """Every endpoint; the form that adds one (its secret is shown this once)."""
    form = WebhookForm()
    made = None
    if request.method == "POST" and form.validate_on_submit():
        sealer, policy, _ = webhooks()
        try:
            made = actions.add_webhook(
                store(),
                sealer,
                policy,
                WebhookInput(url=form.url.data, events=form.events.data),
                now=now_micros(),
            )
        except InvalidInput as exc:
            for problem in exc.errors:
                getattr(form, problem["field"]).errors.append(problem["message"])
        else:
            form = WebhookForm(formdata=None)
    status = 422 if form.errors else (201 if made else 200)
    return show(
        "dashboard/webhooks.html",
        _listing(),
        status,
        form=form,
        revealed=made and {"id": made["id"], "secret": made["secret"]},
    )


def _endpoint_or_404(endpoint_id: str) -> dict:
    try:
        return endpoints.endpoint(store().reader(), endpoint_id)
    except NotFound as exc:
        abort(404, str(exc))


@page("/dashboard/webhooks/<endpoint_id>")
def webhook(endpoint_id: str):
    """One endpoint and its tries, newest first, a page at a time."""
    found = _endpoint_or_404(endpoint_id)
    # Checked like the API's cursor: a made-up page is a 400, never the first
    # page (the soak's bad-input corpus found "?before=abc" answered 200).
    asked = arguments(
        {
            "before": integer(1, 10**12),
            "tested": choice("1"),
            "enabled": choice("1"),
            "resent": integer(1, 10**12),
        }
    )
    before = asked.get("before")
    tries = endpoints.deliveries_of(
        store().reader(), endpoint_id, limit=PAGE_SIZE + 1, before=before
    )
    data = {
        "endpoint": endpoint_reply(found),
        "tries": [t | {"tried_at": iso(t["tried_at"])} for t in tries[:PAGE_SIZE]],
        "next": tries[PAGE_SIZE - 1]["attempt"] if len(tries) > PAGE_SIZE else None,
    }
    return show("dashboard/webhook.html", data)


def _back(endpoint_id: str | None = None, **shown):
    if endpoint_id is None:
        return redirect(url_for("dashboard.webhook_list", **shown), 303)
    return redirect(url_for("dashboard.webhook", endpoint_id=endpoint_id, **shown), 303)


@blueprint.post("/dashboard/webhooks/<endpoint_id>/delete")
def delete_webhook(endpoint_id: str):
    """Remove an endpoint (CSRF-checked like every dashboard form)."""
    _endpoint_or_404(endpoint_id)
    actions.remove_webhook(store(), endpoint_id)
    return _back(removed=endpoint_id)


@blueprint.post("/dashboard/webhooks/<endpoint_id>/rotate")
def rotate_webhook(endpoint_id: str):
    """A new secret, shown this once on the list page."""
    _endpoint_or_404(endpoint_id)
    sealer, _, _ = webhooks()
    rotated = actions.rotate_webhook_secret(
        store(), sealer, endpoint_id, now=now_micros()
    )
    return show(
        "dashboard/webhooks.html",
        _listing(),
        form=WebhookForm(formdata=None),
        revealed={"id": endpoint_id, "secret": rotated["secret"], "rotated": True},
    )


@blueprint.post("/dashboard/webhooks/<endpoint_id>/test")
def test_webhook(endpoint_id: str):
    """Queue a webhook.test message; its tries show on the endpoint's page."""
    _endpoint_or_404(endpoint_id)
    actions.send_test_webhook(store(), endpoint_id, now=now_micros())
    return _back(endpoint_id, tested=1)


@blueprint.post("/dashboard/webhooks/<endpoint_id>/enable")
def enable_webhook(endpoint_id: str):
    """Enable a disabled endpoint: its pending deliveries are tried again."""
    _endpoint_or_404(endpoint_id)
    actions.enable_webhook(store(), endpoint_id)
    return _back(endpoint_id, enabled=1)


@blueprint.post("/dashboard/webhooks/<endpoint_id>/resend/<int:delivery>")
def resend_webhook(endpoint_id: str, delivery: int):
    """Try one delivery again now, under its webhook-id."""
    _endpoint_or_404(endpoint_id)
    actions.resend_delivery(store(), endpoint_id, delivery, now=now_micros())
    return _back(endpoint_id, resent=delivery)
