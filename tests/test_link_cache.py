"""The landing path's reads in memory: never older than the last committed write
that could change them (the store announces each one), and kept across
transactions of clicks alone."""

from __future__ import annotations

import threading

import pytest

import wom.store.link_cache as link_cache_module
from wom.contract import EventRules, check_objects
from wom.store import Store, ingest, now_micros
from wom.store.batcher import Batcher
from wom.store.link_cache import LinkCache
from wom.store.settings import write_setting
from wom.web.invitations import PageMemo

T0 = "2026-01-01T00:00:00Z"


def check_events(raws: list) -> list:
    """Events checked by the contract, as a client's would be (in EUR)."""
    return check_objects(raws, EventRules(currency="EUR", floor=0, now=now_micros()))


def signup(customer, name, visitor=None):
    event = {"type": "signup", "customer": customer, "name": name, "at": T0}
    if visitor is not None:
        event["visitor"] = visitor
    return event


def click(code, visitor):
    return {"type": "click", "link": code, "visitor": visitor, "at": T0}


@pytest.fixture
def code(store):
    """Alice's link code (the store now holds the lock file: it has written)."""
    ingest(store, [signup("alice", "Alice Martin", visitor="v-alice")], source="test")
    return store.reader().execute("SELECT code FROM links").fetchone()[0]


@pytest.fixture
def cache(store):
    return LinkCache(store)


@pytest.fixture
def reads(monkeypatch):
    """How many times the cache went to the file for a link."""
    calls = []
    real = link_cache_module.landing_link

    def counted(db, code):
        calls.append(code)
        return real(db, code)

    monkeypatch.setattr(link_cache_module, "landing_link", counted)
    return calls


def test_a_link_is_read_once_and_then_kept(cache, code, reads):
    first = cache.link(code)
    assert cache.link(code) == first
    assert first["owner_name"] == "Alice Martin"
    assert first["owner_visitors"] == frozenset({"v-alice"})
    assert reads == [code]


def test_clicks_leave_the_kept_link_in_place(store, cache, code, reads):
    batcher = Batcher(store)
    cache.link(code)
    for n in range(3):
        batcher.submit(check_events([click(code, f"v-{n}")]))
        assert cache.link(code)["code"] == code
    assert reads == [code]


def test_a_switched_off_link_is_gone_at_once(store, cache, code):
    cache.link(code)
    with store.write() as db:
        db.execute("UPDATE links SET disabled = 1 WHERE code = ?", [code])
    assert cache.link(code) is None


def test_a_new_name_shows_at_once(store, cache, code):
    cache.link(code)
    ingest(store, [signup("alice", "Alicia Martin")], source="test")
    assert cache.link(code)["owner_name"] == "Alicia Martin"


def test_a_sign_up_through_the_batcher_is_not_taken_for_clicks(store, cache, code):
    batcher = Batcher(store)
    cache.link(code)
    event = signup("alice", "Alice Martin", visitor="v-new-phone")
    batcher.submit(check_events([event]))
    assert cache.link(code)["owner_visitors"] == {"v-alice", "v-new-phone"}


def test_changed_settings_show_at_once(store, cache, code):
    assert cache.settings()["business_name"] == "My business"
    with store.write() as db:
        write_setting(db, "business_name", "Bean & Leaf")
    assert cache.settings()["business_name"] == "Bean & Leaf"


def test_what_it_returns_cannot_be_changed(cache, code):
    with pytest.raises(TypeError):
        cache.settings()["currency"] = "USD"
    with pytest.raises(TypeError):
        cache.link(code)["owner_name"] = "Mallory"


def test_a_read_during_a_write_under_way_is_not_kept(store, cache, code):
    cache.link(code)
    seen = {}
    with store.write() as db:
        db.execute("UPDATE identities SET name = 'Alicia Martin'")
        # Another thread reads while the change is written but not committed.
        reader = threading.Thread(target=lambda: seen.update(during=cache.link(code)))
        reader.start()
        reader.join()
    assert seen["during"]["owner_name"] == "Alice Martin", "not committed yet"
    assert cache.link(code)["owner_name"] == "Alicia Martin"


