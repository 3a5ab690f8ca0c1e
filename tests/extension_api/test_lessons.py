"""GET /notebooks/<name>.ipynb: the lesson the extension links to, as a page."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from flask import Flask

from extension_api import create_app
from sim.registry import INCIDENT_2020


def _app(tmp_path: Path, notebooks: Path) -> Flask:
    return create_app({"data_dir": tmp_path / "data", "notebooks_dir": notebooks})


def test_the_registry_lesson_link_resolves_to_a_page(tmp_path: Path) -> None:
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    name = Path(INCIDENT_2020.lesson).name
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# The dangerous delegated responder\n\nRFC 6960")]
    nbformat.write(nb, notebooks / name)
    client = _app(tmp_path, notebooks).test_client()
    # The extension resolves the registry's repository path against the backend URL.
    response = client.get("/" + INCIDENT_2020.lesson)
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    page = response.get_data(as_text=True)
    assert "The dangerous delegated responder" in page
    assert "cdn" not in page.lower() and "https://" not in page


@pytest.mark.parametrize("name", ["missing.ipynb", "..%2Fsecrets.ipynb", "notes.txt"])
def test_unknown_or_odd_names_are_json_404(tmp_path: Path, name: str) -> None:
    client = _app(tmp_path, tmp_path).test_client()
    response = client.get(f"/notebooks/{name}")
    assert response.status_code == 404
    assert response.json is not None and response.json["error"]["code"] == "not_found"


def test_an_unknown_lesson_404_names_no_server_path(tmp_path: Path) -> None:
    client = _app(tmp_path, tmp_path / "lessons-folder").test_client()
    message = client.get("/notebooks/missing.ipynb").json["error"]["message"]  # type: ignore[index]
    assert message == "there is no lesson named 'missing.ipynb'; GET / lists the lessons"
    assert str(tmp_path) not in message and "lessons-folder" not in message


def test_shipped_lesson_of_the_2020_incident_exists() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert (repo / INCIDENT_2020.lesson).is_file()
