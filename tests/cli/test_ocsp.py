"""``revlab ocsp demo`` and ``serve``: files and a live responder, checked by ``openssl ocsp``."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from revlab import main
from sim.ocsp_demo import DEMO_FILES
from sim.ocsp_verify import OCSPPolicy, OCSPVerifyError, verify_response
from tests.conftest import NOW, require_tool
from tests.servers import REVLAB, free_port, listening, running

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
            (demo / response).read_bytes(),
            issuer=root,
            cert=about,
            now=BUILT_AT,
            policy=OCSPPolicy.BASELINE,
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
        policy=OCSPPolicy.BASELINE,
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


# --- revlab ocsp serve: gunicorn on loopback, asked by openssl ocsp -url --------------------

SERVE_SEED = 5


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``revlab ocsp serve --out DIR`` on a free port; yields (url, DIR)."""
    certs = tmp_path_factory.mktemp("served") / "certs"
    log = certs.parent / "serve.log"
    port = free_port()
    argv = [*REVLAB, "ocsp", "serve", "--port", str(port), "--workers", "2", "--now",
            BUILT_AT.isoformat(), "--seed", str(SERVE_SEED), "--out", str(certs)]  # fmt: skip
    with log.open("w") as out, running(argv, lambda: listening(port), env=dict(os.environ),
                                       stdout=out, stderr=subprocess.STDOUT):  # fmt: skip
        yield f"http://127.0.0.1:{port}/", certs
    # A clean run prints the banner and nothing else (no tracebacks, no worker errors).
    printed = log.read_text()
    banner = f"OCSP responder: http://127.0.0.1:{port}/ (certificates in {certs})"
    assert printed.splitlines()[0] == banner
    assert "Traceback" not in printed and "ERROR" not in printed, printed


@pytest.mark.parametrize(
    ("issuer", "target", "expected"),
    [
        ("ica_b.pem", ["-cert", "leaf_good.pem"], "leaf_good.pem: good"),
        ("ica_b.pem", ["-cert", "leaf_revoked.pem"], "leaf_revoked.pem: revoked"),
        ("ica_b.pem", ["-serial", "4242"], "4242: unknown"),
        # Root R answers through its dedicated responder: the fixed hierarchy's genuine answer.
        ("root.pem", ["-cert", "ica_b.pem"], "ica_b.pem: revoked"),
    ],
)
def test_openssl_queries_the_served_responder(
    served: tuple[str, Path], issuer: str, target: list[str], expected: str
) -> None:
    openssl = require_tool("openssl")
    url, certs = served
    done = subprocess.run(
        [openssl, "ocsp", "-url", url, "-issuer", issuer, *target,
         "-CAfile", "root.pem", "-verify_other", issuer],
        cwd=certs, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Response verify OK" in done.stderr
    assert expected in done.stdout


def test_served_certificates_are_the_demo_hierarchy(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    """Same --now and --seed, same certificates: demo files and a served responder agree."""
    _, certs = served
    demo = tmp_path / "demo"
    assert main(["ocsp", "demo", "--out", str(demo), "--now", BUILT_AT.isoformat(),
                 "--seed", str(SERVE_SEED)]) == 0  # fmt: skip
    for name in ("root.pem", "ica_b.pem", "responder.pem"):
        served_cert = x509.load_pem_x509_certificate((certs / name).read_bytes())
        demo_cert = x509.load_pem_x509_certificate((demo / name).read_bytes())
        assert served_cert.serial_number == demo_cert.serial_number
        assert served_cert.public_key() == demo_cert.public_key()


def test_serve_on_a_busy_port_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["ocsp", "serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == f"revlab ocsp: port {port} on 127.0.0.1 is in use\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "--port 70000 is not between 1 and 65535"),
        (["--workers", "0"], "--workers 0 is not between 1 and 64"),
        (["--now", "2026-11-01T12:00:00"], "has no time zone"),
    ],
)
def test_serve_refuses_bad_options_in_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ocsp", "serve", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_serve_warns_when_the_short_lived_responder_has_expired() -> None:
    from revlab.ocsp import _expiry_warning
    from sim.ocsp_scenario import RESPONDER_DAYS

    assert _expiry_warning(NOW, NOW + dt.timedelta(days=RESPONDER_DAYS, seconds=-1)) is None
    warning = _expiry_warning(NOW, NOW + dt.timedelta(days=RESPONDER_DAYS))
    assert warning is not None and "responder certificate has expired" in warning
