"""wom's own pages in a real browser, on a desktop and on a phone.

Screenshots land in tests/screenshots/ for a person to look at.
"""

from __future__ import annotations

import pytest

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
