"""``sim.rules``: every cited rule names a BR version and a section that version has."""

from __future__ import annotations

import datetime as dt

import pytest

from sim.errors import ParameterError
from sim.rules import BR_2020, BR_NOW, BR_SECTIONS, BR_VERSIONS, RULES, Document, Rule, cite


@pytest.mark.parametrize("rule", [r for r in RULES.values() if r.document is Document.BR],
                         ids=lambda r: r.id)  # fmt: skip
def test_a_br_rule_cites_a_section_its_version_has(rule: Rule) -> None:
    assert rule.version in BR_VERSIONS
    assert (rule.version, rule.section) in BR_SECTIONS
    assert BR_VERSIONS[rule.since].effective <= BR_VERSIONS[rule.version].effective


def test_rules_of_2020_cite_the_br_in_force_in_july_2020() -> None:
    start, next_version = BR_VERSIONS[BR_2020].effective, BR_VERSIONS["1.7.1"].effective
    assert start <= dt.date(2020, 7, 1) < next_version
    assert all(r.version == BR_2020 for r in RULES.values() if r.id.startswith("br2020."))


def test_rules_of_today_cite_the_br_in_force_at_the_lessons_now() -> None:
    lessons_now = dt.date(2026, 11, 1)
    assert BR_VERSIONS[BR_NOW].effective <= lessons_now
    assert max(
        (v for v in BR_VERSIONS.values() if v.effective <= lessons_now), key=lambda v: v.effective
    ).version == BR_NOW
    assert all(r.version == BR_NOW for r in RULES.values() if r.id.startswith("br."))


def test_sections_renumbered_in_2_0_0_are_not_cited_for_2020() -> None:
    # The 7.1.2.x profiles (responders 7.1.2.8.x, CA EKU 7.1.2.10.6) exist only since 2.0.0.
    assert not [k for k in BR_SECTIONS if k[0].startswith("1.") and k[1].startswith("7.1.2.")]


def test_the_citation_names_version_and_origin() -> None:
    assert cite("br.ocsp_validity") == "BR 2.2.6 §4.9.9 (since BR 2.1.0, SC076, 2024-11-14)"
    assert cite("br2020.responder_nocheck") == "BR 1.7.0 §4.9.9"
    assert cite("rfc6960.delegated_responder") == "RFC 6960 §4.2.2.2"


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ParameterError, match="rule must be one of"):
        cite("br.nonexistent")
