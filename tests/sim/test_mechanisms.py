"""sim.protection, mechanisms and exposure: time to protection by hand, and client exposure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim import exposure as E
from sim import mechanisms as M
from sim import protection as P
from sim.mechanisms import (
    Crl,
    Crlite,
    CrlSet,
    OcspHardFail,
    OcspSoftFail,
    OcspStapling,
    OneCrl,
    ShortLived,
)
from sim.protection import (
    NEVER_PROTECTS,
    Mechanism,
    Protection,
    Reason,
    RevocationEvent,
    Target,
)
from tests.conftest import NOW, REPO

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

LEAF = RevocationEvent(NOW, Target.LEAF, Reason.KEY_COMPROMISE)
LEAF_BLOCKED = RevocationEvent(NOW, Target.LEAF, Reason.KEY_COMPROMISE, blocks_responder=True)
INTERMEDIATE_2020 = RevocationEvent(NOW, Target.INTERMEDIATE, self_vouching=True)


# --- the registry -----------------------------------------------------------------------------


def test_every_mechanism_has_a_configuration_class_label_and_shipped_parameters() -> None:
    configs = M.default_mechanisms()
    assert set(M.MECHANISM_TYPES) == set(Mechanism)
    assert set(P.LABELS) == set(Mechanism)
    assert set(configs) == set(Mechanism)
    for mechanism, config in configs.items():
        assert config.mechanism is mechanism
        assert isinstance(config, M.MECHANISM_TYPES[mechanism])


def test_every_shipped_parameter_sets_a_field_and_names_a_source() -> None:
    params = M.load_parameters()
    for param in params:
        fields = {f.name for f in dataclasses.fields(M.MECHANISM_TYPES[param.mechanism])}
        assert param.name in fields, f"{param.mechanism}.{param.name} is not a field"
        assert len(param.source) > 20, f"{param.mechanism}.{param.name} has no real source"
    # Every field of every configuration is set from the data file, none left to a code default.
    for mechanism, cls in M.MECHANISM_TYPES.items():
        shipped = {p.name for p in params if p.mechanism is mechanism}
        assert shipped == {f.name for f in dataclasses.fields(cls)}


def test_class_defaults_are_the_shipped_parameters() -> None:
    # One truth: a configuration built without arguments says what mechanisms.json says.
    for mechanism, config in M.default_mechanisms().items():
        assert config == M.MECHANISM_TYPES[mechanism](), mechanism


def test_br_citations_carry_their_version() -> None:
    params = {(p.mechanism, p.name): p for p in M.load_parameters()}
    ocsp = params[Mechanism.OCSP_HARD_FAIL, "response_validity_hours"]
    assert ocsp.rules == ("br.ocsp_validity",)
    assert ocsp.source.startswith("BR 2.2.6 §4.9.9 (since BR 2.1.0, SC076, 2024-11-14): ")
    crl = params[Mechanism.CRL, "next_update_hours"]
    assert crl.source.startswith("BR 2.2.6 §7.2 (since BR 2.0.1, SC063, 2024-03-15): ")
    # The 24-hour publication rule is today's (BR 2.0.1 on), not a rule of 2020.
    ingest = params[Mechanism.CRLITE, "ingest_delay_hours"]
    assert ingest.source.startswith("BR 2.2.6 §4.9.7 (since BR 2.0.1, SC063, 2024-03-15): ")
    raw = (REPO / "sim" / "data" / "mechanisms.json").read_text()
    # No bare BR section in the data: every BR rule is cited through sim.rules.
    assert not re.search(r"BR \d+\.\d+", raw.replace("BR 2.2.6)", ""))
    assert "../shared" not in raw and "reference/" not in raw


def test_crlset_and_crlite_figures_are_labelled_as_what_they_are() -> None:
    params = {(p.mechanism, p.name): p for p in M.load_parameters()}
    assert "IMC 2015" in params[Mechanism.CRLSET, "leaf_coverage"].source
    assert "250" not in params[Mechanism.CRLSET, "reasons"].source
    assert "primary means" in params[Mechanism.CRLSET, "intermediate_coverage"].source
    assert params[Mechanism.CRLITE, "bytes_per_day"].source.startswith("unverified")
    assert params[Mechanism.CRLITE, "bytes_per_day"].value == 300_000


def test_shipped_parameters_are_the_published_ones() -> None:
    configs = M.default_mechanisms()
    crl = configs[Mechanism.CRL]
    crlset = configs[Mechanism.CRLSET]
    assert isinstance(crl, Crl) and isinstance(crlset, CrlSet)
    # BR 2.2.6 7.2: nextUpdate at most 10 days after thisUpdate; a client caches until
    # nextUpdate, so 10 days is the worst case.
    assert crl.next_update_hours == 10 * 24
    assert isinstance(configs[Mechanism.OCSP_STAPLING], OcspStapling)
    assert configs[Mechanism.OCSP_STAPLING].staple_validity_hours == 10 * 24  # BR 2.2.6 4.9.9
    assert isinstance(configs[Mechanism.CRLITE], Crlite)
    assert configs[Mechanism.CRLITE].publish_interval_hours == 12
    assert crlset.leaf_coverage == pytest.approx(0.0035)
    # The current Chromium page names no reason-code filter: every reason is admitted.
    assert crlset.reasons == frozenset(Reason)
    assert configs[Mechanism.SHORT_LIVED].bytes_per_day == 0
    # Must-staple is the exception, not the rule: by default a blocked responder wins.
    assert configs[Mechanism.OCSP_STAPLING].must_staple is False


# --- time to protection, worked by hand -------------------------------------------------------


def test_crl_revoked_right_after_publication_protects_after_next_update() -> None:
    crl = Crl(next_update_hours=7 * 24)
    protection = crl.time_to_protection(LEAF, last_published_at=NOW)
    assert protection.hours == 7 * 24
    assert protection.protected_at(NOW) == NOW + 7 * DAY


def test_crl_revoked_two_days_after_publication_protects_five_days_later() -> None:
    crl = Crl(next_update_hours=7 * 24)
    protection = crl.time_to_protection(LEAF, last_published_at=NOW - 2 * DAY)
    assert protection.hours == 5 * 24


def test_crl_lists_an_intermediate_on_the_issuers_arl_and_ignores_self_vouching() -> None:
    crl = Crl(next_update_hours=168, arl_next_update_hours=30 * 24)
    protection = crl.time_to_protection(INTERMEDIATE_2020, last_published_at=NOW - 10 * DAY)
    assert protection.hours == 20 * 24
    assert not protection.never


def test_soft_fail_crl_never_protects_against_a_blocking_attacker() -> None:
    hard = Crl(soft_fail=False).time_to_protection(LEAF_BLOCKED, last_published_at=NOW)
    soft = Crl(soft_fail=True).time_to_protection(LEAF_BLOCKED, last_published_at=NOW)
    assert hard.hours == 240  # the shipped nextUpdate: 10 days
    assert soft.never and soft.hours == NEVER_PROTECTS


def test_ocsp_hard_fail_protects_when_the_cached_good_response_expires() -> None:
    ocsp = OcspHardFail(response_validity_hours=96)
    assert ocsp.time_to_protection(LEAF, last_published_at=NOW - 36 * HOUR).hours == 60
    # Blocking the responder only makes a hard-fail client refuse: same time.
    assert ocsp.time_to_protection(LEAF_BLOCKED, last_published_at=NOW - 36 * HOUR).hours == 60


def test_ocsp_soft_fail_never_protects_against_a_blocking_attacker() -> None:
    ocsp = OcspSoftFail(response_validity_hours=96)
    assert ocsp.time_to_protection(LEAF, last_published_at=NOW).hours == 96
    blocked = ocsp.time_to_protection(LEAF_BLOCKED, last_published_at=NOW)
    assert blocked.never
    assert blocked.exposed(10_000 * 24.0) == 1.0


def test_stapling_protects_when_the_replayed_staple_expires_at_most_ten_days() -> None:
    stapling = OcspStapling(staple_validity_hours=240)
    assert stapling.time_to_protection(LEAF, last_published_at=NOW).hours == 240
    assert stapling.time_to_protection(LEAF, last_published_at=NOW - 3 * DAY).hours == 7 * 24


def test_stapling_without_must_staple_loses_to_a_blocking_attacker() -> None:
    must = OcspStapling(must_staple=True).time_to_protection(LEAF_BLOCKED, last_published_at=NOW)
    optional = OcspStapling(must_staple=False).time_to_protection(
        LEAF_BLOCKED, last_published_at=NOW
    )
    assert must.hours == 240
    assert optional.never


def test_crlset_protects_at_the_first_push_after_ingestion() -> None:
    # Pushes every 6 h, last one 1 h before the revocation; the CRL is crawled 10 h later:
    # pushes at +5 h, +11 h -> the one at +11 h is the first at least 10 h after.
    crlset = CrlSet(publish_interval_hours=6, ingest_delay_hours=10, client_delay_hours=0)
    protection = crlset.time_to_protection(LEAF, last_published_at=NOW - HOUR)
    assert protection.hours == 11
    assert protection.coverage == pytest.approx(0.0035)


def test_crlset_skips_reason_codes_it_does_not_carry() -> None:
    # The older Chromium page's filter, passed explicitly (no longer documented).
    crlset = CrlSet(reasons=frozenset({Reason.UNSPECIFIED, Reason.KEY_COMPROMISE}))
    superseded = RevocationEvent(NOW, Target.LEAF, Reason.SUPERSEDED)
    protection = crlset.time_to_protection(superseded, last_published_at=NOW)
    assert protection.never and protection.coverage == 0.0


def test_onecrl_carries_intermediates_only() -> None:
    onecrl = OneCrl(publish_interval_hours=24, ingest_delay_hours=0, client_delay_hours=2)
    protection = onecrl.time_to_protection(INTERMEDIATE_2020, last_published_at=NOW)
    assert protection.hours == 26  # next daily push, plus two hours to reach the client
    assert onecrl.time_to_protection(LEAF, last_published_at=NOW).never


def test_crlite_is_complete_for_leaves_with_twelve_hour_updates() -> None:
    crlite = Crlite(publish_interval_hours=12, ingest_delay_hours=0, client_delay_hours=0)
    protection = crlite.time_to_protection(LEAF, last_published_at=NOW - 4 * HOUR)
    assert protection.hours == 8
    assert protection.coverage == 1.0
    # A blocking attacker cannot stop a pushed list.
    assert crlite.time_to_protection(LEAF_BLOCKED, last_published_at=NOW - 4 * HOUR).hours == 8


def test_short_lived_six_day_certificates_protect_within_six_days_with_zero_bytes() -> None:
    short = ShortLived(lifetime_hours=6 * 24)
    for issued_hours_before in (0, 1, 50, 143):
        issued = NOW - dt.timedelta(hours=issued_hours_before)
        protection = short.time_to_protection(LEAF_BLOCKED, last_published_at=issued)
        assert protection.hours == 6 * 24 - issued_hours_before
        assert protection.hours <= 6 * 24
    assert short.bytes_per_day == 0


# --- the 2020 self-vouching intermediate ------------------------------------------------------


@pytest.mark.parametrize("cls", [OcspHardFail, OcspSoftFail, OcspStapling])
def test_the_2020_self_vouching_intermediate_is_not_stopped_by_ocsp(cls: type[Any]) -> None:
    protection = cls().time_to_protection(INTERMEDIATE_2020, last_published_at=NOW)
    assert protection.never
    assert protection.exposed(365 * 24.0) == 1.0


def test_the_same_intermediate_without_self_vouching_is_stopped_by_hard_fail_ocsp() -> None:
    plain = RevocationEvent(NOW, Target.INTERMEDIATE)
    assert OcspHardFail().time_to_protection(plain, last_published_at=NOW).hours == 240


def test_the_2020_intermediate_is_stopped_by_push_lists() -> None:
    worst = E.worst_case_protections(INTERMEDIATE_2020)
    for mechanism in (Mechanism.ONECRL, Mechanism.CRLSET):
        assert not worst[mechanism].never
        assert worst[mechanism].coverage == 1.0
    ocsp = {Mechanism.OCSP_HARD_FAIL, Mechanism.OCSP_SOFT_FAIL, Mechanism.OCSP_STAPLING}
    assert {m for m, p in worst.items() if p.never} >= ocsp


def test_a_firefox_like_verifier_rejects_the_self_signed_answer() -> None:
    # mozilla::pkix accepts only end-entity responders, so the forgery does not work.
    ocsp = OcspHardFail(accepts_ca_responder=False, response_validity_hours=48)
    assert ocsp.time_to_protection(INTERMEDIATE_2020, last_published_at=NOW).hours == 48


def test_destroying_the_key_ends_forgeries_after_the_last_one_expires() -> None:
    destroyed = dataclasses.replace(INTERMEDIATE_2020, key_destroyed_at=NOW + 30 * DAY)
    protection = OcspHardFail(response_validity_hours=240).time_to_protection(
        destroyed, last_published_at=NOW
    )
    assert protection.hours == (30 + 10) * 24


# --- the table --------------------------------------------------------------------------------


def test_mechanism_table_shows_worst_cases_and_never() -> None:
    table = E.mechanism_table()
    assert list(table.index) == [m.value for m in Mechanism]
    assert table.loc["crl", "days_leaf"] == pytest.approx(10.0)  # BR 4.9.7: nextUpdate <= 10 d
    assert math.isinf(table.loc["ocsp_soft_fail", "days_leaf_blocked"])
    assert table.loc["ocsp_hard_fail", "days_leaf_blocked"] == pytest.approx(10.0)
    assert math.isinf(table.loc["ocsp_hard_fail", "days_intermediate_2020"])
    assert math.isfinite(table.loc["onecrl", "days_intermediate_2020"])
    assert table.loc["short_lived", "bytes_per_day"] == 0
    assert table.loc["crlite", "coverage_leaf"] == 1.0


# --- client exposure --------------------------------------------------------------------------


def _protections(**hours_and_coverage: tuple[float, float]) -> dict[Mechanism, Protection]:
    return {
        Mechanism(name): Protection(Mechanism(name), hours, coverage, "test")
        for name, (hours, coverage) in hours_and_coverage.items()
    }


def test_client_exposure_weights_profiles_by_share() -> None:
    mix = E.browser_mix(chrome=0.5, firefox=0.2, other=0.3)
    protections = _protections(crlset=(24, 1.0), onecrl=(72, 1.0), crlite=(NEVER_PROTECTS, 0.0))
    frame = E.client_exposure(
        [10, 10, 8, 6, 4, 2], revocation_day=1, protections=protections, mix=mix
    )
    assert math.isnan(frame.loc[0, "exposed_all"])  # nothing revoked yet
    assert frame.loc[1, "exposed_all"] == pytest.approx(1.0)  # revocation day: all exposed
    assert frame.loc[2, "exposed_all"] == pytest.approx(0.5)  # Chrome protected after 24 h
    assert frame.loc[4, "exposed_all"] == pytest.approx(0.3)  # Firefox after 72 h
    assert frame.loc[5, "exposed_all"] == pytest.approx(0.3)  # "other" never checks
    assert frame.loc[4, "accepted"] == pytest.approx(4 * 0.3)
    assert frame.loc[2, "exposed_chrome"] == 0.0


def test_client_exposure_keeps_partial_coverage_exposed() -> None:
    mix = E.ClientMix((E.ClientProfile("chrome", 1.0, (Mechanism.CRLSET,)),))
    protections = _protections(crlset=(0, 0.0035))
    frame = E.client_exposure(
        pd.Series([5.0, 5.0]), revocation_day=0, protections=protections, mix=mix
    )
    assert frame["exposed_all"].tolist() == pytest.approx([0.9965, 0.9965])


def test_timeline_exposure_reads_served_certificates_of_one_intermediate() -> None:
    class FakeTimeline:
        revocation_days = pd.Series({"G3": 2.0, "G4": math.inf})

        def by(self, level: str) -> pd.DataFrame:
            index = pd.MultiIndex.from_product([range(4), ["G3", "G4"]], names=["day", level])
            return pd.DataFrame(
                {"affected": [9, 1, 6, 1, 0, 1, 0, 1], "broken": [0, 0, 0, 0, 4, 0, 3, 0]},
                index=index,
            )

    mix = E.browser_mix(chrome=0.0, firefox=0.0, other=1.0)
    frame = E.timeline_exposure(FakeTimeline(), "G3", mix=mix)
    assert frame["served"].tolist() == [9, 6, 4, 3]
    assert frame["accepted"].tolist()[2:] == [4, 3]  # nobody checks: all still accepted
    with pytest.raises(ValueError, match="not revoked"):
        E.timeline_exposure(FakeTimeline(), "G4", mix=mix)


# --- bad input --------------------------------------------------------------------------------


def test_naive_revocation_time_is_refused_naming_the_parameter() -> None:
    with pytest.raises(ValueError, match="revoked_at must be a timezone-aware"):
        RevocationEvent(dt.datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: Crl().time_to_protection(LEAF, last_published_at=NOW + HOUR), "last_published_at"),
        (lambda: Crl().time_to_protection(LEAF, last_published_at=NOW - 11 * DAY), "next_update"),
        (
            lambda: Crl().time_to_protection(LEAF, last_published_at=dt.datetime(2026, 1, 1)),
            "last_published_at must be a timezone-aware",
        ),
        (lambda: Crl(next_update_hours=0), "next_update_hours"),
        (lambda: CrlSet(leaf_coverage=1.5), "leaf_coverage"),
        (lambda: ShortLived(lifetime_hours=-1), "lifetime_hours"),
        (lambda: E.browser_mix(chrome=0.5, firefox=0.5, other=0.5), "sum to 1"),
        (lambda: E.ClientProfile("chrome", -0.1), "share"),
        (
            lambda: E.client_exposure([1], revocation_day=3, protections={}, mix=E.browser_mix()),
            "revocation_day",
        ),
        (
            lambda: E.client_exposure(
                [1, 2], revocation_day=0, protections={}, mix=E.browser_mix()
            ),
            "missing",
        ),
        (
            lambda: E.client_exposure([-1], revocation_day=0, protections={}, mix=E.browser_mix()),
            ">= 0",
        ),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_parameter(
    call: Callable[[], object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_exposure_of_a_mix_of_other_clients_never_drops() -> None:
    frame = E.client_exposure(
        np.ones(5),
        revocation_day=0,
        protections=E.worst_case_protections(LEAF),
        mix=E.browser_mix(chrome=0.0, firefox=0.0, other=1.0),
    )
    assert frame["exposed_all"].tolist() == [1.0] * 5


def test_timeline_exposure_on_a_simulated_2020_incident() -> None:
    from sim import incident

    scenario = incident.ocsp_eku_2020(days=30, schedule="br")  # every intermediate on day 7
    timeline = incident.simulate(scenario, n=5_000, seed=7, mode="cohort")
    name = str(timeline.revocation_days.index[0])
    mix = E.browser_mix(chrome=0.6, firefox=0.1, other=0.3)
    frame = E.timeline_exposure(timeline, name, mix=mix)
    by = timeline.by("intermediate").xs(name, level="intermediate")
    assert frame["served"].tolist() == pytest.approx((by["affected"] + by["broken"]).tolist())
    day = int(timeline.revocation_days[name])
    assert frame["exposed_all"].iloc[:day].isna().all()
    assert frame.loc[day, "exposed_all"] == pytest.approx(1.0)
    # CRLSets (1 day) then OneCRL (7 days) stop it; OCSP never would; "other" never checks.
    assert frame.loc[day + 1, "exposed_all"] == pytest.approx(0.4)
    assert frame.loc[day + 7, "exposed_all"] == pytest.approx(0.3)
    assert frame.loc[day + 7, "accepted"] == pytest.approx(0.3 * frame.loc[day + 7, "served"])
