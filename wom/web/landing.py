"""Referral links and landing pages: /r/<code>, sign-up, the share page."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["blueprint"]

blueprint = Blueprint("landing", __name__)
