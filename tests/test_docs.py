"""The README and docs/: a clone stands alone, every link resolves, every
environment variable and documented limit is where a reader looks for it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO
from wom.analytics.buckets import MAX_BUCKETS

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# What a clone has: its own files only. Spelled in parts so that this file does
# not name what it looks for.
OUTSIDE = re.compile(
    "|".join(re.escape(a + b) for a, b in [("../", "shared"), ("/work/", "shared")])
)


def project_files():
    for folder in ("wom", "tests", "bench", "docs"):
        for path in (REPO / folder).rglob("*"):
            if path.suffix in {".py", ".md", ".txt", ".html", ".toml"}:
                yield path
    yield from (REPO / name for name in ("README.md", "Makefile", "pyproject.toml"))


def test_nothing_refers_to_files_beside_the_clone():
    found = [
        str(path.relative_to(REPO))
        for path in project_files()
        if path.is_file()
        and OUTSIDE.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []


@pytest.mark.parametrize("page", DOCS, ids=lambda path: path.name)
def test_every_relative_link_resolves(page):
    text = page.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    missing = [
        target
        for target in targets
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert missing == []


def test_the_readme_points_to_the_project_docs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "(docs/metrics.md)" in readme
    assert "(docs/reliability.md)" in readme


def test_every_environment_variable_is_in_the_configuration_table():
    read = set()
    for path in (REPO / "wom").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"environ(?:\.get\(|\[)\"(WOM_[A-Z_]+)\"", text))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert read
    assert [name for name in sorted(read) if f"| `{name}` |" not in readme] == []


def test_the_port_of_make_run_is_documented():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make run PORT=" in readme


@pytest.mark.parametrize("page", ["metrics.md", "reliability.md"])
def test_the_longest_series_is_documented(page):
    assert f"{MAX_BUCKETS:,} buckets" in (REPO / "docs" / page).read_text()