def test_without_the_lock_file_every_read_goes_to_the_file(store, code, reads):
    # A second store on the same file that never writes holds no lock file, so
    # it cannot see what the writing one does: it must not keep anything.
    onlooker = Store(store.path)
    try:
        cache = LinkCache(onlooker)
        cache.link(code)
        with store.write() as db:
            db.execute("UPDATE links SET disabled = 1")
        assert cache.link(code) is None
        assert reads == [code, code]
    finally:
        onlooker.close()


def test_a_full_cache_starts_over(store, code, reads):
    ingest(store, [signup("bob", "Bob Stone")], source="test")
    codes = [row[0] for row in store.reader().execute("SELECT code FROM links")]
    cache = LinkCache(store, max_links=1)
    for each in codes * 2:
        assert cache.link(each)["code"] == each
    assert len(reads) == 4


# -- what the web layer makes of them (PageMemo, under the cache's epoch) ----------


@pytest.fixture
def remember(cache):
    """Keep what ``build`` makes while the cache's entries hold."""
    memo = PageMemo()
    return lambda key, build: memo.get(cache.epoch(), key, build)


@pytest.fixture
def builds(cache, code):
    """A value made from Alice's link, and a list of every time it was made."""
    made = []

    def build():
        made.append(1)
        link = cache.link(code)
        return link and f"{link['owner_name']} / {cache.settings()['business_name']}"

    return build, made


def test_a_remembered_value_is_made_once_and_kept_across_clicks(
    store, cache, code, builds, remember
):
    build, made = builds
    batcher = Batcher(store)
    assert remember("page", build) == "Alice Martin / My business"
    for n in range(3):
        batcher.submit(check_events([click(code, f"v-{n}")]))
        assert remember("page", build) == "Alice Martin / My business"
    assert len(made) == 1


def test_a_remembered_value_is_made_again_after_any_other_write(
    store, cache, code, builds, remember
):
    build, made = builds
    remember("page", build)
    with store.write() as db:
        write_setting(db, "business_name", "Bean & Leaf")
    assert remember("page", build) == "Alice Martin / Bean & Leaf"
    ingest(store, [signup("alice", "Alicia Martin")], source="test")
    assert remember("page", build) == "Alicia Martin / Bean & Leaf"
    assert len(made) == 3


def test_none_is_never_remembered(store, cache, code, builds, remember):
    build, made = builds
    with store.write() as db:
        db.execute("UPDATE links SET disabled = 1 WHERE code = ?", [code])
    assert remember("page", build) is None
    assert remember("page", build) is None
    assert len(made) == 2


def test_nothing_is_remembered_during_a_write_under_way(
    store, cache, code, builds, remember
):
    build, made = builds
    seen = {}
    with store.write() as db:
        db.execute("UPDATE identities SET name = 'Alicia Martin'")
        reader = threading.Thread(
            target=lambda: seen.update(during=remember("page", build))
        )
        reader.start()
        reader.join()
    assert seen["during"] == "Alice Martin / My business", "not committed yet"
    assert remember("page", build) == "Alicia Martin / My business"


def test_a_full_memory_starts_over(store, cache, code):
    memo = PageMemo(max_pages=1)
    made = []
    for key in ["a", "b", "a", "b"]:
        memo.get(cache.epoch(), key, lambda key=key: made.append(key) or key)
    assert made == ["a", "b", "a", "b"]


def test_a_page_made_while_the_entries_changed_is_not_kept(store, cache, code):
    memo = PageMemo()
    epoch = cache.epoch()

    def build():
        with store.write() as db:
            write_setting(db, "business_name", "Bean & Leaf")
        return cache.settings()["business_name"]

    assert memo.get(epoch, "page", build) == "Bean & Leaf"
    assert memo.get(cache.epoch(), "page", lambda: "made again") == "made again"
