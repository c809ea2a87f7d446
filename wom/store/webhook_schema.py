"""The webhook tables (migration ``0014_webhooks``, registered after the click
runs' on the store's one list of migrations, ``schema.migrations``).

A write transaction adds one ``webhook_messages`` row per event that anybody
subscribes to (the outbox, ``outbox.py``); the delivery worker fans each message
out to the endpoints subscribed to its type (``webhook_deliveries``, one per
message and endpoint, whose ``message_id`` is the ``webhook-id`` of every try) and
keeps a row per try (``webhook_attempts``).
"""

from __future__ import annotations

from sqlite_utils import Database

from .schema import migrations

__all__ = ["create_webhook_tables"]


@migrations(name="0014_webhooks")
def create_webhook_tables(db: Database) -> None:
    """Create the endpoint, subscription, message, delivery and attempt tables."""
    db.executescript(
        """
        CREATE TABLE webhook_endpoints (
            id INTEGER PRIMARY KEY,
            public_id TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            -- whsec_ secrets, sealed (AES-GCM) under a key kept outside the file.
            secret BLOB NOT NULL,
            -- The secret before a rotation, which signs too until previous_until.
            previous_secret BLOB,
            previous_until INTEGER,
            created_at INTEGER NOT NULL,
            -- Messages up to this id were written before the endpoint existed.
            after_message INTEGER NOT NULL,
            -- The first failure since the last success; a day of them disables.
            failing_since INTEGER,
            disabled_at INTEGER,
            disabled_reason TEXT
        );
        CREATE TABLE webhook_subscriptions (
            type TEXT NOT NULL,
            endpoint_id INTEGER NOT NULL
                REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
            PRIMARY KEY (type, endpoint_id)
        ) WITHOUT ROWID;
        CREATE INDEX webhook_subscriptions_endpoint
            ON webhook_subscriptions(endpoint_id);
        -- AUTOINCREMENT: ids never come back after pruning, since the fan-out
        -- follows them with a high-water mark.
        CREATE TABLE webhook_messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            type TEXT NOT NULL,
            -- The event's data (JSON); the envelope of type and timestamp is
            -- put around it as it is sent, the same on every try.
            data TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        -- No index on created_at: ids grow with time, so pruning reads from the
        -- oldest id up, and each message costs the write path one B-tree less.
        -- How far the fan-out has read the messages, and this database's own
        -- part of every webhook-id (msg_<instance><message id in hex>).
        CREATE TABLE webhook_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            fanned_upto INTEGER NOT NULL,
            instance TEXT NOT NULL
        );
        INSERT INTO webhook_state VALUES (1, 0, lower(hex(randomblob(6))));
        CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL
                REFERENCES webhook_messages(id) ON DELETE CASCADE,
            endpoint_id INTEGER NOT NULL
                REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at INTEGER NOT NULL,
            give_up_at INTEGER NOT NULL,
            done_at INTEGER,
            UNIQUE (message_id, endpoint_id)
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at)
            WHERE state = 'pending';
        CREATE INDEX webhook_deliveries_endpoint
            ON webhook_deliveries(endpoint_id, id);
        CREATE TABLE webhook_attempts (
            id INTEGER PRIMARY KEY,
            delivery_id INTEGER NOT NULL
                REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
            tried_at INTEGER NOT NULL,
            -- The HTTP status; NULL when none came (refused, timed out...).
            status INTEGER,
            latency_ms INTEGER NOT NULL,
            error TEXT,
            -- At most 1 KB of what the receiver answered.
            response TEXT
        );
        CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
        """
    )
