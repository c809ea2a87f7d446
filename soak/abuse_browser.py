"""Chromium for the abuse checks, as the browser tests drive it, with a watch on
everything a page should never do: open a dialog, break the Content Security
Policy, throw a script error, or send the browser to another site.

Without Chromium a browser check cannot run: under CI (``CI=true``) that fails
it, as it fails the browser tests; elsewhere its figures say it did not run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from soak import Figure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

__all__ = ["BrowserMissing", "Watched", "chromium", "not_run"]

# A page's own scripts finish within this; a layout of a few hundred nodes too.
LOAD_TIMEOUT_MS = 30_000


class BrowserMissing(RuntimeError):
    """Chromium or Playwright is not installed."""


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (Debian's, through Playwright) for the block."""
    if not Path(CHROMIUM).exists():
        raise BrowserMissing(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BrowserMissing("playwright is not installed") from None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def not_run(check: str, missing: BrowserMissing) -> list[Figure]:
    """The figure of a browser check that could not run: failed under CI."""
    on_ci = os.environ.get("CI") == "true"
    return [
        Figure(
            check,
            "ran in Chromium",
            "no",
            holds=False if on_ci else None,
            note=str(missing) + ("" if on_ci else " (not run)"),
        )
    ]


@dataclass
class Watched:
    """One browser profile on ``base``, every page it opens watched.

    Each finding is ``(where, what)``: the address that was being opened, and
    the dialog's message, the console's CSP report, the script error, or the
    other site's URL that the browser asked for.
    """

    browser: object
    base: str
    dialogs: list = field(default_factory=list)
    csp_violations: list = field(default_factory=list)
    script_errors: list = field(default_factory=list)
    off_site: list = field(default_factory=list)
    loads: int = 0

    def __post_init__(self):
        self.context = self.browser.new_context(
            base_url=self.base, viewport={"width": 1280, "height": 900}
        )
        self.context.set_default_timeout(LOAD_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.at = ""
        origin = urlsplit(self.base)
        self._origin = (origin.scheme, origin.netloc)

        def on_dialog(dialog):
            self.dialogs.append((self.at, dialog.message))
            dialog.dismiss()

        def on_console(message):
            if "Content Security Policy" in message.text:
                self.csp_violations.append((self.at, message.text[:200]))

        def on_request(request):
            parts = urlsplit(request.url)
            if (
                parts.scheme in ("http", "https", "ws", "wss")
                and (
                    parts.scheme,
                    parts.netloc,
                )
                != self._origin
            ):
                self.off_site.append((self.at, request.url))

        self.page.on("dialog", on_dialog)
        self.page.on("console", on_console)
        self.page.on(
            "pageerror",
            lambda error: self.script_errors.append((self.at, str(error)[:200])),
        )
        self.context.on("request", on_request)

    def visit(self, path: str, *, ready: str | None = None) -> int | None:
        """Open ``path`` (and wait for the selector ``ready``, if given); the
        status of the answer, or None when the browser went nowhere."""
        from playwright.sync_api import Error

        self.at = path
        self.loads += 1
        try:
            response = self.page.goto(path, wait_until="load")
            if ready is not None:
                self.page.wait_for_selector(ready, state="attached")
        except Error as exc:
            # Another site's address does not resolve here: the request to it
            # is what counts (``off_site``), not that it failed.
            if not self.off_site or self.off_site[-1][0] != path:
                self.script_errors.append((path, f"load failed: {exc}"[:200]))
            return None
        return response.status if response is not None else None

    def settle(self) -> None:
        """Let timers and autofocus handlers of the page run."""
        self.page.wait_for_timeout(50)

    def findings(self) -> int:
        """How many things went wrong so far."""
        return sum(
            map(
                len,
                (self.dialogs, self.csp_violations, self.script_errors, self.off_site),
            )
        )

    def close(self) -> None:
        self.context.close()
