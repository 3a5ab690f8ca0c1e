"""The rules the product cites, each once, with the version of the document it comes from.

The CA/Browser Forum's Baseline Requirements (BR) were renumbered in version 2.0.0 (ballot SC062,
2023-09-15) and have changed since, so a section number means nothing without its version. A rule
as it stood in July 2020 cites BR 1.7.0 (in force 2020-05-04 to 2020-08-19); a rule in force at
the lessons' ``now`` (2026-11-01) cites BR 2.2.6 (in force since 2026-03-31) and says since which
version and ballot it holds. Every surface (audit messages, OCSP verification rules, mechanism
parameters, lessons, docs/sources.md) cites through `cite`, and tests/test_citations.py checks that
no file cites a BR section without a version this table knows.

The section titles and effective dates below were read from the BR's own git history
(github.com/cabforum/servercert, docs/BR.md: version 1.7.0 as of 2020-07, and tag BRs/v2.2.6).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sim.errors import ParameterError

__all__ = [
    "BR_2020",
    "BR_NOW",
    "BR_SECTIONS",
    "BR_VERSIONS",
    "RULES",
    "BrVersion",
    "Document",
    "Rule",
    "cite",
]

BR_URL = "https://github.com/cabforum/servercert/blob/main/docs/BR.md"


@dataclass(frozen=True)
class BrVersion:
    """One version of the BR: the ballot that made it and the day it took effect."""

    version: str
    ballot: str
    effective: dt.date


def _v(version: str, ballot: str, effective: str) -> tuple[str, BrVersion]:
    return version, BrVersion(version, ballot, dt.date.fromisoformat(effective))


#: The BR versions the product cites (from the BR's own revision table).
BR_VERSIONS: Mapping[str, BrVersion] = MappingProxyType(dict([
    _v("1.3.0", "146", "2015-04-16"),
    _v("1.3.6", "171", "2016-07-01"),
    _v("1.7.0", "SC029", "2020-05-04"),
    _v("1.7.1", "SC030/SC031", "2020-08-20"),
    _v("2.0.0", "SC062", "2023-09-15"),
    _v("2.0.1", "SC063", "2024-03-15"),
    _v("2.1.0", "SC076", "2024-11-14"),
    _v("2.1.5", "SC081", "2025-05-16"),
    _v("2.1.7", "SC089", "2025-08-25"),
    _v("2.2.6", "SC095", "2026-03-31"),
]))  # fmt: skip

#: The BR in force during the July 2020 incident, and at the lessons' ``now``.
BR_2020 = "1.7.0"
BR_NOW = "2.2.6"

#: (version, section) -> the section's title in that version, as read from the BR.
BR_SECTIONS: Mapping[tuple[str, str], str] = MappingProxyType({
    ("1.3.0", "6.3.2"): "Certificate operational periods and key pair usage periods",
    ("1.3.6", "6.3.2"): "Certificate operational periods and key pair usage periods",
    ("1.7.0", "4.9.1.2"): "Reasons for Revoking a Subordinate CA Certificate",
    ("1.7.0", "4.9.7"): "CRL issuance frequency (if applicable)",
    ("1.7.0", "4.9.9"): "On-line revocation/status checking availability",
    ("1.7.0", "4.9.10"): "On-line revocation checking requirements",
    ("1.7.0", "6.3.2"): "Certificate operational periods and key pair usage periods",
    ("2.2.6", "1.6.1"): "Definitions",
    ("2.2.6", "4.9.1.1"): "Reasons for Revoking a Subscriber Certificate",
    ("2.2.6", "4.9.1.2"): "Reasons for Revoking a Subordinate CA Certificate",
    ("2.2.6", "4.9.7"): "CRL issuance frequency",
    ("2.2.6", "4.9.9"): "On-line revocation/status checking availability",
    ("2.2.6", "4.9.10"): "On-line revocation checking requirements",
    ("2.2.6", "5.7.1.2"): "Mass Revocation Plans",
    ("2.2.6", "6.1.6"): "Public key parameters generation and quality checking",
    ("2.2.6", "6.3.2"): "Certificate operational periods and key pair usage periods",
    ("2.2.6", "7.1"): "Certificate profile",
    ("2.2.6", "7.1.2.8"): "OCSP Responder Certificate Profile",
    ("2.2.6", "7.1.2.8.4"): "OCSP Responder Basic Constraints",
    ("2.2.6", "7.1.2.8.5"): "OCSP Responder Extended Key Usage",
    ("2.2.6", "7.1.2.8.6"): "OCSP Responder id-pkix-ocsp-nocheck",
    ("2.2.6", "7.1.2.10.6"): "CA Certificate Extended Key Usage",
    ("2.2.6", "7.1.2.11.2"): "CRL Distribution Points",
    ("2.2.6", "7.1.3.2"): "Signature AlgorithmIdentifier",
    ("2.2.6", "7.2"): "CRL profile",
})  # fmt: skip


class Document(enum.StrEnum):
    """Where a rule is written."""

    BR = "BR"
    RFC6960 = "RFC 6960"
    RFC5280 = "RFC 5280"


@dataclass(frozen=True)
class Rule:
    """A rule as the product states it.

    Attributes:
        id: stable dotted name, e.g. ``br.ocsp.validity``.
        statement: the rule in our words.
        governs: which certificates or parties it applies to (a BR profile, for example).
        document: where it is written.
        section: the section number in ``version``.
        version: the document's version cited (BR only).
        since: the version that introduced the rule in its present place (BR only; may equal
            ``version``).
        url: where to read it.
    """

    id: str
    statement: str
    governs: str
    document: Document
    section: str
    version: str = ""
    since: str = ""
    url: str = ""

    def citation(self) -> str:
        """E.g. ``BR 2.2.6 §4.9.9 (since BR 2.1.0, SC076, 2024-11-14)`` or ``RFC 6960 §4.2.2.2``."""
        if self.document is not Document.BR:
            return f"{self.document} §{self.section}"
        text = f"BR {self.version} §{self.section}"
        if self.since and self.since != self.version:
            origin = BR_VERSIONS[self.since]
            text += f" (since BR {origin.version}, {origin.ballot}, {origin.effective})"
        return text


def _br(rule_id: str, version: str, section: str, statement: str, governs: str,
        since: str = "") -> tuple[str, Rule]:  # fmt: skip
    return rule_id, Rule(rule_id, statement, governs, Document.BR, section, version,
                         since or version, BR_URL)  # fmt: skip


def _rfc(rule_id: str, document: Document, section: str, statement: str,
         governs: str) -> tuple[str, Rule]:  # fmt: skip
    number = document.value.split()[-1]
    url = f"https://www.rfc-editor.org/rfc/rfc{number}#section-{section}"
    return rule_id, Rule(rule_id, statement, governs, document, section, url=url)


RULES: Mapping[str, Rule] = MappingProxyType(dict([
    # The rules of July 2020 (BR 1.7.0).
    _br("br2020.subca_revocation", BR_2020, "4.9.1.2",
        "The issuing CA SHALL revoke a subordinate CA certificate within 7 days of, among other "
        "reasons, learning it was not issued in accordance with the BR.",
        "subordinate CA certificates"),
    _br("br2020.responder_nocheck", BR_2020, "4.9.9",
        "An OCSP response signed by a delegated responder: the responder's certificate MUST "
        "contain id-pkix-ocsp-nocheck. None of the 293 intermediates did: the formal violation.",
        "OCSP responder certificates (every certificate that signs OCSP responses)"),
    _br("br2020.ocsp_update", BR_2020, "4.9.10",
        "Subscriber certificates: OCSP information updated at least every 4 days, responses "
        "valid at most 10 days. Subordinate CA certificates: updated at least every 12 months "
        "and within 24 hours of revoking one.",
        "OCSP responders of the CA"),
    _br("br2020.crl_update", BR_2020, "4.9.7",
        "Subscriber certificates: CRLs reissued at least every 7 days, nextUpdate at most 10 days "
        "after thisUpdate. Subordinate CA certificates: at least every 12 months and within 24 "
        "hours of revoking one, nextUpdate at most 12 months. No 24-hour rule for subscriber "
        "certificates.",
        "CRLs of the CA, if it publishes them"),
    # The rules in force at the lessons' now (BR 2.2.6).
    _br("br.subca_revocation", BR_NOW, "4.9.1.2",
        "The issuing CA SHALL revoke a subordinate CA certificate within 7 days of, among other "
        "reasons, learning it was not issued in accordance with the BR (unchanged since 2020).",
        "subordinate CA certificates", since=BR_2020),
    _br("br.leaf_revocation", BR_NOW, "4.9.1.1",
        "A subscriber certificate is revoked within 24 hours (key compromise, failed validation) "
        "or 5 days (other misissuance), except short-lived subscriber certificates.",
        "subscriber (leaf) certificates"),
    _br("br.ocsp_validity", BR_NOW, "4.9.9",
        "OCSP responses for subscriber certificates are valid 8 hours to 10 days and refreshed "
        "no later than 4 days after thisUpdate; the status of a subordinate CA certificate is "
        "refreshed at least every 12 months and within 24 hours of revoking it. 4.9.10 now says "
        "'No stipulation'.",
        "OCSP responders, where the CA runs them (OCSP is optional since BR 2.0.1)",
        since="2.1.0"),
    _br("br.crl_publication", BR_NOW, "4.9.7",
        "A CA issuing subscriber certificates publishes a new CRL at least every 7 days (4 days "
        "where a certificate has no OCSP URL) and within 24 hours of recording a revocation; a "
        "CA issuing CA certificates at least every 12 months and within 24 hours.",
        "CRLs, which every CA must publish since BR 2.0.1", since="2.0.1"),
    _br("br.crl_next_update", BR_NOW, "7.2",
        "CRL nextUpdate: at most 10 days after thisUpdate for CRLs covering subscriber "
        "certificates, at most 12 months for other CRLs.",
        "the CRL profile", since="2.0.1"),
    _br("br.short_lived", BR_NOW, "1.6.1",
        "A short-lived subscriber certificate (at most 10 days if issued from 2024-03-15, at most "
        "7 days if issued from 2026-03-15) need carry no revocation information (7.1.2.11.2); "
        "the CA MAY support its revocation (4.9.1.1).",
        "subscriber (leaf) certificates", since="2.0.1"),
    _br("br.responder_not_ca", BR_NOW, "7.1.2.8.4",
        "An OCSP responder certificate MUST NOT be a CA certificate.",
        "the OCSP responder certificate profile", since="2.0.0"),
    _br("br.responder_eku", BR_NOW, "7.1.2.8.5",
        "An OCSP responder certificate carries id-kp-OCSPSigning and no other key purpose.",
        "the OCSP responder certificate profile", since="2.0.0"),
    _br("br.responder_nocheck", BR_NOW, "7.1.2.8.6",
        "An OCSP responder certificate carries id-pkix-ocsp-nocheck with the exact value 05 00.",
        "the OCSP responder certificate profile", since="2.0.0"),
    _br("br.tls_subca_eku", BR_NOW, "7.1.2.10.6",
        "A TLS subordinate CA certificate MUST NOT carry id-kp-OCSPSigning (nor code signing, "
        "e-mail protection, time stamping or anyExtendedKeyUsage).",
        "TLS subordinate CA certificates (profiles 7.1.2.5 and 7.1.2.6); most of the 293 were "
        "S/MIME, client or code-signing CAs, which other requirements govern", since="2.0.0"),
    _br("br.tls_max_validity", BR_NOW, "6.3.2",
        "The maximum validity of a subscriber TLS certificate by issuance date: 398 days, 200 "
        "days from 2026-03-15, 100 days from 2027-03-15, 47 days from 2029-03-15.",
        "subscriber TLS certificates", since="2.1.5"),
    _br("br.mass_revocation_plan", BR_NOW, "5.7.1.2",
        "A CA keeps and tests a plan for revoking many certificates at once.",
        "CAs", since="2.1.7"),
    _rfc("rfc6960.delegated_responder", Document.RFC6960, "4.2.2.2",
         "A certificate with id-kp-OCSPSigning issued directly by the CA that issued the "
         "certificate in question is an authorized responder for it: for every certificate "
         "that CA issued, siblings and itself included.",
         "OCSP clients (relying parties)"),
]))  # fmt: skip


def cite(rule_id: str) -> str:
    """The citation of a rule, e.g. ``BR 2.2.6 §4.9.9 (since BR 2.1.0, SC076, 2024-11-14)``.

    Raises:
        ParameterError: no rule has that id.
    """
    try:
        return RULES[rule_id].citation()
    except KeyError:
        raise ParameterError(f"rule must be one of {', '.join(RULES)}, got {rule_id!r}") from None
