"""Named schema migrations. Start-up applies the pending ones, in order.

Times are integers: microseconds since the Unix epoch, in UTC. They sort, subtract
and window in SQL without parsing, and the web layer renders them as ISO 8601.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

__all__ = ["migrations", "EVENT_TYPES", "DERIVED_TABLES"]

EVENT_TYPES = ("click", "signup", "purchase", "mention", "heard_from", "referral")

# What a rebuild from the log recomputes (table -> the columns it owns).
DERIVED_TABLES = {
    "people": ("id", "status", "acquired_at", "acquired_order", "acquired_via"),
    "links": ("id", "clicks", "bot_clicks", "signups"),
    "touches": (
        "talker_id",
        "listener_id",
        "kinds",
        "touches",
        "first_at",
        "last_at",
        "converted",
    ),
    "credits": ("customer_id", "referrer_id", "touch_seq", "kind", "at", "status"),
    "purchases": ("seq", "person_id", "value", "currency", "at"),
    "devices": ("person_id", "kind", "value"),
    "flags": ("key", "kind", "customer_id", "referrer_id", "members", "reason"),
}

migrations = Migrations("wom")


@migrations(name="0001_people_links_events")
def _people_links_events(db: Database) -> None:
    db.executescript(
        """
        -- A person is a node: a customer or a prospect. The id is internal and
        -- stable; the log refers to people only by it.
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            external_id TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            -- Derived from the log:
            status TEXT NOT NULL DEFAULT 'prospect'
                CHECK (status IN ('prospect', 'customer')),
            acquired_at INTEGER,
            acquired_order INTEGER,
            acquired_via TEXT CHECK (acquired_via IN ('root', 'referred', 'mention'))
        );
        CREATE INDEX people_acquired ON people(acquired_at);

        -- Personal data, erasable: never copied into the log.
        CREATE TABLE identities (
            person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
            name TEXT,
            email TEXT,
            email_normalised TEXT
        );
        CREATE INDEX identities_email ON identities(email_normalised);

        CREATE TABLE links (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            owner_id INTEGER NOT NULL REFERENCES people(id),
            channel TEXT NOT NULL DEFAULT 'default',
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            -- Derived from the log:
            clicks INTEGER NOT NULL DEFAULT 0,
            bot_clicks INTEGER NOT NULL DEFAULT 0,
            signups INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX links_owner ON links(owner_id);

        -- The append-only event log. seq is the arrival sequence.
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            type TEXT NOT NULL CHECK (type IN
                ('click', 'signup', 'purchase', 'mention', 'heard_from', 'referral')),
            at INTEGER NOT NULL,
            talker_id INTEGER REFERENCES people(id),
            listener_id INTEGER REFERENCES people(id),
            link_id INTEGER REFERENCES links(id),
            visitor TEXT,
            value REAL CHECK (value IS NULL OR value >= 0),
            currency TEXT,
            channel TEXT,
            source TEXT NOT NULL,
            event_id TEXT,
            ip_hmac TEXT,
            ua_class TEXT CHECK (ua_class IS NULL OR ua_class IN ('human', 'bot')),
            received_at INTEGER NOT NULL,
            UNIQUE (source, event_id),
            CHECK (talker_id IS NULL OR talker_id IS NOT listener_id)
        );
        CREATE INDEX events_listener ON events(listener_id, at);
        CREATE INDEX events_talker ON events(talker_id, at);
        CREATE INDEX events_link ON events(link_id, visitor, at);
        CREATE INDEX events_type_at ON events(type, at);

        CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

        -- Derived: one row per ordered (talker, listener) pair.
        CREATE TABLE touches (
            talker_id INTEGER NOT NULL REFERENCES people(id),
            listener_id INTEGER NOT NULL REFERENCES people(id),
            kinds TEXT NOT NULL,
            touches INTEGER NOT NULL,
            first_at INTEGER NOT NULL,
            last_at INTEGER NOT NULL,
            converted INTEGER NOT NULL,
            PRIMARY KEY (talker_id, listener_id)
        ) WITHOUT ROWID;
        CREATE INDEX touches_listener ON touches(listener_id);

        -- Derived: the credited referrer per customer (attribution.py decides).
        CREATE TABLE credits (
            customer_id INTEGER PRIMARY KEY REFERENCES people(id),
            referrer_id INTEGER NOT NULL REFERENCES people(id),
            touch_seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            at INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('credited', 'held'))
        );
        CREATE INDEX credits_referrer ON credits(referrer_id);

        -- Derived: the visitor cookies and IP hashes each person used on their own
        -- sign-ups and purchases (to hold credits between one person's two accounts).
        CREATE TABLE devices (
            person_id INTEGER NOT NULL REFERENCES people(id),
            kind TEXT NOT NULL CHECK (kind IN ('visitor', 'ip')),
            value TEXT NOT NULL,
            PRIMARY KEY (person_id, kind, value)
        ) WITHOUT ROWID;
        CREATE INDEX devices_value ON devices(kind, value);

        -- Derived: one row per purchase event.
        CREATE TABLE purchases (
            seq INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            value REAL NOT NULL,
            currency TEXT NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE INDEX purchases_person ON purchases(person_id);

        -- Review flags. Attribution raises self_referral and held flags (derived);
        -- the fraud analytics raise ring, reciprocal and burst flags.
        CREATE TABLE flags (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            customer_id INTEGER REFERENCES people(id),
            referrer_id INTEGER REFERENCES people(id),
            members TEXT,
            reason TEXT NOT NULL,
            raised_at INTEGER NOT NULL
        );
        CREATE INDEX flags_customer ON flags(customer_id);

        -- The owner's decisions on held or suspect credits: input, not derived.
        CREATE TABLE reviews (
            customer_id INTEGER NOT NULL REFERENCES people(id),
            referrer_id INTEGER NOT NULL REFERENCES people(id),
            decision TEXT NOT NULL CHECK (decision IN ('approved', 'voided')),
            decided_at INTEGER NOT NULL,
            PRIMARY KEY (customer_id, referrer_id)
        );

        -- "Who told you about us?" answers, kept as typed: erasable free text.
        CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            resolved_id INTEGER REFERENCES people(id),
            created_at INTEGER NOT NULL
        );
        """
    )


@migrations(name="0002_settings_owners_tokens")
def _settings_owners_tokens(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE owners (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        -- API tokens: only the SHA-256 of the token is kept.
        CREATE TABLE tokens (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            token_sha256 TEXT NOT NULL UNIQUE,
            read_only INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER
        );
        """
    )


