"""sim.policy: the TLS maximum-validity schedule and issuance profiles."""

from __future__ import annotations

import datetime as dt

import pytest

from sim import audit
from sim.incident import DEFAULT_RESPONSES_2020
from sim.policy import (
    KINDS,
    PROFILES,
    SEGMENTS,
    LeafKind,
    OwnerSegment,
    Profile,
    get_profile,
    max_tls_validity_days,
    max_validity_rules,
    tls_max_validity_rule,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("issued", "days"),
    [
        (dt.datetime(2019, 6, 1, tzinfo=UTC), 825),
        (dt.datetime(2020, 9, 1, tzinfo=UTC), 398),
        (dt.datetime(2026, 3, 14, tzinfo=UTC), 398),
        (dt.datetime(2026, 3, 15, tzinfo=UTC), 200),
        (dt.datetime(2027, 3, 15, tzinfo=UTC), 100),
        (dt.datetime(2030, 1, 1, tzinfo=UTC), 47),
    ],
)
def test_max_tls_validity_follows_the_ballots(issued: dt.datetime, days: int) -> None:
    assert max_tls_validity_days(issued) == days


def test_rules_come_from_the_shipped_csv_with_sources() -> None:
    rules = max_validity_rules()
    assert [r.max_days for r in rules] == [1827, 1185, 1185, 825, 398, 200, 100, 47]
    assert all(r.source.startswith("https://") for r in rules)


@pytest.mark.parametrize(
    "issued",
    [
        dt.datetime(2013, 5, 1, tzinfo=UTC),  # 60 months (BR Effective Date 2012-07-01)
        dt.datetime(2015, 3, 31, 23, 59, tzinfo=UTC),
        dt.datetime(2015, 4, 1, tzinfo=UTC),  # 39 months, with documented exceptions
        dt.datetime(2016, 1, 15, tzinfo=UTC),
        dt.datetime(2016, 7, 1, tzinfo=UTC),  # 39 months regardless
        dt.datetime(2018, 2, 28, tzinfo=UTC),
        dt.datetime(2018, 3, 1, tzinfo=UTC),
        dt.datetime(2026, 11, 1, tzinfo=UTC),
    ],
)
def test_audit_and_populations_state_the_same_tls_maximum(issued: dt.datetime) -> None:
    audit_limit = audit.tls_validity_limit(issued)
    assert audit_limit is not None
    assert audit_limit.max_days == max_tls_validity_days(issued)


def test_the_39_month_maximum_runs_from_2015_04_01_to_2018_03_01() -> None:
    # BR 1.3.0 / 1.3.6 section 6.3.2: 60 months after 2012-07-01, 39 months from 2015-04-01
    # (exceptions up to 60 months until 2016-06-30), 825 days from 2018-03-01.
    day = dt.timedelta(days=1)
    start, end = dt.datetime(2015, 4, 1, tzinfo=UTC), dt.datetime(2018, 3, 1, tzinfo=UTC)
    assert max_tls_validity_days(start - day) == 1827
    assert max_tls_validity_days(start) == max_tls_validity_days(end - day) == 1185
    assert max_tls_validity_days(end) == 825
    rule = tls_max_validity_rule(start + day)
    assert rule is not None and "39 months" in rule.rule and "2016-06-30" in rule.rule
    # Before the BR there was no forum-wide limit: the audit states none.
    assert audit.tls_validity_limit(dt.datetime(2012, 6, 30, tzinfo=UTC)) is None


def test_naive_issuance_date_is_refused() -> None:
    with pytest.raises(ValueError, match="issued must be a timezone-aware"):
        max_tls_validity_days(dt.datetime(2020, 1, 1))


def test_acme_renews_at_60_days_and_shortlived_is_160_hours() -> None:
    assert get_profile("acme-90").renewal_period_days == 60
    assert get_profile("le-shortlived").lifetime_days * 24 == pytest.approx(160)
    assert {p.kind for p in PROFILES.values()} == {"tls", "smime", "code_signing", "other"}


def test_tls_profile_is_capped_by_the_rule_in_force() -> None:
    manual = get_profile("manual-397")
    assert manual.lifetime_at(dt.datetime(2026, 11, 1, tzinfo=UTC)) == 200
    assert manual.lifetime_at(dt.datetime(2025, 1, 1, tzinfo=UTC)) == 397
    assert get_profile("smime-730").lifetime_at(dt.datetime(2026, 11, 1, tzinfo=UTC)) == 730


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lifetime_days": 0}, "lifetime_days must be a finite number > 0"),
        ({"lifetime_days": -5}, "lifetime_days must be a finite number > 0"),
        ({"renew_before_days": 90}, r"renew_before_days must be in \[0, lifetime_days"),
        ({"kind": "email"}, "kind must be one of"),
    ],
)
def test_bad_profile_is_refused_naming_the_parameter(
    kwargs: dict[str, object], message: str
) -> None:
    base: dict[str, object] = {
        "name": "x",
        "kind": "tls",
        "lifetime_days": 90,
        "renew_before_days": 30,
    }
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Profile(**base)  # type: ignore[arg-type]


def test_unknown_profile_name() -> None:
    with pytest.raises(ValueError, match="profile must be one of"):
        get_profile("manual-9000")


def test_kinds_and_segments_are_closed_sets_with_their_data_strings() -> None:
    # The strings are what mixes, data files and CSV columns carry: a rename would break them.
    assert KINDS == ("tls", "smime", "code_signing", "other") == tuple(LeafKind)
    assert SEGMENTS == ("automated", "manual", "never-renews") == tuple(OwnerSegment)
    assert set(DEFAULT_RESPONSES_2020) == set(OwnerSegment)
    with pytest.raises(ValueError, match="kind must be one of tls, smime, code_signing, other"):
        Profile("x", "email", 10, 1)
