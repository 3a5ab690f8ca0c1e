"""sim.ocsp, ocsp_verify, ocsp_scenario and ocsp_store: real OCSP DER, forgeries, the fix."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from sim.errors import ParameterError
from sim.ocsp import (
    CertStatus,
    OCSPRequestError,
    Revocation,
    build_request,
    cert_id_for,
    parse_request,
    sign_response,
    unsuccessful_response,
)
from sim.ocsp_scenario import RESPONDER_DAYS, Incident2020, build_incident_2020
from sim.ocsp_store import PresignedResponder
from sim.ocsp_verify import RULES, OCSPPolicy, OCSPVerifyError, verify_response
from tests.conftest import NOW


@pytest.fixture(scope="module")
def scenario() -> Incident2020:
    return build_incident_2020(now=NOW, seed=7)


def _cert(s: Incident2020, name: str) -> x509.Certificate:
    return s.hierarchy[name].certificate


def _rule(exc: pytest.ExceptionInfo[OCSPVerifyError]) -> str:
    return exc.value.rule


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_cert_id_matches_cryptography_request_hashes(
    scenario: Incident2020, algorithm: str
) -> None:
    leaf, issuer = _cert(scenario, "leaf_good"), _cert(scenario, "ica_b")
    parsed = parse_request(build_request(leaf, issuer, hash_algorithm=algorithm))
    ours = cert_id_for(issuer, leaf.serial_number, algorithm)
    reference = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(
            leaf, issuer, {"sha1": hashes.SHA1(), "sha256": hashes.SHA256()}[algorithm]
        )
        .build()
    )
    assert parsed.cert_id == ours
    assert ours.issuer_key_hash == reference.issuer_key_hash
    assert ours.issuer_name_hash == reference.issuer_name_hash
    assert parsed.nonce is None


def test_request_carries_the_nonce_given(scenario: Incident2020) -> None:
    der = build_request(_cert(scenario, "leaf_good"), _cert(scenario, "ica_b"), nonce=b"n" * 16)
    assert parse_request(der).nonce == b"n" * 16


@pytest.mark.parametrize("nonce", [b"", b"x" * 33])
def test_request_refuses_nonce_outside_rfc8954_length(scenario: Incident2020, nonce: bytes) -> None:
    with pytest.raises(ValueError, match="nonce"):
        build_request(_cert(scenario, "leaf_good"), _cert(scenario, "ica_b"), nonce=nonce)


@pytest.mark.parametrize("garbage", [b"", b"\x30\x03\x02\x01\x01", b"not der at all"])
def test_parse_request_rejects_garbage(garbage: bytes) -> None:
    with pytest.raises(OCSPRequestError):
        parse_request(garbage)


def test_forgery_by_sibling_with_ocspsigning_passes_rfc6960(scenario: Incident2020) -> None:
    result = verify_response(
        scenario.forged_good_ica_b,
        issuer=_cert(scenario, "root"),
        cert=_cert(scenario, "ica_b"),
        now=NOW,
        policy="rfc6960",
    )
    assert (result.status, result.delegated) == ("good", True)
    assert result.signer == _cert(scenario, "ica_a")


def test_revoked_intermediate_vouches_for_itself_under_rfc6960(scenario: Incident2020) -> None:
    result = verify_response(
        scenario.forged_good_ica_a,
        issuer=_cert(scenario, "root"),
        cert=_cert(scenario, "ica_a"),
        now=NOW,
    )
    assert "ica_a" in scenario.revocations
    assert result.status == "good"


@pytest.mark.parametrize("forgery", ["forged_good_ica_b", "forged_good_ica_a"])
def test_baseline_rejects_ca_responder(scenario: Incident2020, forgery: str) -> None:
    about = "ica_a" if forgery.endswith("ica_a") else "ica_b"
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(
            getattr(scenario, forgery),
            issuer=_cert(scenario, "root"),
            cert=_cert(scenario, about),
            now=NOW,
            policy="baseline",
        )
    assert _rule(exc) == "baseline.responder.is_ca"


@pytest.mark.parametrize("policy", ["rfc6960", "baseline"])
def test_forgery_without_eku_fails_both_policies(scenario: Incident2020, policy: str) -> None:
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(
            scenario.forged_good_ica_b_noeku,
            issuer=_cert(scenario, "root"),
            cert=_cert(scenario, "ica_b"),
            now=NOW,
            policy=policy,  # type: ignore[arg-type]
        )
    assert _rule(exc) == "rfc6960.responder.missing_ocspsigning"


def test_noeku_intermediate_shares_the_key_of_ica_a(scenario: Incident2020) -> None:
    a, noeku = _cert(scenario, "ica_a"), _cert(scenario, "ica_a_noeku")
    assert a.public_key() == noeku.public_key()
    assert (
        x509.ExtendedKeyUsageOID.OCSP_SIGNING
        not in noeku.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )


def test_genuine_answer_passes_baseline_with_revocation_details(scenario: Incident2020) -> None:
    result = verify_response(
        scenario.genuine_revoked_ica_b,
        issuer=_cert(scenario, "root"),
        cert=_cert(scenario, "ica_b"),
        now=NOW,
        policy="baseline",
    )
    assert result.status == "revoked"
    assert result.revocation_time == scenario.revocations["ica_b"].time
    assert result.revocation_reason == "superseded"
    assert result.next_update == result.this_update + dt.timedelta(days=1)
    assert result.signer == _cert(scenario, "responder")


def test_fixed_responder_is_short_lived_end_entity(scenario: Incident2020) -> None:
    responder = _cert(scenario, "responder")
    assert not responder.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert responder.extensions.get_extension_for_class(x509.OCSPNoCheck)
    life = responder.not_valid_after_utc - responder.not_valid_before_utc
    assert life < dt.timedelta(days=RESPONDER_DAYS)


@pytest.mark.parametrize(
    ("responder", "rule", "detail"),
    [
        ({"ocsp_nocheck": False}, "baseline.responder.missing_ocsp_nocheck", "absent"),
        ({"ekus": ["OCSPSigning", "serverAuth"]}, "baseline.responder.extra_eku",
         "1.3.6.1.5.5.7.3.1"),
    ],
)  # fmt: skip
def test_baseline_rejects_a_responder_rfc6960_accepts(
    responder: dict[str, object], rule: str, detail: str
) -> None:
    """A delegated end-entity responder RFC 6960 accepts but today's BR 7.1.2.8 does not."""
    from sim.pki import build_hierarchy

    spec = {
        "certificates": [
            {"name": "root", "kind": "root"},
            {"name": "r", "kind": "ocsp_responder", "issuer": "root", **responder},
            {"name": "leaf", "kind": "tls_server", "issuer": "root"},
        ]
    }
    h = build_hierarchy(spec, now=NOW)
    root, leaf = h["root"].certificate, h["leaf"].certificate
    der = sign_response(
        cert_id_for(root, leaf.serial_number),
        status="good",
        signer_cert=h["r"].certificate,
        signer_key=h["r"].private_key,
        now=NOW,
    )
    assert verify_response(der, issuer=root, cert=leaf, now=NOW).status == "good"
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(der, issuer=root, cert=leaf, now=NOW, policy="baseline")
    assert _rule(exc) == rule
    assert detail in str(exc.value)


