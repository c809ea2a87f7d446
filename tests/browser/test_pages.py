"""wom's own pages in a real browser, on a desktop and on a phone.

Screenshots land in tests/screenshots/ for a person to look at.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def open_screen(chromium, live_server):
    """Open pages on the live server in a window of a size named in SIZES."""
    contexts = []

    def open_screen(name: str):
        width, height = SIZES[name]
        context = chromium.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}
        )
        contexts.append(context)
        page = context.new_page()
        page.name = name
        return page

    yield open_screen
    for context in contexts:
        context.close()


@pytest.fixture(params=SIZES)
def screen(request, open_screen):
    """A page in a window of each size."""
    return open_screen(request.param)


def shade(png: bytes, side: str) -> float:
    """How dark the top corner of ``side`` is: 0 white, 255 black.

    The top rows are the scroll box's own background (the header cells' padding),
    so only an edge shadow can darken them.
    """
    image = Image.open(io.BytesIO(png)).convert("L")
    columns = range(0, 3) if side == "left" else range(image.width - 3, image.width)
    pixels = [image.getpixel((x, y)) for x in columns for y in range(1, 4)]
    return 255 - sum(pixels) / len(pixels)


def test_a_table_wider_than_the_screen_says_it_scrolls(screen, screenshots):
    screen.goto("/")
    screen.screenshot(path=screenshots / f"home-{screen.name}.png", full_page=True)
    for section in (".starters", ".cascades"):
        box = screen.locator(f"{section} .table-scroll")
        cut = box.evaluate("box => box.scrollWidth > box.clientWidth")
        assert cut == (screen.name == "phone")
        assert screen.locator(f"{section} .scroll-hint").is_visible() == cut


def test_a_cut_table_shades_each_edge_that_has_more_beyond_it(open_screen):
    phone = open_screen("phone")
    phone.goto("/")
    box = phone.locator(".starters .table-scroll")
    at_start = box.screenshot()
    assert shade(at_start, "right") > 20 > shade(at_start, "left")
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    at_end = box.screenshot()
    assert shade(at_end, "left") > 20 > shade(at_end, "right")


def test_an_unknown_address_is_woms_page_with_the_footer_at_the_bottom(
    screen, live_server, screenshots
):
    response = screen.goto("/no/such/page")
    assert response.status == 404
    assert screen.locator("h1").inner_text() == "There's no page at this address"
    assert "URL manually" not in screen.locator("main").inner_text()
    footer = screen.locator("footer.site").bounding_box()
    window_height = screen.viewport_size["height"]
    assert footer["y"] + footer["height"] == pytest.approx(window_height, abs=1)
    screen.screenshot(path=screenshots / f"404-{screen.name}.png", full_page=True)
    screen.get_by_role("link", name="Go to the home page").click()
    screen.wait_for_url(f"{live_server.url}/")
