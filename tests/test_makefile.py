"""The Makefile's entry points: what `make run` and `make serve` would start."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import REPO


def planned(*args: str) -> str:
    """The commands ``make`` would run, printed and not run (``make -n``)."""
    assert shutil.which("make"), "make is needed to build and run wom"
    result = subprocess.run(
        ["make", "-n", "-C", str(REPO), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize(
    "target, default_port, flag",
    [("run", "5000", "--port {}"), ("serve", "8000", "--bind 127.0.0.1:{}")],
)
def test_the_server_listens_on_the_port_asked_for(target, default_port, flag):
    assert flag.format(default_port) in planned(target)
    assert flag.format("8080") in planned(target, "PORT=8080")
