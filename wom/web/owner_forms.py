"""The owner's forms: log in, set up the first owner, change the password.

Flask-WTF gives each one its CSRF token (CSRFProtect checks every cookie-
authenticated form of the app).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..store.accounts import PASSWORD_MAX, PASSWORD_MIN

__all__ = ["LoginForm", "PasswordForm", "SetupForm"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


_EMAIL = [DataRequired("Give your email address."), Length(max=254)]
_NEW_PASSWORD = [
    DataRequired("Choose a password."),
    Length(
        min=PASSWORD_MIN,
        max=PASSWORD_MAX,
        message=f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
    ),
]


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=_EMAIL, filters=[_strip])
    password = PasswordField(
        "Password",
        validators=[DataRequired("Give your password."), Length(max=PASSWORD_MAX)],
    )


class SetupForm(FlaskForm):
    """The first owner's email and password (twice); the setup code, if any."""

    email = EmailField("Email", validators=_EMAIL, filters=[_strip])
    password = PasswordField("Password", validators=_NEW_PASSWORD)
    confirm = PasswordField(
        "Password again",
        validators=[EqualTo("password", message="The two passwords differ.")],
    )
    code = HiddenField()


class PasswordForm(FlaskForm):
    """The current password, and a new one twice."""

    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Give your current password."), Length(max=1024)],
    )
    password = PasswordField("New password", validators=_NEW_PASSWORD)
    confirm = PasswordField(
        "New password again",
        validators=[EqualTo("password", message="The two passwords differ.")],
    )
