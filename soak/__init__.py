"""The soak: crash, concurrency, fuzzing, load and abuse checks, each with figures.

Every check is a module ``soak/check_NAME.py`` with a ``run(level) -> list[Figure]``
and its budgets per level: ``short`` (the seeded soak that ``make test`` runs),
``default`` (``make soak``, within ten minutes on two cores) and ``long``
(``make soak LONG=1``: the issue's full counts). A figure either must hold (a
count that has to be zero, a property that has to be true) or is reported only
(a time, a rate, at a stated database size); times are never asserted.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

__all__ = ["LEVELS", "Figure", "failures", "run_check"]

LEVELS = ("short", "default", "long")


@dataclass(frozen=True)
class Figure:
    """One line of the soak's table.

    ``holds`` is True or False for a figure that must hold (False fails the
    soak), and None for one that is only reported.

    >>> Figure("crash", "acknowledged events missing", 0, holds=True).failed
    False
    """

    check: str
    name: str
    value: object
    unit: str = ""
    holds: bool | None = None
    note: str = ""

    @property
    def failed(self) -> bool:
        """Whether this figure had to hold and did not."""
        return self.holds is False


def failures(figures) -> list[str]:
    """Each figure that had to hold and did not, as one line.

    >>> failures([Figure("crash", "missing", 2, holds=False, note="seed 0"),
    ...           Figure("crash", "took", 3.5, "s")])
    ['missing = 2 (seed 0)']
    """
    return [
        f"{f.name} = {f.value} {f.unit}".rstrip() + (f" ({f.note})" if f.note else "")
        for f in figures
        if f.failed
    ]


def run_check(name: str, level: str) -> list[Figure]:
    """The figures of the check ``soak/check_NAME.py`` at ``level``."""
    return importlib.import_module(f"soak.check_{name}").run(level)
