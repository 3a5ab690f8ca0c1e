"""Users have only the repository: no shipped file points at the developers' shared folder.

Sources and design notes a user needs live in ``docs/sources.md`` and ``docs/design.md``; a
reference to ``../shared`` or to the developers' ``DESIGN.md`` would send a reader to a file
they do not have. Tests may name the shared folder (they skip without it).
"""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import REPO, require

#: What a shipped file must not name.
FORBIDDEN = ("../shared", "DESIGN.md")


def tracked_files_outside_tests() -> list[str]:
    """Every file git tracks, except those under tests/."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=False)  # fmt: skip
    require(listing.returncode == 0, "not a git checkout: cannot list the tracked files")
    return [name for name in listing.stdout.decode().split("\0")
            if name and not name.startswith("tests/")]  # fmt: skip


def references_to_shared(text: str) -> list[str]:
    """The forbidden names ``text`` contains."""
    return [name for name in FORBIDDEN if name in text]


def test_no_tracked_file_outside_tests_names_the_shared_folder_or_design_md() -> None:
    offenders = []
    for name in tracked_files_outside_tests():
        path = REPO / name
        if not path.is_file():
            continue  # deleted in the work tree
        text = path.read_bytes().decode("utf-8", errors="replace")
        found = references_to_shared(text)
        if found:
            offenders.append(f"{name}: names {', '.join(found)}")
    assert not offenders, "point to docs/sources.md or docs/design.md instead:\n" + "\n".join(
        offenders)


@pytest.mark.parametrize("text", [
    "Sources: `../shared/reference/incident-2020.md`",
    "(DESIGN.md: no hostnames logged)",
])  # fmt: skip
def test_a_reference_to_the_shared_folder_is_found(text: str) -> None:
    assert references_to_shared(text)


def test_a_reference_to_docs_is_not_flagged() -> None:
    assert not references_to_shared("Sources: `docs/sources.md`; `docs/design.md`")
