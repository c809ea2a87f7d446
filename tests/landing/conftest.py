"""The landing tests' fixtures (the app's own store, and Alice with a link)."""

from tests.landing.helpers import alice, store  # noqa: F401
