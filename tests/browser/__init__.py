"""Browser tests: the journey in headless Chromium (``pytest -m browser``)."""
