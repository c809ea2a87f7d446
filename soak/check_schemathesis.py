"""Check 3, Schemathesis against the live server: its ``run`` command over the
whole OpenAPI document (/api/v1/openapi.json) of wom under gunicorn, every
phase (examples, coverage, fuzzing, stateful), positive and negative modes, all
its checks and wom's own (soak/schemathesis_hooks.py), with an admin token so
that the admin routes run too.

The database holds what the document's examples name (customers c-1001 and
c-1002, link k7m2xq9a), a flag and a webhook endpoint on a loopback receiver,
whose ids the run draws half of the time. Schema-valid data may still be
refused for what a schema cannot say: a time range backwards, a parameter that
only some rankings take, a link, key or address the database or DNS does not
know, a person since erased. So ``positive_data_acceptance`` takes 400, 410
and 422 besides its defaults; every other check runs as Schemathesis has it.

Must hold: no 5xx, every error problem+json with no leak, no failure of any
check, no run error; with the server's output free of tracebacks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from soak import Figure
from soak.servers import LIMITS_NOTE, Wom
from tests.webhook_receiver import Receiver

__all__ = ["LEVELS", "run"]

# Examples per operation and mode, and the phases, per level. The coverage
# phase (every boundary of every schema, about 1,500 requests) is the bulk of a
# run, so the short soak leaves it to make soak.
LEVELS = {
    "short": (3, "examples,fuzzing,stateful"),
    "default": (15, "examples,coverage,fuzzing,stateful"),
    "long": (100, "examples,coverage,fuzzing,stateful"),
}
REPO = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
AT = "2026-01-01T00:00:00Z"
SEED = [
    {"type": "signup", "customer": "c-1001", "at": AT, "email": "c1001@gmail.com"},
    {"type": "mention", "from": "c-1001", "to": "c-1002", "at": AT},
    {"type": "signup", "customer": "c-1002", "at": "2026-01-02T00:00:00Z"},
]
# Refusals of schema-valid data for what no schema can say (see above).
POSITIVE_REFUSALS = [
    "2XX",
    "3XX",
    "400",
    "401",
    "403",
    "404",
    "409",
    "410",
    "422",
    "429",
]


def _seed(server: Wom, receiver: Receiver) -> dict[str, str]:
    """The examples' data, a flag and an endpoint; the ids the run may draw."""
    flag, endpoint = server.seed(SEED, receiver.url)
    receiver.secrets.append(endpoint["secret"])
    return {"endpoint_id": endpoint["id"], "flag_id": flag}


def _config(server: Wom, ids: dict[str, str], examples: int) -> str:
    lines = [
        f'headers = {{ Authorization = "Bearer {server.tokens["admin"]}" }}',
        "seed = 0",
        "workers = 1",  # two hit a CPython 3.11 bug in ast.parse across threads
        "[generation]",
        f"max-examples = {examples}",
        'database = "none"',
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {json.dumps(POSITIVE_REFUSALS)}",
    ]
    for name, value in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = [{json.dumps(value)}]"]
    lines.append("[parameters]")
    for name in ids:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}')
    return "\n".join(lines) + "\n"


def _schemathesis(server: Wom, work: Path, ids: dict, level: str) -> dict:
    """Run ``schemathesis run``; its JSON report."""
    config = work / "schemathesis.toml"
    examples, phases = LEVELS[level]
    config.write_text(_config(server, ids, examples))
    report = work / "report.json"
    secrets = [
        server.env[k] for k in ("WOM_SECRET_KEY", "WOM_IP_KEY", "WOM_WEBHOOK_KEY")
    ]
    done = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"http://127.0.0.1:{server.port}/api/v1/openapi.json",
            "--checks",
            "all",
            "--mode",
            "all",
            "--phases",
            phases,
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--no-color",
        ],
        cwd=work,
        env=server.env
        | {
            "SCHEMATHESIS_HOOKS": "soak.schemathesis_hooks",
            "SOAK_ANSWERS": str(work / "answers.ndjson"),
            "SOAK_SECRETS": json.dumps([*secrets, *server.tokens.values()]),
        },
        capture_output=True,
        text=True,
        timeout=1800,
    )
    (work / "schemathesis.out").write_text(done.stdout + done.stderr)
    if not report.exists():
        raise RuntimeError(
            f"schemathesis wrote no report:\n{done.stdout[-3000:]}"
            f"\n{done.stderr[-3000:]}"
        )
    return json.loads(report.read_text())


def _answers(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def _split(answers: list[dict]) -> tuple[list[dict], int]:
    """The answers, and how many cases were left to gunicorn's front."""
    sent = [a for a in answers if not a.get("front")]
    return sent, len(answers) - len(sent)


def run(level: str) -> list[Figure]:
    examples, phases = LEVELS[level]
    with tempfile.TemporaryDirectory(prefix="wom-soak-schemathesis-") as folder:
        work = Path(folder)
        server = Wom(work)
        server.prepare()
        with Receiver() as receiver:
            server.start()
            try:
                ids = _seed(server, receiver)
                report = _schemathesis(server, work, ids, level)
                size = server.size()
            finally:
                server.stop()
        answers, front = _split(_answers(work / "answers.ndjson"))
        log = server.log_text()
    failures = report.get("failures") or []
    errors = report.get("errors") or []
    statuses = Counter(a["status"] // 100 for a in answers)
    faults = [a for a in answers if a["fault"]]
    leaking = [a for a in answers if a["leaks"]]
    server_errors = [a for a in answers if a["status"] >= 500]
    cases = report.get("test_cases", {})
    return [
        Figure(
            "schemathesis",
            "requests sent",
            len(answers),
            note=f"{cases.get('generated', 0):,} cases, {examples} examples an "
            f"operation and mode; {phases}; {report['operations']['tested']} "
            f"operations; {statuses[2]:,} 2xx, {statuses[4]:,} 4xx; {LIMITS_NOTE}",
        ),
        Figure(
            "schemathesis",
            "cases left to gunicorn's front",
            front,
            note="a request line over 4,094 bytes: gunicorn's own 414 (bad_input "
            "holds it)",
        ),
        Figure(
            "schemathesis",
            "5xx answers",
            len(server_errors),
            holds=not server_errors,
            note=", ".join(sorted({a["operation"] for a in server_errors})),
        ),
        Figure(
            "schemathesis",
            "errors that are not problem+json",
            len(faults),
            holds=not faults,
            note="; ".join(sorted({f"{a['operation']}: {a['fault']}" for a in faults}))[
                :200
            ],
        ),
        Figure(
            "schemathesis",
            "errors that leak",
            len(leaking),
            holds=not leaking,
            note="; ".join(
                sorted({f"{a['operation']}: {', '.join(a['leaks'])}" for a in leaking})
            )[:200],
        ),
        Figure(
            "schemathesis",
            "check failures",
            sum(f["count"] for f in failures),
            holds=not failures,
            note="; ".join(
                f"{f['code']} {f['title']}: {', '.join(f['operations'][:3])}"
                for f in failures
            )[:300]
            or "every Schemathesis check and wom's",
        ),
        Figure(
            "schemathesis",
            "run errors",
            sum(e["count"] for e in errors),
            holds=not errors,
            note="; ".join(e["title"] for e in errors),
        ),
        Figure(
            "schemathesis",
            "server tracebacks logged",
            log.count("Traceback"),
            holds="Traceback" not in log,
            note=f"at {size}",
        ),
    ]
