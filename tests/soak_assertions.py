"""What every short soak asserts of its check's figures."""

from __future__ import annotations

from soak import Figure, failures


def assert_holds(figures: list[Figure]) -> None:
    """No figure that must hold failed, and the check had one that must."""
    failed = failures(figures)
    assert not failed, "\n".join(failed)
    assert any(f.holds for f in figures), "a check with nothing that must hold"
