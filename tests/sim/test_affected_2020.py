"""sim.affected_2020: one reading of the 2020 list; API, simulation and figures agree."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import json
from importlib import resources
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from sim.affected_2020 import UNIDENTIFIED, affected_2020, ca_labels_2020
from sim.blast import blast_radius
from sim.incident import ocsp_eku_2020, simulate
from sim.intermediates import load_hierarchy_2020
from sim.plots.blast import plot_blast_by_ca
from sim.registry import Status, shipped_registry


def test_the_list_has_293_fingerprints_of_14_cas_and_33_hash_only() -> None:
    listed = affected_2020()
    assert len(listed) == len({a.sha256 for a in listed}) == 293
    assert sum(not a.known for a in listed) == 33
    assert all(a.ca == UNIDENTIFIED for a in listed if not a.known)
    assert len(set(ca_labels_2020()) - {UNIDENTIFIED}) == 14
    assert "DigiCert (Baltimore CyberTrust Root)" not in ca_labels_2020()
    assert sum(bool(a.tls_capable) for a in listed) == 85


def test_registry_and_simulation_carry_the_same_labels_counts_and_intermediates() -> None:
    registry = shipped_registry()
    hierarchy = load_hierarchy_2020()
    assert collections.Counter(e.ca_label for e in registry.entries) == collections.Counter(
        i.ca for i in hierarchy.intermediates
    )
    assert [e.sha256 for e in registry.entries] == [i.id for i in hierarchy.intermediates]
    for entry, inter in zip(registry.entries, hierarchy.intermediates, strict=True):
        assert entry.ca_label == inter.ca
        assert entry.tls_capable == (inter.tls_capable if inter.kinds else None)
    assert set(hierarchy.cas) == set(ca_labels_2020())


def test_blast_radius_figure_names_the_registry_cas() -> None:
    timeline = simulate(ocsp_eku_2020(), n=20_000, seed=1)
    ax = plot_blast_by_ca(blast_radius(timeline, 7), ax=Figure().subplots(), top=30)
    names = {t.get_text() for t in ax.get_yticklabels()}
    served = {e.ca_label for e in shipped_registry().entries}
    # Every CA with a known certificate has leaves in the simulation; hash-only entries none.
    assert names == served - {UNIDENTIFIED}
    assert len(names) == 14


def test_a_status_is_stated_only_with_its_evidence() -> None:
    entries = shipped_registry().entries
    revoked = [e for e in entries if e.status == Status.REVOKED]
    # Only where a CA published the date: GlobalSign's DV SSL intermediates, JPRS's G3.
    assert {e.status_date for e in revoked} == {dt.date(2021, 1, 21), dt.date(2021, 3, 15)}
    assert len(revoked) == 5
    assert all(e.status_source.startswith("https://") for e in revoked)
    jprs = [e for e in entries if "JPRS" in e.subject]
    assert {(e.status, e.status_date) for e in jprs} == {
        (Status.REVOKED, dt.date(2021, 3, 15))
    }
    others = [e for e in entries if e not in revoked]
    assert all(e.status == Status.UNKNOWN for e in others)
    assert all(e.status_date is None and e.status_source == "" for e in others)
    # The 33 hash-only entries carry no claim at all.
    assert sum(1 for e in others if not e.subject) == 33


def test_every_published_revocation_matches_a_listed_intermediate() -> None:
    rows = list(csv.DictReader(io.StringIO(_data("revocations.csv"))))
    names = collections.Counter(a.subject_cn for a in affected_2020())
    assert rows and all(names[r["subject_cn"]] == 1 for r in rows)
    dated = {a.subject_cn: a.revoked_on for a in affected_2020() if a.revoked_on}
    assert dated == {r["subject_cn"]: dt.date.fromisoformat(r["revoked_on"]) for r in rows}


def _data(name: str) -> str:
    return resources.files("sim").joinpath(f"data/incident-2020/{name}").read_text("utf-8")


def test_cli_api_and_lesson_3_figure_show_the_same_ca_labels_and_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from extension_api import create_app
    from extension_api.registry_columns import entries_from_columns
    from revlab import main
    from sim.intermediates import kinds_by_ca
    from sim.plots.hierarchy import plot_kinds_by_ca

    assert main(["registry", "show", "--format", "json"]) == 0
    cli = collections.Counter(e["ca_label"] for e in json.loads(capsys.readouterr().out))
    app = create_app({"data_dir": str(tmp_path), "rate_limit": "", "hosts_rate_limit": ""})
    served = app.test_client().get("/v1/registry").get_json()
    api = collections.Counter(
        e["ca_label"] for e in entries_from_columns(served["columns"], served["count"]))
    hierarchy = load_hierarchy_2020()
    simulation = collections.Counter(i.ca for i in hierarchy.intermediates)
    assert cli == api == simulation
    assert sum(cli.values()) == 293  # the public list (docs/sources.md)
    # Lesson 3's first figure: one bar per CA label, with the CLI's count as its total.
    table = kinds_by_ca(hierarchy)
    ax = plot_kinds_by_ca(table, ax=Figure().subplots())
    assert {t.get_text() for t in ax.get_yticklabels()} == set(cli)
    assert {ca: int(n) for ca, n in table["total"].items()} == dict(cli)