def test_responder_not_issued_by_the_issuer_is_rejected(scenario: Incident2020) -> None:
    # The root's responder answering about a leaf of ICA-B: right EKU, wrong issuer.
    der = sign_response(
        cert_id_for(_cert(scenario, "ica_b"), _cert(scenario, "leaf_good").serial_number),
        status="good",
        signer_cert=_cert(scenario, "responder"),
        signer_key=scenario.hierarchy["responder"].private_key,
        now=NOW,
    )
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(
            der, issuer=_cert(scenario, "ica_b"), cert=_cert(scenario, "leaf_good"), now=NOW
        )
    assert _rule(exc) == "rfc6960.responder.not_issued_by_issuer"


def _issuer_signed(s: Incident2020, **kwargs: object) -> bytes:
    ica_b = s.hierarchy["ica_b"]
    return sign_response(
        cert_id_for(ica_b.certificate, _cert(s, "leaf_good").serial_number),
        status="good",
        signer_cert=ica_b.certificate,
        signer_key=ica_b.private_key,
        **kwargs,  # type: ignore[arg-type]
    )


def test_issuer_signed_answer_is_not_delegated(scenario: Incident2020) -> None:
    der = _issuer_signed(scenario, now=NOW)
    result = verify_response(
        der,
        issuer=_cert(scenario, "ica_b"),
        cert=_cert(scenario, "leaf_good"),
        now=NOW,
        policy="baseline",
    )
    assert (result.status, result.delegated) == ("good", False)
    assert list(ocsp.load_der_ocsp_response(der).certificates) == []


@pytest.mark.parametrize(
    ("offset", "rule"),
    [
        (dt.timedelta(hours=-1), "ocsp.validity.this_update_in_future"),
        (dt.timedelta(days=2), "ocsp.validity.next_update_passed"),
    ],
)
def test_validity_window_is_enforced(
    scenario: Incident2020, offset: dt.timedelta, rule: str
) -> None:
    der = _issuer_signed(scenario, now=NOW)
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(
            der,
            issuer=_cert(scenario, "ica_b"),
            cert=_cert(scenario, "leaf_good"),
            now=NOW + offset,
        )
    assert _rule(exc) == rule


