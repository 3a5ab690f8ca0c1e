"""The 2020 OCSP forgery as files that ``openssl ocsp`` checks (``revlab ocsp demo``, lesson 2).

`write_demo` writes the certificates (PEM), the forged and genuine responses (DER) and a
README.txt with the exact ``openssl ocsp`` commands and the outcome each gives. Before writing, it
checks that the baseline policy says what the README promises.
"""

from __future__ import annotations

import datetime as dt
import errno
from pathlib import Path

from sim.ocsp import OCSPVerifyError, verify_response
from sim.ocsp_scenario import Incident2020, build_incident_2020

__all__ = ["DEMO_FILES", "write_demo"]

#: Every file ``demo`` writes, in README order.
DEMO_FILES: tuple[str, ...] = (
    "root.pem",
    "ica_a.pem",
    "ica_b.pem",
    "ica_a_noeku.pem",
    "responder.pem",
    "forged_good_ica_b.der",
    "forged_good_ica_a.der",
    "forged_good_ica_b_noeku.der",
    "genuine_revoked_ica_b.der",
    "README.txt",
)

# (response file, certificate asked about, what openssl says, what `baseline` says)
_CHECKS: tuple[tuple[str, str, str, str], ...] = (
    (
        "forged_good_ica_b.der",
        "ica_b.pem",
        "exit 0, 'Response verify OK', 'ica_b.pem: good': ICA-A's OCSPSigning EKU makes it an "
        "authorized responder for its sibling (RFC 6960 4.2.2.2); the forgery is accepted",
        "rejected: baseline.responder.is_ca",
    ),
    (
        "forged_good_ica_a.der",
        "ica_a.pem",
        "exit 0, 'Response verify OK', 'ica_a.pem: good': revoked ICA-A vouches for itself",
        "rejected: baseline.responder.is_ca",
    ),
    (
        "forged_good_ica_b_noeku.der",
        "ica_b.pem",
        "exit 1, 'Response Verify Failure' with 'missing ocspsigning usage': the same key "
        "without the EKU is no responder (it still prints 'ica_b.pem: good' after the failure: "
        "read the exit code, not the status line)",
        "rejected: rfc6960.responder.missing_ocspsigning",
    ),
    (
        "genuine_revoked_ica_b.der",
        "ica_b.pem",
        "exit 0, 'Response verify OK', 'ica_b.pem: revoked' with the reason superseded: the "
        "dedicated responder (end-entity, OCSPSigning, ocsp-nocheck, short-lived)",
        "accepted: revoked",
    ),
)



def _readme(scenario: Incident2020, now: dt.datetime) -> str:
    root = scenario.hierarchy["root"].certificate
    lines = [
        "Revocation Lab: the 2020 delegated-responder forgery, as files",
        "",
        f"Built at {now.isoformat()} (thisUpdate; answers are valid for one day, the",
        "responder certificate for a few days: past that, openssl warns 'Status times",
        "invalid' or fails on the expired responder; add -attime EPOCH to check at build time).",
        "",
        "root.pem             Root R (trust anchor)",
        "ica_a.pem            ICA-A, run by another company, carries id-kp-OCSPSigning",
        "ica_b.pem            ICA-B, ICA-A's sibling; revoked by R",
        "ica_a_noeku.pem      ICA-A re-issued with the same key, without OCSPSigning",
        "responder.pem        the fix: end-entity OCSP responder (OCSPSigning, ocsp-nocheck,",
        "                     short-lived) issued by R",
        "",
        "R revoked ICA-B and ICA-A. Check each answer with (run in this directory):",
        "",
    ]
    for response, cert, openssl_says, baseline_says in _CHECKS:
        lines += [
            f"  openssl ocsp -respin {response} -issuer root.pem -cert {cert} "
            "-CAfile root.pem -no_nonce",
            f"    openssl: {openssl_says}",
            f"    revlab baseline policy: {baseline_says}",
            "",
        ]
    lines += [
        "In Python: sim.ocsp.verify_response(der, issuer=root, cert=ica_b, now=...,",
        "policy='baseline') raises OCSPVerifyError naming the rule for every forgery.",
        f"Root R: {root.subject.rfc4514_string()}",
        "",
    ]
    return "\n".join(lines)


def write_demo(out: Path, *, now: dt.datetime, seed: int = 0) -> list[Path]:
    """Write the demo files into ``out`` (created if needed); returns the paths written.

    Raises:
        OSError: ``out`` exists and is not a directory, or cannot be written (the error names
            the path).
    """
    scenario = build_incident_2020(now=now, seed=seed)
    h = scenario.hierarchy
    contents: dict[str, bytes] = {
        "root.pem": h["root"].pem,
        "ica_a.pem": h["ica_a"].pem,
        "ica_b.pem": h["ica_b"].pem,
        "ica_a_noeku.pem": h["ica_a_noeku"].pem,
        "responder.pem": h["responder"].pem,
        "forged_good_ica_b.der": scenario.forged_good_ica_b,
        "forged_good_ica_a.der": scenario.forged_good_ica_a,
        "forged_good_ica_b_noeku.der": scenario.forged_good_ica_b_noeku,
        "genuine_revoked_ica_b.der": scenario.genuine_revoked_ica_b,
        "README.txt": _readme(scenario, now).encode(),
    }
    # Self-check before writing: the files must say what the README promises.
    root = h["root"].certificate
    for response, cert, _, baseline_says in _CHECKS:
        about = h[cert.removesuffix(".pem")].certificate
        try:
            verify_response(contents[response], issuer=root, cert=about, now=now, policy="baseline")
            outcome = "accepted"
        except OCSPVerifyError as exc:
            outcome = f"rejected: {exc.rule}"
        if not baseline_says.startswith(outcome):
            raise RuntimeError(f"{response}: baseline says {outcome!r}, README {baseline_says!r}")
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a directory", str(out))
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in DEMO_FILES:
        path = out / name
        path.write_bytes(contents[name])
        paths.append(path)
    return paths
