"""The project's promises about packaging: one source of truth for dependencies."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import REPO


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    for extra in ("api", "postgres", "lab", "dev"):
        declared |= {_name(r) for r in extras[extra] if _name(r) != project["name"]}
    conda = yaml.safe_load((REPO / "environment.yml").read_text())
    listed = {_name(d) for d in conda["dependencies"] if isinstance(d, str)}
    listed -= {"python", "pip"}
    assert "conda-forge" in conda["channels"]
    assert listed == declared, (
        f"only in pyproject: {sorted(declared - listed)}; only in environment.yml: "
        f"{sorted(listed - declared)}"
    )


def test_the_library_installs_no_web_server_and_no_jupyterlab() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = {_name(r) for r in project["dependencies"]}
    assert not core & {"flask", "gunicorn", "sqlalchemy", "jupyterlab", "ipywidgets", "psycopg"}
    assert {"flask", "gunicorn", "sqlalchemy"} <= {
        _name(r) for r in project["optional-dependencies"]["api"]
    }
    assert "jupyterlab" in {_name(r) for r in project["optional-dependencies"]["lab"]}


def test_runtime_data_ships_inside_the_package() -> None:
    data = REPO / "sim" / "data"
    for name in (
        "incident-2020/affected_intermediates.csv",
        "incident-2020/affected_intermediates.pem",
        "incident-2020/reissues.csv",
        "calibration/tls_max_validity.csv",
        "calibration/mass_revocation_events.csv",
        "specs/seed_article.json",
    ):
        assert (data / name).stat().st_size > 0, name
