"""Screenshot a dashboard page of a demo database for the README.

    .venv/bin/flask --app wom demo --customers 3000   # or any database
    .venv/bin/python tools/screenshot.py instance/wom.db \\
        '/dashboard?from=2026-04-03&to=2026-04-30' docs/screenshots/overview.png

The database is copied first (the copy gets a throwaway owner); the background
figures are computed before the picture, so that it says when. The page is
drawn by Chromium at 1280 pixels wide, whole, and saved with 128 colours,
which keeps a full page well under 300 kB.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wom import create_app  # noqa: E402
from wom.store import accounts, now_micros  # noqa: E402

EMAIL, PASSWORD = "screenshots@example.org", "screenshots only, thrown away"
CHROMIUM = "/usr/bin/chromium"


def main(database: str, address: str, out: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "wom.db"
        shutil.copy(database, copy)
        app = create_app(
            {
                "DATABASE": str(copy),
                "SECRET_KEY": "screenshot-" + "s" * 32,
                "IP_HMAC_KEY": "screenshot-" + "i" * 32,
                "WOM_ANALYTICS_BACKGROUND": False,
            }
        )
        store = app.extensions["wom.store"]
        with store.write() as db:
            hashed = accounts.password_hash(PASSWORD)
            accounts.create_owner(db, EMAIL, hashed, now_micros())
        app.extensions["wom.analytics"].refresh_background()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            _shoot(f"http://127.0.0.1:{server.server_port}", address, out)
        finally:
            server.shutdown()
            store.close()


def _shoot(base: str, address: str, out: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/dashboard")
        page.goto(base + address)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out, full_page=True)
        browser.close()
    picture = Image.open(out).convert("RGB")
    picture.quantize(128, dither=Image.Dither.NONE).save(out, optimize=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