def test_certid_mismatch_is_named(scenario: Incident2020) -> None:
    der = _issuer_signed(scenario, now=NOW)
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(
            der, issuer=_cert(scenario, "ica_b"), cert=_cert(scenario, "leaf_revoked"), now=NOW
        )
    assert _rule(exc) == "ocsp.certid.mismatch"


@pytest.mark.parametrize(
    ("sent", "echoed", "rule"),
    [(b"abc", None, "ocsp.nonce.missing"), (b"abc", b"abd", "ocsp.nonce.mismatch")],
)
def test_nonce_is_checked(
    scenario: Incident2020, sent: bytes, echoed: bytes | None, rule: str
) -> None:
    der = _issuer_signed(scenario, now=NOW, nonce=echoed)
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(
            der,
            issuer=_cert(scenario, "ica_b"),
            cert=_cert(scenario, "leaf_good"),
            now=NOW,
            nonce=sent,
        )
    assert _rule(exc) == rule


def test_matching_nonce_verifies(scenario: Incident2020) -> None:
    der = _issuer_signed(scenario, now=NOW, nonce=b"abc")
    assert (
        verify_response(
            der,
            issuer=_cert(scenario, "ica_b"),
            cert=_cert(scenario, "leaf_good"),
            now=NOW,
            nonce=b"abc",
        ).status
        == "good"
    )


def test_tampered_signature_is_named(scenario: Incident2020) -> None:
    der = bytearray(_issuer_signed(scenario, now=NOW))
    der[-5] ^= 0x01  # inside the signature BIT STRING at the end
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(
            bytes(der), issuer=_cert(scenario, "ica_b"), cert=_cert(scenario, "leaf_good"), now=NOW
        )
    assert _rule(exc) in ("ocsp.signature.invalid", "ocsp.response.malformed")


@pytest.mark.parametrize(
    ("der", "rule"),
    [
        (b"garbage", "ocsp.response.malformed"),
        (unsuccessful_response("unauthorized"), "ocsp.response.unsuccessful"),
    ],
)
def test_unusable_responses_are_named(scenario: Incident2020, der: bytes, rule: str) -> None:
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(
            der, issuer=_cert(scenario, "ica_b"), cert=_cert(scenario, "leaf_good"), now=NOW
        )
    assert _rule(exc) == rule
    assert exc.value.rule in RULES


def test_naive_now_is_refused(scenario: Incident2020) -> None:
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(ValueError, match="now"):
        build_incident_2020(now=naive)
    with pytest.raises(ValueError, match="now"):
        verify_response(
            scenario.forged_good_ica_b,
            issuer=_cert(scenario, "root"),
            cert=_cert(scenario, "ica_b"),
            now=naive,
        )


def test_revoked_status_needs_a_revocation(scenario: Incident2020) -> None:
    with pytest.raises(ValueError, match="revocation"):
        sign_response(
            cert_id_for(_cert(scenario, "ica_b"), 1),
            status="revoked",
            signer_cert=_cert(scenario, "ica_b"),
            signer_key=scenario.hierarchy["ica_b"].private_key,
            now=NOW,
        )


# --- the pre-signed store -------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(scenario: Incident2020) -> PresignedResponder:
    return PresignedResponder(
        scenario.hierarchy, revocations=scenario.revocations, signers=scenario.signers, now=NOW
    )


@pytest.mark.parametrize(
    ("name", "issuer", "status"),
    [
        ("leaf_good", "ica_b", "good"),
        ("leaf_revoked", "ica_b", "revoked"),
        ("ica_b", "root", "revoked"),
        ("ica_a", "root", "revoked"),
    ],
)
def test_store_answers_presigned_and_verifiable(
    scenario: Incident2020, store: PresignedResponder, name: str, issuer: str, status: str
) -> None:
    for algorithm in ("sha1", "sha256"):
        request = build_request(
            _cert(scenario, name), _cert(scenario, issuer), hash_algorithm=algorithm
        )
        answer = store.respond(request, now=NOW + dt.timedelta(minutes=1))
        assert (answer.status, answer.presigned) == (status, True)
        verified = verify_response(
            answer.der,
            issuer=_cert(scenario, issuer),
            cert=_cert(scenario, name),
            now=NOW,
            policy="baseline",
        )
        assert verified.status == status


