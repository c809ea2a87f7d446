"""What a customer's share page shows: plain share links, a QR code, their count.

No third-party script anywhere: the share links are ordinary addresses that open
the visitor's own mail, WhatsApp, SMS or X, and the QR code is SVG drawn here with
segno, so it needs no script under the CSP and prints sharp.
"""

from __future__ import annotations

from urllib.parse import quote

import segno
from markupsafe import Markup

__all__ = [
    "share_message",
    "share_links",
    "qr_svg",
    "sharing_kit",
    "brought",
    "first_name",
]


def first_name(name: str | None) -> str | None:
    """The first word of a name, as people greet each other.

    >>> first_name("Zoë  Dupont"), first_name("   "), first_name(None)
    ('Zoë', None, None)
    """
    words = (name or "").split()
    return words[0] if words else None


def share_message(business: str, offer: str) -> str:
    """What a customer sends with their link (the owner's words)."""
    return f"Have you tried {business}? {offer}"


def share_links(link_url: str, business: str, offer: str) -> list[dict]:
    """Share addresses for email, WhatsApp, SMS and X, each fully percent-encoded.

    >>> [row["channel"] for row in share_links("https://x.test/r/abc", "B", "O")]
    ['email', 'whatsapp', 'sms', 'x']
    >>> share_links("https://x.test/r/abc", "B&B", "O")[1]["href"]
    'https://wa.me/?text=Have%20you%20tried%20B%26B%3F%20O%20https%3A%2F%2Fx.test%2Fr%2Fabc'
    """
    message = share_message(business, offer)
    text = quote(f"{message} {link_url}", safe="")
    return [
        {
            "channel": "email",
            "label": "Email",
            "href": f"mailto:?subject={quote(f'Try {business}', safe='')}&body={text}",
        },
        {
            "channel": "whatsapp",
            "label": "WhatsApp",
            "href": f"https://wa.me/?text={text}",
        },
        # "sms:?&body=" is the form both iOS and Android accept.
        {"channel": "sms", "label": "SMS", "href": f"sms:?&body={text}"},
        {
            "channel": "x",
            "label": "X",
            "href": f"https://x.com/intent/tweet?text={quote(message, safe='')}"
            f"&url={quote(link_url, safe='')}",
        },
    ]


def qr_svg(link_url: str) -> Markup:
    """The link as an inline SVG QR code (medium error correction, quiet zone of 4).

    The SVG holds only drawing instructions, never the text it encodes, so it is
    safe to mark as markup.

    >>> qr_svg("https://x.test/r/abc").startswith("<svg")
    True
    """
    code = segno.make(link_url, error="m", micro=False)
    return Markup(
        code.svg_inline(
            scale=1,
            border=4,
            omitsize=True,
            dark="#1d2330",
            light="#ffffff",
            svgclass="qr",
            lineclass=None,
        )
    )


def sharing_kit(link_url: str | None, business: str, offer: str) -> dict:
    """What the share page needs to pass a link on (empty when it has none)."""
    if link_url is None:
        return {"link_url": None, "share_text": "", "share_links": [], "qr": None}
    return {
        "link_url": link_url,
        "share_text": share_message(business, offer),
        "share_links": share_links(link_url, business, offer),
        "qr": qr_svg(link_url),
    }


def brought(figures: dict | None) -> dict:
    """The figures of "you've brought N people (M through your friends)".

    ``N`` is everyone who came through a chain that started with the customer
    (``reach``); ``M`` is those of them who came through a friend of theirs.

    >>> brought({"direct_referrals": 2, "reach": 5})
    {'people': 5, 'direct': 2, 'through_friends': 3}
    >>> brought(None)
    {'people': 0, 'direct': 0, 'through_friends': 0}
    """
    figures = figures or {}
    reach = int(figures.get("reach") or 0)
    direct = int(figures.get("direct_referrals") or 0)
    return {"people": reach, "direct": direct, "through_friends": reach - direct}
