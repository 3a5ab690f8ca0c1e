"""Every Baseline Requirements citation in a shipped file names its version, and the table knows
the (version, section) pair.

The BR were renumbered in 2.0.0 and have changed since: "BR 4.9.10" says one thing in 1.7.0 and
"No stipulation" in 2.2.6. ``sim.rules.BR_SECTIONS`` holds each pair read from the BR's git
history; a citation must be one of them. A bare version ("since BR 2.0.1") is a mention of a
version, not a citation, and must be one ``sim.rules.BR_VERSIONS`` knows.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from sim.rules import BR_SECTIONS, BR_VERSIONS
from tests.conftest import REPO, require

#: The kinds of text file scanned.
SUFFIXES = (".py", ".json", ".md", ".ipynb", ".js", ".mjs", ".csv")
CITATION = re.compile(
    r"\b(?:BRs?|Baseline Requirements)\s+(?:v?(?P<version>\d+\.\d+\.\d+),?\s+)?"
    r"(?:§\s?|section\s+)?(?P<section>\d+(?:\.\d+)+)(?![.\d])"
)


def citation_problems(text: str) -> list[str]:
    """Each BR citation in ``text`` without a version, or with a pair the table lacks."""
    problems = []
    for m in CITATION.finditer(text):
        version, section = m.group("version"), m.group("section")
        if version is None:
            if section in BR_VERSIONS:
                continue  # "since BR 2.0.1": a version, not a section
            problems.append(f"{m.group(0)!r}: no BR version")
        elif (version, section) not in BR_SECTIONS:
            problems.append(f"{m.group(0)!r}: BR {version} §{section} is not in BR_SECTIONS")
    return problems


def shipped_text_files() -> list[str]:
    """Tracked text files outside tests/ (tests cite on purpose, e.g. below)."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=False)  # fmt: skip
    require(listing.returncode == 0, "not a git checkout: cannot list the tracked files")
    return [name for name in listing.stdout.decode().split("\0")
            if name.endswith(SUFFIXES) and not name.startswith("tests/")]  # fmt: skip


def test_every_br_citation_in_a_shipped_file_has_a_known_version_and_section() -> None:
    files = shipped_text_files()
    assert any(name.endswith(".ipynb") for name in files)  # the lessons are scanned
    offenders = []
    for name in files:
        path = REPO / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            offenders += [f"{name}: {p}" for p in citation_problems(text)]
    assert not offenders, "cite the BR with its version (sim.rules.cite):\n" + "\n".join(offenders)


@pytest.mark.parametrize("text", [
    "BR 4.9.10",
    "Baseline Requirements 4.9.1.2: within 7 days",
    "see BR §7.1.2.8.5",
    "BR 2.2.6 §4.9.10.1",  # no such section in the table
    "BR 1.7.0 §7.1.2.8.5",  # the 2.x numbering under a 1.x version
    "BR 9.9.9",  # neither a known version nor a versioned citation
])  # fmt: skip
def test_a_versionless_or_unknown_citation_is_reported(text: str) -> None:
    assert citation_problems(text)


@pytest.mark.parametrize("text", [
    "BR 2.2.6 §7.1.2.8.5",
    "BR 1.7.0 §4.9.1.2 (7 days)",
    "BR 2.2.6 4.9.9",
    "since BR 2.0.1 (SC063, 2024-03-15)",
    "RFC 6960 §4.2.2.2",
])  # fmt: skip
def test_a_versioned_citation_or_a_version_mention_passes(text: str) -> None:
    assert citation_problems(text) == []
