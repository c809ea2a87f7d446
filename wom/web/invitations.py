"""The invitation page: who invited you, the owner's offer, the sign-up form.

It is the hot path (every click renders it), so it is rendered once per brand,
with slots where the inviter's first name, the link's code and the visitor's CSRF
token go, and filled with escaped values. Rendering the form's fields through
WTForms is otherwise most of the cost of a click. The page of each link, its
slots filled but the token's, is then kept for as long as the link cache's
entries hold (its epoch): dropped whenever the settings or links may have
changed. A click only adds its token.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Hashable, Mapping
from functools import lru_cache

from flask import (
    Flask,
    Response,
    current_app,
    make_response,
    render_template,
    request,
)
from flask_wtf.csrf import generate_csrf as csrf_token
from markupsafe import escape

from ..store.link_cache import LinkCache
from . import link_cache
from .forms import SignupForm
from .sharing import first_name

__all__ = ["business_url", "invitation_page", "register"]

# Random per process, so that no name or offer can spell one out.
_SLOT = "slot" + secrets.token_hex(12)
_INVITER, _INITIAL, _CODE, _CSRF = (f"{_SLOT}{part}" for part in "ABCD")


def business_url(settings: Mapping) -> str | None:
    """Where "visit the business" goes: the owner's destination, or None (then the
    pages offer no such link; wom's own home page is the owner's, not theirs)."""
    return settings["destination_url"] or None


def _render(form, inviter, initial, brand, home, csrf) -> str:
    business_name, offer_text = brand
    return render_template(
        "landing/invite.html",
        settings={"business_name": business_name, "offer_text": offer_text},
        form=form,
        csrf=csrf,
        inviter=inviter,
        initial=initial,
        business_url=home,
    )


def _blank_page(invited: bool, brand: tuple[str, str], home: str) -> str:
    form = SignupForm(formdata=None, meta={"csrf": False}, ref=_CODE)
    if invited:
        return _render(form, _INVITER, _INITIAL, brand, home, _CSRF)
    return _render(form, None, None, brand, home, _CSRF)


class PageMemo:
    """Pages made from the link cache's entries, kept while those entries hold.

    >>> memo = PageMemo()
    >>> memo.get(1, "a", lambda: "page"), memo.get(1, "a", lambda: "other")
    ('page', 'page')
    >>> memo.get(2, "a", lambda: "new")
    'new'
    """

    def __init__(self, max_pages: int = 10_000):
        self.max_pages = max_pages
        self._lock = threading.Lock()
        self._epoch: int | None = None
        self._pages: dict[Hashable, str | tuple] = {}

    def get(self, epoch: int | None, key: Hashable, build: Callable[[], object]):
        """The page kept under ``key`` in ``epoch``, or ``build()``'s, kept.

        ``build`` must read what it shows through the link cache after the
        caller took ``epoch``: then a page kept was made from data at least as
        new as its epoch. A None is never kept, and nothing is kept without an
        epoch (the link cache keeps nothing either).
        """
        if epoch is None:
            return build()
        with self._lock:
            if self._epoch != epoch:
                self._pages, self._epoch = {}, epoch
            found = self._pages.get(key)
        if found is None:
            found = build()
            if found is not None:
                with self._lock:
                    if self._epoch == epoch:
                        if len(self._pages) >= self.max_pages:
                            self._pages = {}
                        self._pages[key] = found
        return found


def register(app: Flask) -> None:
    """Give ``app`` its own caches of rendered pages: one blank page per brand
    (or so), and each link's page while the link cache's entries hold."""
    app.extensions["wom.invitation_pages"] = lru_cache(maxsize=64)(_blank_page)
    app.extensions["wom.link_pages"] = PageMemo()


def _templates_reload() -> bool:
    # Templates change under `make run`: never serve an old rendering.
    return current_app.debug or bool(current_app.config.get("TEMPLATES_AUTO_RELOAD"))


def _filled_page(settings: Mapping, link: Mapping | None) -> str:
    """The page for ``link`` with every slot filled but the CSRF token's."""
    inviter = first_name(link["owner_name"]) if link else None
    initial = inviter[:1].upper() if inviter else None
    brand = (settings["business_name"], settings["offer_text"])
    home = business_url(settings)
    if _templates_reload():
        blank = _blank_page
    else:
        blank = current_app.extensions["wom.invitation_pages"]
    html = blank(inviter is not None, brand, home)
    for slot, value in (
        (_INVITER, inviter),
        (_INITIAL, initial),
        (_CODE, link["code"] if link else ""),
    ):
        html = html.replace(slot, str(escape(value or "")))
    return html


def _link_page(cache: LinkCache, code: str) -> tuple[str, str] | None:
    """The page of link ``code`` split where the token goes; None if it is off."""
    # Read again through the cache, after the caller took its epoch (PageMemo).
    link = cache.link(code)
    if link is None:
        return None
    head, _, tail = _filled_page(cache.settings(), link).partition(_CSRF)
    return head, tail


def invitation_page(
    settings: Mapping,
    link: Mapping | None,
    *,
    form: SignupForm | None = None,
    status: int = 200,
) -> Response:
    """The page for ``link`` (or none): blank, or ``form`` sent back with errors."""
    if form is not None:
        inviter = first_name(link["owner_name"]) if link else None
        html = _render(
            form,
            inviter,
            inviter[:1].upper() if inviter else None,
            (settings["business_name"], settings["offer_text"]),
            business_url(settings),
            csrf_token(),
        )
        return make_response(html, status)
    if link is not None and not _templates_reload():
        cache = link_cache()
        code = link["code"]
        # The page's addresses start with the script root: part of the key.
        page = current_app.extensions["wom.link_pages"].get(
            cache.epoch(),
            (code, request.script_root),
            lambda: _link_page(cache, code),
        )
        if page is not None:
            head, tail = page
            return make_response(head + csrf_token() + tail, status)
    html = _filled_page(settings, link)
    return make_response(html.replace(_CSRF, csrf_token()), status)