@migrations(name="0003_api_idempotency")
def _api_idempotency(db: Database) -> None:
    db.executescript(
        """
        -- Stored responses of API writes sent with an Idempotency-Key, per token,
        -- kept 24 hours: the same key and body replays the response.
        CREATE TABLE idempotency_keys (
            token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            request_sha256 TEXT NOT NULL,
            status INTEGER NOT NULL,
            response TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (token_id, key)
        );
        CREATE INDEX idempotency_created ON idempotency_keys(created_at);
        """
    )


@migrations(name="0004_share_pages")
def _share_pages(db: Database) -> None:
    db.executescript(
        """
        -- The secret in a customer's share-page address (bookmarkable): erasable.
        CREATE TABLE shares (
            person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
            secret TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL
        );
        """
    )


@migrations(name="0005_identity_name_index")
def _identity_name_index(db: Database) -> None:
    from ..names import normalise_name

    # "Who told you" answers match customers by name: keep the loose form indexed
    # instead of normalising every identity for every answer.
    db.execute("ALTER TABLE identities ADD COLUMN name_normalised TEXT")
    rows = db.execute(
        "SELECT person_id, name FROM identities WHERE name IS NOT NULL"
    ).fetchall()
    db.conn.executemany(
        "UPDATE identities SET name_normalised = ? WHERE person_id = ?",
        [(normalise_name(name), person) for person, name in rows],
    )
    db.execute("CREATE INDEX identities_name ON identities(name_normalised)")


