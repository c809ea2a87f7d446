"""The landing page's sign-up form (WTForms, with Flask-WTF's CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..emails import looks_like_email

__all__ = ["SignupForm", "NAME_MAX", "ANSWER_MAX"]

NAME_MAX = 100
ANSWER_MAX = 200


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _no_control_characters(form, field) -> None:
    # A NUL or an escape code in a name is never typed by a person, and breaks
    # whatever reads the name later (exports, terminals, other tools).
    if field.data and any(ord(c) < 32 or ord(c) == 127 for c in field.data):
        raise ValidationError("Use letters and punctuation only.")


def _email_syntax(form, field) -> None:
    if field.data and not looks_like_email(field.data):
        raise ValidationError("That doesn't look like an email address.")


class SignupForm(FlaskForm):
    """Name, email, an optional "who else told you?", consent, and the link's code.

    The code rides in a hidden field, so attribution works within one visit
    without any cookie.
    """

    name = StringField(
        "Your name",
        validators=[
            DataRequired("Tell us your name."),
            Length(max=NAME_MAX, message=f"Keep it under {NAME_MAX} characters."),
            _no_control_characters,
        ],
        filters=[_strip],
    )
    email = EmailField(
        "Email",
        validators=[
            DataRequired("We need an email address to set up your account."),
            Length(max=254, message="That email address is too long."),
            _no_control_characters,
            _email_syntax,
        ],
        filters=[_strip],
    )
    heard_from = StringField(
        "Who else told you about us?",
        validators=[
            Optional(),
            Length(max=ANSWER_MAX, message=f"Keep it under {ANSWER_MAX} characters."),
            _no_control_characters,
        ],
        filters=[_strip],
    )
    consent = BooleanField("Remember this browser")
    ref = HiddenField(validators=[Optional(), Length(max=64)], filters=[_strip])
