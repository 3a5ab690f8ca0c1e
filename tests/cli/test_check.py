"""``revlab check HOST[:PORT]``: the verdicts of the API, from the command line."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from revlab import main
from sim.pki import Hierarchy
from tests.conftest import NOW, REPO
from tests.extension_api.tls_servers import affected_intermediate_pem, hierarchy, serve

ALLOW = ["--allow-host", "127.0.0.1", "--timeout", "1"]


@pytest.fixture(scope="module")
def pki() -> Hierarchy:
    """Root -> ica -> leaf, and ica2 (same key as ica) -> leaf2."""
    return hierarchy(NOW, reissue=True)


def test_check_reports_affected_with_the_ca_label_and_exit_1(
    pki: Hierarchy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(tmp_path, [pki["leaf"].pem, affected_intermediate_pem(0)],
               pki["leaf"].key_pem()) as server:
        code = main(["check", server.target, *ALLOW])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith(f"{server.target}: affected\n")
    assert "AC Camerfirma" in out


def test_check_exits_0_when_the_site_serves_the_known_clean_reissue(
    pki: Hierarchy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    der = (REPO / "tests/data/real_quovadis_reissue.der").read_bytes()
    reissue = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
    with serve(tmp_path, [pki["leaf"].pem, reissue], pki["leaf"].key_pem()) as server:
        code = main(["check", server.target, *ALLOW])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"{server.target}: affected_key\n")
    assert "known clean re-issue" in out


def test_check_reports_clean_with_exit_0_and_json(
    pki: Hierarchy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(tmp_path, [pki["leaf"].pem, pki["ica"].pem], pki["leaf"].key_pem()) as server:
        code = main(["check", server.target, *ALLOW, "--json"])
    body = json.loads(capsys.readouterr().out)
    assert (code, body["verdict"]) == (0, "clean")
    assert [c["sha256"] for c in body["chain"]] == [pki["leaf"].sha256, pki["ica"].sha256]


def test_check_reports_affected_key_for_a_reissue_of_a_listed_intermediate(
    pki: Hierarchy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = tmp_path / "listed.pem"
    listed.write_bytes(pki["ica"].pem)
    with serve(tmp_path, [pki["leaf2"].pem, pki["ica2"].pem], pki["leaf2"].key_pem()) as server:
        code = main(["check", server.target, *ALLOW, "--registry", str(listed),
                     "--ca-label", "Lab CA"])
    assert code == 1
    assert capsys.readouterr().out.startswith(f"{server.target}: affected_key\n")


@pytest.mark.parametrize("mode", ["close", "silent"])
def test_check_reports_unknown_with_exit_3_when_the_server_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    with serve(tmp_path, mode=mode) as server:  # type: ignore[arg-type]
        code = main(["check", server.target, "--allow-host", "127.0.0.1", "--timeout", "0.5"])
    assert code == 3
    assert ": unknown\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["check", "127.0.0.1:1"], "loopback address"),
     (["check", "169.254.169.254"], "link-local"),
     (["check", "0177.0.0.1"], "canonical"),
     (["check", "example.com:70000"], "port"),
     (["check", "[::1"], "IPv6"),
     (["check", "127.0.0.1", "--timeout", "0"], "--timeout")],
)
def test_check_input_errors_are_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_check_accepts_an_https_url_and_ignores_its_path(
    pki: Hierarchy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(tmp_path, [pki["leaf"].pem, pki["ica"].pem], pki["leaf"].key_pem()) as server:
        code = main(["check", f"https://{server.target}/some/page?q=1", *ALLOW])
    assert code == 0
    assert capsys.readouterr().out.startswith(f"{server.target}: clean\n")


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """DNS where no name resolves (the fetcher's system resolver asks getaddrinfo)."""
    asked: list[str] = []

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_check_says_a_name_that_does_not_resolve_is_unknown_with_exit_3(
    no_dns: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "https://nowhere.example/"])
    captured = capsys.readouterr()
    assert (code, no_dns) == (3, ["nowhere.example"])
    assert captured.out.startswith("nowhere.example:443: unknown\n")
    assert "the name does not resolve (Name or service not known)" in captured.out
    assert "--allow-host" not in captured.out + captured.err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [(["--allow-host", "notanip/99"], "", "--allow-host: 'notanip/99' is not a hostname"),
     (["--allow-host", "10.0.0.0/33"], "", "--allow-host: '10.0.0.0/33' is not a hostname"),
     ([], "127.0.0.1,notanip/99", "REVLAB_ALLOW_HOSTS: 'notanip/99' is not a hostname")],
)
def test_check_refuses_allow_list_entries_that_name_nothing(
    argv: list[str], env: str, message: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], no_dns: list[str],
) -> None:
    monkeypatch.setenv("REVLAB_ALLOW_HOSTS", env)
    assert main(["check", "example.com", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert no_dns == []  # refused before any lookup


@pytest.mark.parametrize(
    ("target", "message"),
    [("http://example.com/", "only https:// URLs"),
     ("https://example.com:x/", "port 'x' is not a number")],
)
def test_check_refuses_urls_that_name_no_tls_server(
    target: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", target]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
