"""Draw wom's default link-preview image and favicon into static/.

    .venv/bin/python tools/draw_images.py

The outputs are committed; run this again only to change the drawing. Owners put
their own pictures in the instance folder instead (README, Link previews). The
text uses the font bundled with Pillow, so every machine draws the same picture.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

STATIC = Path(__file__).resolve().parent.parent / "static"

# The landing pages' palette (static/landing.css).
INK = "#1d2330"
MUTED = "#5b6475"
ACCENT = "#0f766e"
AMBER = "#b45309"
PAPER = "#f6f4ef"
TEAL_TINT = "#d8efe9"
WARM_TINT = "#fbeed3"

# What Open Graph and X's large card both show whole: 1.91:1.
PREVIEW_SIZE = (1200, 630)
FAVICON_SIZES = [(16, 16), (32, 32), (48, 48), (64, 64)]


def _tint(size, colour, box, blur) -> Image.Image:
    """A soft ellipse of ``colour``, as the landing page's background has."""
    # Blur the mask alone: blurring colour into transparent black greys the edge.
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse(box, fill=255)
    layer = Image.new("RGBA", size, colour)
    layer.putalpha(mask.filter(ImageFilter.GaussianBlur(blur)))
    return layer


def _bubble(draw, box, fill, tail_left: bool) -> None:
    """A speech bubble: a rounded box with a tail under one corner."""
    left, top, right, bottom = box
    radius = (bottom - top) // 3
    draw.rounded_rectangle(box, radius=radius, fill=fill)
    # The tail leans outwards, from the corner's side.
    x, out = (left + radius, -1) if tail_left else (right - radius, 1)
    tip = (x + out * radius / 3, bottom + radius / 1.4)
    draw.polygon([(x, bottom - 4), (x - out * radius, bottom - 4), tip], fill=fill)


def _dots(draw, box, fill) -> None:
    """Three dots in the middle of a bubble: someone talking."""
    left, top, right, bottom = box
    middle_y = (top + bottom) / 2
    step = (right - left) / 4
    r = (bottom - top) / 11
    for n in (1, 2, 3):
        x = left + step * n
        draw.ellipse((x - r, middle_y - r, x + r, middle_y + r), fill=fill)


def _centred(draw, y, text, font, fill, stroke=0) -> None:
    width = draw.textlength(text, font=font)
    x = (PREVIEW_SIZE[0] - width) / 2
    draw.text((x, y), text, font=font, fill=fill, stroke_width=stroke, stroke_fill=fill)


def preview_image() -> Image.Image:
    """Two people talking, and "You're invited", centred so that a square crop
    (WhatsApp's small preview) keeps all of it."""
    size = PREVIEW_SIZE
    image = Image.new("RGBA", size, PAPER)
    image.alpha_composite(_tint(size, TEAL_TINT, (650, -350, 1500, 330), 90))
    image.alpha_composite(_tint(size, WARM_TINT, (-300, -150, 450, 360), 90))
    draw = ImageDraw.Draw(image)
    amber = (440, 92, 660, 222)
    teal = (560, 150, 790, 290)
    _bubble(draw, amber, AMBER, tail_left=True)
    _bubble(draw, teal, ACCENT, tail_left=False)
    _dots(draw, teal, "#ffffff")
    title = ImageFont.load_default(size=92)
    line = ImageFont.load_default(size=40)
    _centred(draw, 345, "You're invited", title, INK, stroke=2)
    _centred(draw, 470, "A friend thinks you'll like this.", line, MUTED)
    return image.convert("RGB")


def favicon() -> Image.Image:
    """A teal tile with a white speech bubble, drawn large and scaled down."""
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 255, 255), radius=56, fill=ACCENT)
    _bubble(draw, (40, 56, 216, 176), "#ffffff", tail_left=True)
    _dots(draw, (40, 56, 216, 176), ACCENT)
    return image


def main() -> None:
    """Write static/share-image.png and static/favicon.ico."""
    preview_image().save(STATIC / "share-image.png", optimize=True)
    favicon().save(STATIC / "favicon.ico", sizes=FAVICON_SIZES)
    print(f"wrote {STATIC / 'share-image.png'} and {STATIC / 'favicon.ico'}")


if __name__ == "__main__":
    main()
