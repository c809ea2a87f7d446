"""What the public pages show outside a page: link previews and the favicon.

A link pasted into WhatsApp, X or iMessage is fetched by that app's crawler,
which reads the page's Open Graph tags. Their addresses must be absolute. They
are built from the configured ``PUBLIC_URL`` and never from the request's Host
header, which any client may set to anything (and a preview, once cached, goes
on pointing there). Without ``PUBLIC_URL`` the tags that need an address are
left out.

The preview image and the favicon are the owner's to replace: a file of that
name in the instance folder wins over wom's default in ``static/``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, send_from_directory

__all__ = [
    "blueprint",
    "configure",
    "parse_public_url",
    "public_address",
    "SHARE_IMAGE_FILES",
    "FAVICON_FILE",
]

blueprint = Blueprint("previews", __name__)

# In the instance folder, first found wins; else static/share-image.png.
SHARE_IMAGE_FILES = ("share-image.png", "share-image.jpg", "share-image.jpeg")
FAVICON_FILE = "favicon.ico"
# Seconds a browser or a preview crawler may keep the pictures.
_MAX_AGE = 3600


def parse_public_url(value: str | None) -> str | None:
    """The address people reach wom at, without a trailing slash; None if unset.

    >>> parse_public_url(" https://refer.example.com/ ")
    'https://refer.example.com'
    >>> parse_public_url("https://example.com/wom/")
    'https://example.com/wom'
    >>> parse_public_url("") is None
    True
    >>> parse_public_url("refer.example.com")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...
    """
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            "give the address people reach wom at, such as "
            "https://refer.example.com (http or https, a host and at most a path; "
            f"no query, fragment or password), not {value!r}"
        )
    return value.rstrip("/")


def configure(app: Flask) -> None:
    """Check ``PUBLIC_URL`` (RuntimeError naming the fix) and give templates
    ``public_address``; before anything opens the database."""
    try:
        app.config["PUBLIC_URL"] = parse_public_url(app.config.get("PUBLIC_URL"))
    except ValueError as exc:
        raise RuntimeError(f"WOM_PUBLIC_URL (PUBLIC_URL): {exc}.") from None
    app.add_template_global(public_address)


def public_address(endpoint: str, **values) -> str | None:
    """The absolute address of ``endpoint`` under ``PUBLIC_URL``; None if unset."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return None
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def _owners_or_default(names: tuple[str, ...], default: str) -> Response:
    folder = Path(current_app.instance_path)
    for name in names:
        if (folder / name).is_file():
            return send_from_directory(folder, name, max_age=_MAX_AGE)
    return send_from_directory(current_app.static_folder, default, max_age=_MAX_AGE)


@blueprint.get("/share-image")
def share_image() -> Response:
    """The picture of link previews (og:image): the owner's, or wom's default."""
    return _owners_or_default(SHARE_IMAGE_FILES, "share-image.png")


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    """The favicon: the owner's, or wom's."""
    return _owners_or_default((FAVICON_FILE,), FAVICON_FILE)
