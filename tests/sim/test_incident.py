"""sim.incident: scenarios, daily timelines and the blast radius."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tracemalloc

import numpy as np
import pytest

from sim.blast import blast_radius
from sim.calibration import fit
from sim.incident import (
    ARI_RESPONSE,
    BYTES_PER_CERTIFICATE,
    STATES,
    OwnerResponse,
    Scenario,
    max_certificates,
    ocsp_eku_2020,
    simulate,
)
from sim.intermediates import load_hierarchy_2020
from sim.scenarios import build_scenario, scenario_names


@pytest.fixture(scope="module")
def staged() -> Scenario:
    return ocsp_eku_2020()


def test_states_sum_to_the_affected_total_every_day(staged: Scenario) -> None:
    tl = simulate(staged, n=20_000, seed=1)
    sums = tl.overall[list(STATES)].sum(axis=1).to_numpy()
    assert np.allclose(sums, tl.total)
    assert tl.overall.index.name == "day" and len(tl.overall) == staged.days
    assert tl.overall.loc[0, "affected"] == tl.total


def test_nothing_breaks_before_revocation_under_the_staged_schedule(staged: Scenario) -> None:
    tl = simulate(staged, n=20_000, seed=1)
    first = tl.revocation_days.min()
    assert first == 183  # GlobalSign AATL, 2020-12-31
    assert tl.overall.loc[: first - 1, "broken"].sum() == 0
    assert tl.overall.loc[first, "broken"] > 0


def test_br_deadline_breaks_far_more_than_the_staged_schedule() -> None:
    br = simulate(ocsp_eku_2020(schedule="br"), n=20_000, seed=1)
    staged = simulate(ocsp_eku_2020(), n=20_000, seed=1)
    assert (br.revocation_days == 7).all()
    assert staged.overall.loc[7, "broken"] == 0
    assert br.fractions().loc[7, "broken"] > 0.5


def test_same_seed_same_timeline(staged: Scenario) -> None:
    a = simulate(staged, n=5_000, seed=3)
    b = simulate(staged, n=5_000, seed=3)
    assert a.overall.equals(b.overall)


def test_ari_clients_replace_within_hours() -> None:
    scen = build_scenario("letsencrypt-caa-2020", {"ari": "true"})
    assert scen.effective_responses()["automated"] == ARI_RESPONSE
    tl = simulate(scen, n=20_000, seed=0)
    tls = tl.by("kind").xs("tls", level="kind")
    assert tls.loc[1, "replaced"] / tls.loc[0].sum() > 0.9


def test_by_levels_add_up_to_overall(staged: Scenario) -> None:
    tl = simulate(staged, n=20_000, seed=2)
    for level in ("ca", "intermediate", "kind"):
        summed = tl.by(level).groupby(level="day").sum()
        assert np.allclose(summed.to_numpy(), tl.overall.to_numpy())
    by_ca = tl.by("ca").xs(0, level="day")
    assert by_ca.loc["GlobalSign"].sum() > by_ca.loc["Microsec (e-Szigno)"].sum()


def test_cohort_mode_agrees_with_certificates_within_one_point(staged: Scenario) -> None:
    per_cert = simulate(staged, n=400_000, seed=5).fractions()
    cohort = simulate(staged, n=400_000, seed=5, mode="cohort").fractions()
    assert (per_cert - cohort).abs().to_numpy().max() < 0.01


def test_blast_radius_counts_what_is_still_served(staged: Scenario) -> None:
    tl = simulate(staged, n=20_000, seed=4)
    blast = blast_radius(tl, 30)
    row = tl.overall.loc[30]
    assert blast.certificates == row["affected"] + row["broken"]
    assert sum(blast.by_ca.values()) == pytest.approx(blast.certificates)
    assert list(blast.by_ca.values()) == sorted(blast.by_ca.values(), reverse=True)
    tls = tl.by("kind").xs(30, level="day").loc["tls"]
    assert blast.sites == pytest.approx(tls["affected"] + tls["broken"])
    assert blast_radius(tl, 30, sites_per_certificate=2.0).sites == pytest.approx(2 * blast.sites)
    assert blast_radius(tl, 200).certificates < blast.certificates


def test_restricting_cas_leaves_others_unaffected() -> None:
    scen = ocsp_eku_2020(cas=("GlobalSign",))
    tl = simulate(scen, n=20_000, seed=0)
    blast = blast_radius(tl, 7)
    assert set(blast.by_ca) == {"GlobalSign"}
    flags = {r.ca: r.affected for r in blast.by_intermediate}
    assert flags["GlobalSign"] and not flags["HARICA"]


def test_revocation_day_override_never_breaks() -> None:
    tl = simulate(build_scenario("ocsp-eku-2020", {"revoke_day": "none", "days": "60"}),
                  n=5_000, seed=0)  # fmt: skip
    assert tl.days == 60
    assert tl.overall["broken"].sum() == 0
    assert math.isinf(tl.revocation_days.iloc[0])


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nope", {}, "scenario must be one of"),
        ("ocsp-eku-2020", {"cas": "Nope CA"}, "cas: unknown CA or intermediate 'Nope CA'"),
        ("ocsp-eku-2020", {"schedule": "fast"}, "schedule must be 'staged' or 'br'"),
        ("ocsp-eku-2020", {"manual_never": "1.5"}, r"manual_never must be in \[0, 1\]"),
        ("ocsp-eku-2020", {"days": "0"}, r"days must be in \[1, 3650\]"),
        ("ocsp-eku-2020", {"colour": "red"}, "param must be one of"),
        ("heartbleed-2014", {"schedule": "br"}, "applies to scenario ocsp-eku-2020 only"),
    ],
)
def test_bad_scenario_parameters(name: str, params: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_scenario(name, params)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"median_days": 0}, "median_days must be a finite number > 0"),
        ({"median_days": 5, "never_fraction": -0.1}, r"never_fraction must be in \[0, 1\]"),
        ({"median_days": 5, "sigma": 0}, r"sigma must be in \(0, 10\]"),
    ],
)
def test_bad_owner_response(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OwnerResponse(**kwargs)


def test_scenario_and_simulate_refuse_bad_input(staged: Scenario) -> None:
    with pytest.raises(ValueError, match="disclosure must be a timezone-aware"):
        dataclasses.replace(staged, disclosure=dt.datetime(2020, 7, 1))
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        simulate(staged, n=0, seed=0)
    first = load_hierarchy_2020().intermediates[0].id
    with pytest.raises(ValueError, match=r"revocation_days\[.*\] must be >= 0"):
        dataclasses.replace(staged, revocation_days={first: -1.0})
    tl = simulate(staged, n=1_000, seed=0)
    with pytest.raises(ValueError, match=r"day must be in \[0, 364\]"):
        blast_radius(tl, 365)
    with pytest.raises(ValueError, match="level must be one of"):
        tl.by("root")


def _peak_bytes(name: str, n: int) -> int:
    scenario = build_scenario(name, {})
    simulate(scenario, n=1000, seed=0)  # imports and caches outside the measurement
    tracemalloc.start()
    try:
        simulate(scenario, n=n, seed=0)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", ["ocsp-eku-2020", "heartbleed-2014"])
def test_bytes_per_certificate_is_what_a_run_allocates(name: str) -> None:
    """The refusal of a too-large --n rests on this figure: it must be neither low nor loose."""
    assert name in scenario_names()
    small, large = 500_000, 1_500_000
    peak_small, peak_large = _peak_bytes(name, small), _peak_bytes(name, large)
    per_certificate = (peak_large - peak_small) / (large - small)
    assert 0.85 * BYTES_PER_CERTIFICATE <= per_certificate <= BYTES_PER_CERTIFICATE
    assert peak_large <= _memory_for(large)


def _memory_for(n: int) -> int:
    """The smallest memory that :func:`max_certificates` says holds ``n`` certificates."""
    low, high = 0, 1 << 40
    while low < high:
        mid = (low + high) // 2
        if max_certificates(mid) >= n:
            high = mid
        else:
            low = mid + 1
    return low


def test_max_certificates_grows_with_memory_and_is_zero_below_the_fixed_part() -> None:
    assert max_certificates(0) == 0
    assert max_certificates(16 * 2**20) == 0
    four, eight = max_certificates(4 * 2**30), max_certificates(8 * 2**30)
    assert eight - four == 4 * 2**30 // BYTES_PER_CERTIFICATE


def test_jprs_g3_is_revoked_on_day_257_and_its_deadline_is_a_marker() -> None:
    scenario = ocsp_eku_2020()
    hier = scenario.hierarchy
    jprs = [i.id for i in hier.intermediates if i.name.startswith("JPRS ")]
    assert len(jprs) == 2  # JPRS Domain / Organization Validation Authority - G3
    # 2021-03-15 is day 257 after the disclosure, 2021-01-31 (the re-issue deadline) day 214.
    assert dt.date(2021, 3, 15) - scenario.disclosure.date() == dt.timedelta(days=257)
    assert {scenario.revocation_days[i] for i in jprs} == {257.0}
    assert scenario.deadlines["JPRS reissue deadline"] == 214
    assert scenario.deadlines["JPRS G3 revoked"] == 257
    # Nothing under JPRS's G3 breaks before day 257 in the simulation.
    tl = simulate(ocsp_eku_2020(cas=tuple(jprs)), n=20_000, seed=1)
    broken = tl.overall["broken"]
    assert broken.loc[256] == 0 and broken.loc[257] > 0


def test_the_jprs_calibration_row_is_the_revocation_not_the_deadline() -> None:
    row = fit("ocsp_eku_2020_jprs")
    assert row.observation.metric == "intermediate_revoked"
    assert row.observation.observed_day == 257
    assert set(row.scenario.revocation_days.values()) == {257.0}
    assert row.observation.reissue_deadline_days == 214
    assert 214 in row.scenario.deadlines.values()
