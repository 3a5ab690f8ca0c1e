"""sim.population: the 2020 hierarchy and steady-state populations."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pytest

from sim.intermediates import load_hierarchy_2020
from sim.population import MIX_2020, make_population
from tests.conftest import NOW, REPO

AT_2020 = dt.datetime(2020, 7, 1, tzinfo=dt.UTC)


def test_hierarchy_2020_has_293_intermediates_of_14_cas() -> None:
    hier = load_hierarchy_2020()
    assert len(hier.intermediates) == 293
    named = [ca for ca in hier.cas if ca != "unidentified"]
    assert len(named) == 14
    assert sum(i.ca == "GlobalSign" for i in hier.intermediates) == 67


def test_tls_capability_comes_from_the_ekus() -> None:
    hier = load_hierarchy_2020()
    # EKUs as the DER says: the CSV lists serverAuth on 84 rows, and its empty EKU column for
    # "Bayerische SSL-CA-2014-01" is an extraction failure (its DER asserts serverAuth,
    # OCSPSigning and clientAuth): 85 TLS-capable. The 33 hash-only rows have no known kind.
    text = (REPO / "sim/data/incident-2020/affected_intermediates.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sum("1.3.6.1.5.5.7.3.1" in r["eku_oids"].split(";") for r in rows) == 84
    assert sum(i.tls_capable for i in hier.intermediates) == 84 + 1
    assert sum(not i.kinds for i in hier.intermediates) == 33
    bayern = [i for i in hier.intermediates if i.name.startswith("Bayerische SSL-CA-2014-01")]
    assert bayern and bayern[0].tls_capable
    assert "smime" not in bayern[0].kinds  # no emailProtection in its EKU


def test_same_seed_same_population_and_ages_within_lifetimes() -> None:
    a = make_population(5000, at=AT_2020, seed=7)
    b = make_population(5000, at=AT_2020, seed=7)
    assert a.cell is not None and b.cell is not None and a.age_days is not None
    assert np.array_equal(a.cell, b.cell)
    frame = a.frame()
    assert (frame["not_before"] <= AT_2020).all()
    assert (frame["not_after"] > AT_2020).all()
    assert set(frame["segment"]) == {"automated", "manual", "never-renews"}


def test_segment_shares_match_the_mix() -> None:
    pop = make_population(200_000, at=AT_2020, seed=1, hierarchy=None)
    frame = pop.frame()
    tls = frame[frame["kind"] == "tls"]
    expected = {e.segment: e.share for e in MIX_2020.entries if e.kind == "tls"}
    observed = tls["segment"].value_counts(normalize=True)
    for segment, share in expected.items():
        assert observed[segment] == pytest.approx(share, abs=0.01)


def test_leaf_weights_shift_leaves_to_a_ca() -> None:
    pop = make_population(50_000, at=AT_2020, seed=2, leaf_weights={"GlobalSign": 0.0})
    assert "GlobalSign" not in set(pop.frame()["ca"])


def test_tls_lifetimes_are_capped_at_the_population_date() -> None:
    pop = make_population(20_000, at=NOW, seed=3)  # manual-825 in 2026: capped at 200 days
    frame = pop.frame()
    tls = frame[frame["kind"] == "tls"]
    assert (tls["not_after"] - tls["not_before"]).max() <= dt.timedelta(days=200)


def test_cohort_counts_are_expected_counts() -> None:
    pop = make_population(10**9, at=AT_2020, seed=0, mode="cohort")
    assert pop.cell_counts().sum() == pytest.approx(1e9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, r"n must be an integer >= 1"),
        ({"at": dt.datetime(2020, 7, 1)}, "at must be a timezone-aware"),
        ({"leaf_weights": {"Nope CA": 1.0}}, "leaf_weights: unknown CA or intermediate 'Nope CA'"),
        ({"leaf_weights": {"GlobalSign": -1.0}}, r"leaf_weights\['GlobalSign'\] must be"),
        ({"kind_shares": {"tls": 1.5}}, r"kind_shares\['tls'\] must be in \[0, 1\]"),
        ({"seed": -1}, "seed must be"),
        ({"mode": "fast"}, "mode must be"),
    ],
)
def test_bad_input_names_the_parameter(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"n": 10, "at": AT_2020, "seed": 0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        make_population(**args)  # type: ignore[arg-type]