@migrations(name="0006_leaner_event_indexes")
def _leaner_event_indexes(db: Database) -> None:
    # Every index on the log costs a B-tree insert per event, and a random one
    # dirties a page per event that the commit must write. Keep only what a query
    # reads: replays look up (source, event_id) only where there is an id, touches
    # and credits look up a listener's events that have a talker (not purchases),
    # repeat clicks look up (link, visitor) only among clicks, and nothing looks
    # events up by talker. The UNIQUE constraint lives in the table's definition,
    # so the table is rebuilt (https://sqlite.org/lang_altertable.html#otheralter).
    columns = (
        "seq, type, at, talker_id, listener_id, link_id, visitor, value, currency, "
        "channel, source, event_id, ip_hmac, ua_class, received_at"
    )
    db.executescript(
        f"""
        CREATE TABLE events_new (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            type TEXT NOT NULL CHECK (type IN
                ('click', 'signup', 'purchase', 'mention', 'heard_from', 'referral')),
            at INTEGER NOT NULL,
            talker_id INTEGER REFERENCES people(id),
            listener_id INTEGER REFERENCES people(id),
            link_id INTEGER REFERENCES links(id),
            visitor TEXT,
            value REAL CHECK (value IS NULL OR value >= 0),
            currency TEXT,
            channel TEXT,
            source TEXT NOT NULL,
            event_id TEXT,
            ip_hmac TEXT,
            ua_class TEXT CHECK (ua_class IS NULL OR ua_class IN ('human', 'bot')),
            received_at INTEGER NOT NULL,
            CHECK (talker_id IS NULL OR talker_id IS NOT listener_id)
        );
        INSERT INTO events_new({columns}) SELECT {columns} FROM events ORDER BY seq;
        DROP TABLE events;
        ALTER TABLE events_new RENAME TO events;
        CREATE UNIQUE INDEX events_event_id ON events(source, event_id)
            WHERE event_id IS NOT NULL;
        CREATE INDEX events_touches ON events(listener_id, at)
            WHERE talker_id IS NOT NULL;
        CREATE INDEX events_click ON events(link_id, visitor, at)
            WHERE type = 'click';
        CREATE INDEX events_type_at ON events(type, at);

        CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        """
    )


@migrations(name="0007_human_click_index")
def _human_click_index(db: Database) -> None:
    # Only human clicks are ever looked up by (link, visitor): the repeat rule
    # and the spread series count them alone. Kept to them, and carrying the two
    # columns its condition names (SQLite reads the table for them otherwise),
    # the index answers those lookups by itself, and a cold start reads every
    # click that counts in index order: no table row and no sort.
    # Statement by statement, inside the migration's own transaction
    # (executescript would commit first): both happen, or neither.
    db.execute("DROP INDEX events_click")
    db.execute(
        "CREATE INDEX events_click ON events(link_id, visitor, at, type, ua_class) "
        "WHERE type = 'click' AND ua_class = 'human'"
    )


@migrations(name="0008_token_scopes_and_revocation")
def _token_scopes_and_revocation(db: Database) -> None:
    # A token may read; write (ingest, customers, flags); or also administer
    # (tokens, settings, webhooks). Revoked tokens are kept, for the record of
    # who wrote what, and answer nothing.
    db.execute(
        "ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'write' "
        "CHECK (scope IN ('read', 'write', 'admin'))"
    )
    db.execute("UPDATE tokens SET scope = 'read' WHERE read_only = 1")
    db.execute("ALTER TABLE tokens ADD COLUMN revoked_at INTEGER")


# 0009 lives beside this module, registered here to keep the names' order.
from . import money_schema  # noqa: E402, F401


@migrations(name="0010_owner_sessions")
def _owner_sessions(db: Database) -> None:
    db.executescript(
        """
        -- Owners' dashboard sessions, server-side: the browser's signed cookie
        -- holds a random id, and only its SHA-256 is kept here.
        CREATE TABLE owner_sessions (
            id_sha256 TEXT PRIMARY KEY,
            owner_id INTEGER NOT NULL REFERENCES owners(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            seen_at INTEGER NOT NULL,
            ended_at INTEGER
        );
        CREATE INDEX owner_sessions_owner ON owner_sessions(owner_id);
        -- One-time codes that open the first-run setup page from afar.
        CREATE TABLE setup_codes (
            code_sha256 TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL,
            used_at INTEGER
        );
        """
    )


# Flags name their credits (flag_schema.py) before 0011 derives credits with
# today's code, which keeps flags that way.
from . import flag_schema  # noqa: E402, F401


@migrations(name="0011_email_provider_aliases")
def _email_provider_aliases(db: Database) -> None:
    from .credits import renormalise_emails

    # The normal form of an email now folds each large provider's tags and the
    # IDNA form of its domain.
    renormalise_emails(db)


# Later migrations live beside this module, registered in the order they load
# (the order of their names, not the alphabet's).
from . import idempotency_schema, click_schema  # noqa: E402, F401, I001
from . import webhook_schema, review_schema, reward_schema  # noqa: E402, F401, I001
