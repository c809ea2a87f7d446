"""Run the soak: ``python -m soak [--level short|default|long] [NAME ...]``.

Runs every ``soak/check_NAME.py`` (or the ones named), prints one table of
figures, and exits 1 when a figure that must hold did not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from soak import LEVELS, Figure, run_check

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    """The checks, by name."""
    return sorted(p.stem.removeprefix("check_") for p in HERE.glob("check_*.py"))


def run(names: list[str], level: str) -> list[Figure]:
    """Every figure of the named checks, each check timed as a figure too."""
    figures: list[Figure] = []
    for name in names:
        print(f"... {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        figures += run_check(name, level)
        took = time.perf_counter() - started
        figures.append(Figure(name, "check took", round(took, 1), "s"))
    return figures


def table(figures: list[Figure]) -> str:
    """The figures as one plain-text table (Markdown, for the README)."""
    rows = [("check", "figure", "value", "holds", "note")]
    for f in figures:
        verdict = {True: "yes", False: "NO", None: ""}[f.holds]
        value = f"{f.value} {f.unit}".strip()
        rows.append((f.check, f.name, value, verdict, f.note))
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    lines = [
        "| "
        + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m soak")
    parser.add_argument("--level", choices=LEVELS, default="default")
    parser.add_argument("names", nargs="*", help=f"from: {', '.join(available())}")
    asked = parser.parse_args(argv)
    unknown = sorted(set(asked.names) - set(available()))
    if unknown:
        parser.error(f"unknown check(s): {', '.join(unknown)}")
    figures = run(asked.names or available(), asked.level)
    print(table(figures))
    failed = [f for f in figures if f.failed]
    for f in failed:
        print(f"FAILED: {f.check}: {f.name} = {f.value} {f.unit}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
