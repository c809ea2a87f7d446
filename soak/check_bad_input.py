"""Check 4, the bad-input corpus (tests/data/bad_inputs/, soak/bad_input.py)
against wom under gunicorn.

Must hold: every answer has its case's status, is problem+json where the
surface speaks JSON, and leaks nothing; no 5xx; afterwards the schema hash
(sqlite_master's SQL) is the same and every table holds the same rows, so no
refused request stored anything. The whole corpus runs at every level.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from soak import Figure
from soak.bad_input import CORPUS, cases, fingerprint, judge, send
from soak.servers import LIMITS_NOTE, SEED_LINK, TRACEBACKS_KEPT, Wom
from tests.webhook_receiver import Receiver
from wom.web.api.openapi import document

__all__ = ["CHECK", "measure", "run"]

CHECK = "bad_input"
AT = "2026-01-01T00:00:00Z"


def _seed(server: Wom, receiver: Receiver) -> dict[str, str]:
    """What the corpus's paths name: a customer with a link, a flag, an
    endpoint; returned by the names the corpus and the paths use."""
    events = [
        {"type": "signup", "customer": "c-1001", "at": AT, "email": "c1001@gmail.com"},
        {"type": "mention", "from": "c-1001", "to": "c-1002", "at": AT},
        # A customer as old as the time floor allows: a daily series since is
        # over 5,000 buckets.
        {"type": "signup", "customer": "c-0001", "at": "2000-01-02T00:00:00Z"},
    ]
    flag, endpoint = server.seed(events, receiver.url)
    return {
        "customer": "c-1001",
        "external_id": "c-1001",
        "root_id": "c-1001",
        "code": SEED_LINK,
        "flag": flag,
        "flag_id": flag,
        "endpoint": endpoint["id"],
        "endpoint_id": endpoint["id"],
        "secret": "not-a-share-secret",
    }


def run(level: str) -> list[Figure]:
    """The whole corpus, at every level: it is a few hundred requests (about
    ten seconds), and a case left out would be a hole, not a saving."""
    with tempfile.TemporaryDirectory(prefix="wom-soak-bad-input-") as folder:
        return measure(Path(folder))


def measure(
    folder: Path,
    corpus: Path = CORPUS,
    after_seed: Callable[[Wom], None] | None = None,
) -> list[Figure]:
    """Serve wom from ``folder``, seed it, send every case of ``corpus`` and
    judge the answers and the file. ``after_seed`` runs once the seed is in,
    before the fingerprint (the negative controls break the server there)."""
    server = Wom(folder)
    server.prepare(owner=True)
    owner = server.client()
    with Receiver() as receiver:
        server.start()
        try:
            ids = _seed(server, receiver)
            if after_seed is not None:
                after_seed(server)
            owner.log_in()
            before = fingerprint(server.path)
            every = cases(document(), ids, corpus)
            secrets = [
                server.env[k]
                for k in ("WOM_SECRET_KEY", "WOM_IP_KEY", "WOM_WEBHOOK_KEY")
            ] + list(server.tokens.values())
            verdicts = [judge(c, *send(server, owner, c), secrets) for c in every]
            size = server.size()
        finally:
            owner.close()
            server.stop()
    after = fingerprint(server.path)
    tracebacks = server.tracebacks()
    wrong = [v for v in verdicts if v.problems]
    server_errors = [v for v in verdicts if v.status >= 500]
    leaking = [v for v in wrong if any(p.startswith("leaks") for p in v.problems)]
    shapeless = [v for v in wrong if any(p.startswith("not a") for p in v.problems)]
    changed = before.changed(after)
    files = Counter(v.case.name.split(":")[0] for v in verdicts)
    return [
        Figure(
            CHECK,
            "requests sent",
            len(verdicts),
            note=", ".join(f"{n} {f}" for f, n in sorted(files.items()))
            + f"; {LIMITS_NOTE}",
        ),
        Figure(
            CHECK,
            "answers unlike their case",
            len(wrong),
            holds=not wrong,
            note="; ".join(f"{v.case.name}: {', '.join(v.problems)}" for v in wrong)[
                :300
            ],
        ),
        Figure(
            CHECK,
            "5xx answers",
            len(server_errors),
            holds=not server_errors,
            note="; ".join(v.case.name for v in server_errors)[:300],
        ),
        Figure(CHECK, "errors not problem+json", len(shapeless), holds=not shapeless),
        Figure(CHECK, "answers that leak", len(leaking), holds=not leaking),
        Figure(
            CHECK,
            "schema hash unchanged",
            "yes" if "the schema" not in changed else "no",
            holds="the schema" not in changed,
        ),
        Figure(
            CHECK,
            "tables whose rows changed",
            len(changed),
            holds=not changed,
            note=", ".join(changed) or f"{len(after.tables)} tables; at {size}",
        ),
        Figure(
            CHECK,
            "server tracebacks logged",
            len(tracebacks),
            holds=not tracebacks,
            note="; ".join(sorted(set(tracebacks)))[:300]
            + (f" (whole in {TRACEBACKS_KEPT})" if tracebacks else ""),
        ),
    ]