def test_store_answers_unknown_serial_and_unauthorized_issuer(
    scenario: Incident2020, store: PresignedResponder
) -> None:
    from sim.pki import build_hierarchy

    other = build_hierarchy(
        {
            "certificates": [
                {"name": "x", "kind": "root"},
                {"name": "y", "kind": "tls_server", "issuer": "x"},
            ]
        },
        now=NOW,
    )
    stranger = build_request(other["y"].certificate, other["x"].certificate)
    assert store.respond(stranger, now=NOW).status == "unauthorized"
    ica_b = _cert(scenario, "ica_b")
    der = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            cert_id_for(ica_b, 4242).issuer_name_hash,
            cert_id_for(ica_b, 4242).issuer_key_hash,
            4242,
            hashes.SHA1(),
        )
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    first = store.respond(der, now=NOW)
    assert first.status == "unknown"
    assert verify_response(first.der, issuer=ica_b, cert=4242, now=NOW).status == "unknown"
    assert store.respond(der, now=NOW).presigned  # the second ask is a lookup
    assert store.respond(b"\x00junk", now=NOW).status == "malformedRequest"


def test_store_refreshes_before_next_update(scenario: Incident2020) -> None:
    store = PresignedResponder(
        scenario.hierarchy,
        revocations=scenario.revocations,
        signers=scenario.signers,
        now=NOW,
        validity=dt.timedelta(hours=8),
    )
    request = build_request(_cert(scenario, "leaf_good"), _cert(scenario, "ica_b"))
    later = NOW + dt.timedelta(hours=5)  # past the midpoint, before nextUpdate
    answer = store.respond(request, now=later)
    verified = verify_response(
        answer.der, issuer=_cert(scenario, "ica_b"), cert=_cert(scenario, "leaf_good"), now=later
    )
    assert verified.this_update == later.replace(microsecond=0)
    assert store.refresh_at == later + dt.timedelta(hours=4)


def test_store_ignores_nonce_unless_asked(
    scenario: Incident2020, store: PresignedResponder
) -> None:
    request = build_request(_cert(scenario, "leaf_good"), _cert(scenario, "ica_b"), nonce=b"n1")
    plain = store.respond(request, now=NOW)
    assert plain.presigned
    with pytest.raises(OCSPVerifyError):
        verify_response(
            plain.der,
            issuer=_cert(scenario, "ica_b"),
            cert=_cert(scenario, "leaf_good"),
            now=NOW,
            nonce=b"n1",
        )
    honouring = PresignedResponder(
        scenario.hierarchy, revocations=scenario.revocations, now=NOW, honour_nonce=True
    )
    fresh = honouring.respond(request, now=NOW)
    assert not fresh.presigned
    assert (
        verify_response(
            fresh.der,
            issuer=_cert(scenario, "ica_b"),
            cert=_cert(scenario, "leaf_good"),
            now=NOW,
            nonce=b"n1",
        ).status
        == "good"
    )


def test_store_refuses_unknown_names(scenario: Incident2020) -> None:
    with pytest.raises(ValueError, match="nope"):
        PresignedResponder(scenario.hierarchy, now=NOW, revocations={"nope": Revocation(NOW)})


def test_policy_and_status_are_closed_sets(scenario: Incident2020) -> None:
    root, ica_b = _cert(scenario, "root"), _cert(scenario, "ica_b")
    with pytest.raises(ParameterError, match="policy must be one of rfc6960, baseline"):
        verify_response(scenario.genuine_revoked_ica_b, issuer=root, cert=ica_b, now=NOW,
                        policy="strict")  # fmt: skip
    with pytest.raises(ParameterError, match="status must be one of good, revoked, unknown"):
        sign_response(
            cert_id_for(root, 1), status="fine", signer_cert=root,  # type: ignore[arg-type]
            signer_key=scenario.hierarchy["root"].private_key, now=NOW,
        )  # fmt: skip
    # A plain string still selects the policy: the enum keeps the strings users type.
    result = verify_response(scenario.genuine_revoked_ica_b, issuer=root, cert=ica_b, now=NOW,
                             policy="baseline")  # fmt: skip
    assert result.policy is OCSPPolicy.BASELINE and result.status is CertStatus.REVOKED


def test_repeated_requests_skip_the_parse_and_long_ones_are_never_kept(
    scenario: Incident2020,
) -> None:
    from sim import ocsp_store

    responder = PresignedResponder(
        scenario.hierarchy, revocations=scenario.revocations, signers=scenario.signers, now=NOW
    )
    request = build_request(_cert(scenario, "leaf_good"), _cert(scenario, "ica_b"))
    ocsp_store._parse_cached.cache_clear()
    first = responder.respond(request, now=NOW)
    again = responder.respond(request, now=NOW)
    assert again == first and first.status == "good"
    assert ocsp_store._parse_cached.cache_info().hits == 1
    # Garbage the size of a large body is answered, and not kept: memory stays bounded.
    assert responder.respond(b"\x30" * 4000, now=NOW).status == "malformedRequest"
    assert ocsp_store._parse_cached.cache_info().currsize == 1
