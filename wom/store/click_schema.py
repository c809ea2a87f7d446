"""The click runs' migration (``store/clicks.py``), registered after 0012 on the
store's one list of migrations (``schema.migrations``)."""

from __future__ import annotations

from sqlite_utils import Database

from .schema import migrations

__all__: list[str] = []


@migrations(name="0013_click_runs")
def _click_runs(db: Database) -> None:
    from .clicks import CLICK_REPEAT_US

    # Clicks are kept as runs (store/clicks.py): one row per maximal set of one
    # visitor's clicks on one link, humans and bots apart, whose consecutive gaps
    # are at most the repeat window. They are the primary record of clicks from
    # here on: the log keeps a click only when it starts a run or carries an
    # event_id. The runs of the clicks logged so far are made from the log, so
    # every link keeps its counts; the per-click index goes, since no query
    # reads clicks from the log any more.
    db.execute(
        """
        CREATE TABLE click_runs (
            ua_class TEXT NOT NULL CHECK (ua_class IN ('human', 'bot')),
            link_id INTEGER NOT NULL REFERENCES links(id),
            visitor TEXT NOT NULL,
            start_at INTEGER NOT NULL,
            end_at INTEGER NOT NULL,
            clicks INTEGER NOT NULL CHECK (clicks > 0),
            PRIMARY KEY (ua_class, link_id, visitor, start_at)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        f"""
        INSERT INTO click_runs
        SELECT ua_class, link_id, visitor, min(at), max(at), count(*) FROM (
            SELECT ua_class, link_id, visitor, at,
                   sum(starts) OVER (PARTITION BY ua_class, link_id, visitor
                                     ORDER BY at, seq) AS run
            FROM (
                SELECT ua_class, link_id, visitor, at, seq,
                       coalesce(at - lag(at) OVER (
                           PARTITION BY ua_class, link_id, visitor ORDER BY at, seq
                       ) > {CLICK_REPEAT_US}, 1) AS starts
                FROM events
                WHERE type = 'click' AND ua_class IS NOT NULL
                  AND link_id IS NOT NULL AND visitor IS NOT NULL
            )
        )
        GROUP BY ua_class, link_id, visitor, run
        """
    )
    db.execute("DROP INDEX events_click")
    # A link's counts follow its runs inside the statement that writes them: one
    # statement a batch, not two (each is another wait for the GIL in a server
    # whose threads are busy), and the counts cannot drift from the runs.
    for sql in (
        """
        CREATE TRIGGER click_runs_insert AFTER INSERT ON click_runs BEGIN
            UPDATE links SET
                clicks = clicks + (new.ua_class = 'human'),
                bot_clicks = bot_clicks + iif(new.ua_class = 'bot', new.clicks, 0)
            WHERE id = new.link_id;
        END
        """,
        """
        CREATE TRIGGER click_runs_update AFTER UPDATE OF clicks ON click_runs
        WHEN new.ua_class = 'bot' BEGIN
            UPDATE links SET bot_clicks = bot_clicks + new.clicks - old.clicks
            WHERE id = new.link_id;
        END
        """,
        """
        CREATE TRIGGER click_runs_delete AFTER DELETE ON click_runs BEGIN
            UPDATE links SET
                clicks = clicks - (old.ua_class = 'human'),
                bot_clicks = bot_clicks - iif(old.ua_class = 'bot', old.clicks, 0)
            WHERE id = old.link_id;
        END
        """,
    ):
        db.execute(sql)
    # The owner's decision on a flag that is about no credit (a click flood):
    # it closes the flag and changes no count.
    db.execute(
        """
        CREATE TABLE flag_reviews (
            key TEXT PRIMARY KEY,
            decision TEXT NOT NULL CHECK (decision IN ('approved', 'voided')),
            decided_at INTEGER NOT NULL
        )
        """
    )
