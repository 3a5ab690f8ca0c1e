"""``revlab ocsp demo``: the files, checked by the real ``openssl ocsp``."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from revlab import main
from sim.ocsp import OCSPVerifyError, verify_response
from sim.ocsp_demo import DEMO_FILES
from tests.conftest import NOW, require_tool

# openssl ocsp checks thisUpdate/nextUpdate against the wall clock (-attime moves only the
# chain check), so the files openssl reads are built at the real current time, as a user's
# would be; the README's exact commands then apply unchanged.
BUILT_AT = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["ocsp", "demo", "--out", str(out), "--now", BUILT_AT.isoformat()]) == 0
    return out


def _openssl(demo: Path, response: str, cert: str) -> subprocess.CompletedProcess[str]:
    openssl = require_tool("openssl")
    return subprocess.run(
        [
            openssl,
            "ocsp",
            "-respin",
            response,
            "-issuer",
            "root.pem",
            "-cert",
            cert,
            "-CAfile",
            "root.pem",
            "-no_nonce",
        ],
        cwd=demo,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_demo_writes_exactly_the_documented_files(demo: Path) -> None:
    assert sorted(p.name for p in demo.iterdir()) == sorted(DEMO_FILES)
    readme = (demo / "README.txt").read_text()
    for name in DEMO_FILES[:-1]:
        assert name in readme
    assert "openssl ocsp -respin forged_good_ica_b.der -issuer root.pem -cert ica_b.pem" in readme


def test_ica_a_carries_ocspsigning_and_noeku_does_not(demo: Path) -> None:
    def ekus(name: str) -> list[x509.ObjectIdentifier]:
        cert = x509.load_pem_x509_certificate((demo / name).read_bytes())
        return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)

    assert x509.ExtendedKeyUsageOID.OCSP_SIGNING in ekus("ica_a.pem")
    assert x509.ExtendedKeyUsageOID.OCSP_SIGNING not in ekus("ica_a_noeku.pem")


@pytest.mark.parametrize(
    ("response", "cert", "status"),
    [
        ("forged_good_ica_b.der", "ica_b.pem", "good"),
        ("forged_good_ica_a.der", "ica_a.pem", "good"),
        ("genuine_revoked_ica_b.der", "ica_b.pem", "revoked"),
    ],
)
def test_openssl_accepts(demo: Path, response: str, cert: str, status: str) -> None:
    done = _openssl(demo, response, cert)
    assert done.returncode == 0, done.stderr
    assert "Response verify OK" in done.stderr
    assert f"{cert}: {status}" in done.stdout


def test_openssl_rejects_forgery_without_eku(demo: Path) -> None:
    done = _openssl(demo, "forged_good_ica_b_noeku.der", "ica_b.pem")
    assert done.returncode != 0
    assert "Response verify OK" not in done.stderr
    assert "missing ocspsigning usage" in done.stderr
    # The trap the README warns about: the status line is still printed after the failure.
    assert "ica_b.pem: good" in done.stdout


@pytest.mark.parametrize(
    ("response", "cert", "rule"),
    [
        ("forged_good_ica_b.der", "ica_b.pem", "baseline.responder.is_ca"),
        ("forged_good_ica_a.der", "ica_a.pem", "baseline.responder.is_ca"),
        ("forged_good_ica_b_noeku.der", "ica_b.pem", "rfc6960.responder.missing_ocspsigning"),
    ],
)
def test_baseline_rejects_every_forgery_file(
    demo: Path, response: str, cert: str, rule: str
) -> None:
    root = x509.load_pem_x509_certificate((demo / "root.pem").read_bytes())
    about = x509.load_pem_x509_certificate((demo / cert).read_bytes())
    with pytest.raises(OCSPVerifyError) as exc:
        verify_response(
            (demo / response).read_bytes(), issuer=root, cert=about, now=BUILT_AT, policy="baseline"
        )
    assert exc.value.rule == rule


def test_baseline_accepts_genuine_file(demo: Path) -> None:
    root = x509.load_pem_x509_certificate((demo / "root.pem").read_bytes())
    ica_b = x509.load_pem_x509_certificate((demo / "ica_b.pem").read_bytes())
    result = verify_response(
        (demo / "genuine_revoked_ica_b.der").read_bytes(),
        issuer=root,
        cert=ica_b,
        now=BUILT_AT,
        policy="baseline",
    )
    assert result.status == "revoked"


@pytest.mark.parametrize("now", ["yesterday", "2026-11-01T12:00:00"])
def test_bad_now_is_a_usage_error(
    tmp_path: Path, now: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ocsp", "demo", "--out", str(tmp_path / "d"), "--now", now]) == 2
    assert "--now" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_out_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["ocsp", "demo", "--out", str(target), "--now", NOW.isoformat()]) == 2
