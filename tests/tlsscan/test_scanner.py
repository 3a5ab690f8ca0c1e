"""The bulk scanner on a loopback farm: every kind of site the issue lists, each verdict equal to
what ``POST /v1/chain`` says for the same chain."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from extension_api import create_app
from sim.loader import load_ccadb_csv
from sim.pki import build_hierarchy
from sim.registry import shipped_registry
from tests.conftest import NOW, TEST_DATA
from tests.extension_api.tls_servers import affected_intermediate_pem, hierarchy, serve
from tlsscan.results import ScanResult, judge
from tlsscan.scanner import ScanErrorKind, ScanOptions, Served, scan_stream, scan_target
from tlsscan.targets import Target


@dataclass(frozen=True)
class Site:
    """A farm site: its name (mapped by the fake resolver), port and what it should give."""

    name: str
    port: int
    verdict: str
    error: ScanErrorKind | None = None

    @property
    def target(self) -> Target:
        return Target(self.name, self.port)


def _pem(der: bytes) -> bytes:
    return ssl.DER_cert_to_PEM_cert(der).encode("ascii")


def _real_unlisted_intermediates(count: int) -> list[bytes]:
    """Real CA certificates from the vendored CCADB sample: parseable, not listed (neither
    their hash nor their key), no OCSPSigning."""
    registry = shipped_registry()
    keys = {e.spki_sha256 for e in registry.entries}
    found = []
    for record in load_ccadb_csv((TEST_DATA / "ccadb_sample.csv").read_bytes()):
        if (record.ok and record.is_ca and not record.has_ocsp_signing and record.der
                and record.subject != record.issuer
                and record.sha256 not in registry.by_sha256 and record.spki_sha256 not in keys):
            found.append(_pem(record.der))
        if len(found) == count:
            return found
    raise AssertionError("the CCADB sample has too few unlisted intermediates")


def _responder_hierarchy() -> Any:
    return build_hierarchy(
        {"name": "r", "certificates": [
            {"name": "root", "kind": "root"},
            {"name": "ica", "kind": "intermediate", "issuer": "root",
             "ekus": ["serverAuth", "OCSPSigning"]},
            {"name": "leaf", "kind": "tls_server", "issuer": "ica", "dns_names": ["r.test"]},
        ]},
        now=NOW, seed=7,
    )


@pytest.fixture(scope="module")
def farm() -> Iterator[list[Site]]:
    """Real TLS servers on 127.0.0.1, one per kind of site, under names of the fake resolver."""
    pki = hierarchy(NOW)
    old = hierarchy(NOW - dt.timedelta(days=900), seed=3)  # its leaf expired long ago
    responder = _responder_hierarchy()
    quovadis = _pem((TEST_DATA / "real_quovadis_reissue.der").read_bytes())
    leaf, key = pki["leaf"].pem, pki["leaf"].key_pem()
    with ExitStack() as stack:
        def up(chain: Sequence[bytes] = (), key_pem: bytes = b"", mode: Any = "tls") -> int:
            return stack.enter_context(serve(Path("."), chain, key_pem, mode=mode)).port

        closed = up(mode="close")
        stack.close()  # nobody listens there any more: refused
        sites = [
            Site("affected.test", up([leaf, affected_intermediate_pem(0)], key), "affected"),
            Site("reissue.test", up([leaf, quovadis], key), "affected_key"),
            Site("responder.test", up([responder["leaf"].pem, responder["ica"].pem],
                                      responder["leaf"].key_pem()), "dangerous_responder"),
            Site("real.test", up([leaf, *_real_unlisted_intermediates(2)], key), "clean"),
            Site("expired.test", up([old["leaf"].pem, old["ica"].pem], old["leaf"].key_pem()),
                 "clean"),
            Site("selfsigned.test", up([pki["root"].pem], pki["root"].key_pem()), "clean"),
            Site("silent.test", up(mode="silent"), "unknown", ScanErrorKind.TIMEOUT),
            Site("garbage.test", up(mode="garbage"), "unknown", ScanErrorKind.TLS),
            Site("closed.test", closed, "unknown", ScanErrorKind.REFUSED),
            Site("nowhere.test", 443, "unknown", ScanErrorKind.DNS),
        ]
        yield sites


def resolver(host: str, port: int) -> list[str]:
    """Every ``*.test`` name but ``nowhere.test`` is 127.0.0.1; other names do not resolve."""
    del port
    if host.endswith(".test") and host != "nowhere.test":
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


OPTIONS = ScanOptions(timeout=1.0, concurrency=8, allow_private=True)


def _scan(targets: Sequence[Target], options: ScanOptions = OPTIONS) -> dict[str, Served]:
    async def run() -> list[Served]:
        return [s async for s in scan_stream(targets, options, resolver=resolver)]

    return {s.host: s for s in asyncio.run(run())}


@pytest.fixture(scope="module")
def scanned(farm: list[Site]) -> dict[str, Served]:
    return _scan([s.target for s in farm])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    app = create_app({"TESTING": True, "data_dir": tmp_path_factory.mktemp("api"),
                      "rate_limit": "", "hosts_rate_limit": ""})
    yield app.test_client()
    app.extensions["revlab"].store.dispose()


KINDS = ["affected.test", "reissue.test", "responder.test", "real.test", "expired.test",
         "selfsigned.test", "silent.test", "garbage.test", "closed.test", "nowhere.test"]


@pytest.mark.parametrize("name", KINDS)
def test_each_kind_of_site_gets_its_verdict_and_error_class(
    farm: list[Site], scanned: dict[str, Served], name: str
) -> None:
    site = next(s for s in farm if s.name == name)
    result = judge(scanned[name], shipped_registry())
    assert (result.verdict.value, result.error) == (site.verdict, site.error)
    assert result.port == site.port
    if site.error is None:
        assert result.address == "127.0.0.1"
        assert result.tls_version in ("TLSv1.2", "TLSv1.3")
        assert len(result.chain) >= 1
    else:
        assert (result.address, result.chain) == (None, ())


@pytest.mark.parametrize("name", [k for k in KINDS if not k.startswith(
    ("silent", "garbage", "closed", "nowhere"))])
def test_each_verdict_equals_what_post_v1_chain_says(
    scanned: dict[str, Served], api: FlaskClient, name: str
) -> None:
    served = scanned[name]
    result: ScanResult = judge(served, shipped_registry())
    response = api.post("/v1/chain", json={
        "chain": [base64.b64encode(der).decode() for der in served.chain]
    })
    assert response.status_code == 200, response.json
    body = response.json
    assert body is not None
    assert result.verdict.value == body["verdict"]
    assert result.reason == body["summary"]
    assert result.chain == tuple(c["sha256"] for c in body["chain"])
    assert result.listed == (None if body["match"] is None else body["match"]["entry"])
    assert result.remedy == body["remedy"]


def test_the_real_2020_intermediate_names_its_ca_and_the_quovadis_reissue_is_the_fix(
    scanned: dict[str, Served]
) -> None:
    affected = judge(scanned["affected.test"], shipped_registry())
    reissue = judge(scanned["reissue.test"], shipped_registry())
    assert affected.listed is not None and affected.listed["ca_label"] == "AC Camerfirma"
    assert affected.finding
    assert reissue.known_reissue and not reissue.finding
    responder = judge(scanned["responder.test"], shipped_registry())
    assert responder.decided_by is not None and responder.decided_by["position"] == 1


def test_a_loopback_target_without_allow_private_is_refused_by_the_guard(
    farm: list[Site],
) -> None:
    site = farm[0]
    found = _scan([site.target, Target("127.0.0.1", site.port), Target("::1", site.port)],
                  ScanOptions(timeout=1.0, concurrency=4))
    assert {s.error for s in found.values()} == {ScanErrorKind.GUARD}
    assert "loopback" in (found["affected.test"].detail or "")


def test_a_server_that_never_answers_times_out_within_the_deadline(farm: list[Site]) -> None:
    silent = next(s for s in farm if s.name == "silent.test")
    started = time.monotonic()
    served = asyncio.run(scan_target(silent.target, ScanOptions(timeout=0.5,
                                                               allow_private=True),
                                     resolver=resolver))
    assert served.error is ScanErrorKind.TIMEOUT
    assert time.monotonic() - started < 0.5 + 1.5  # the deadline, plus start-up slack


def test_one_deadline_covers_all_the_addresses_of_a_target(farm: list[Site]) -> None:
    silent = next(s for s in farm if s.name == "silent.test")

    def three_silent(host: str, port: int) -> list[str]:
        return ["127.0.0.1", "127.0.0.1", "127.0.0.1"]

    started = time.monotonic()
    served = asyncio.run(scan_target(silent.target, ScanOptions(timeout=1.0,
                                                               allow_private=True),
                                     resolver=three_silent))
    assert served.error is ScanErrorKind.TIMEOUT
    # Three addresses with a deadline each would take 3 s; one deadline for all takes 1 s.
    assert time.monotonic() - started < 2.5


def test_the_next_address_is_tried_when_the_first_refuses(farm: list[Site]) -> None:
    site = next(s for s in farm if s.name == "affected.test")

    def refused_then_served(host: str, port: int) -> list[str]:
        return ["127.0.0.2", "127.0.0.1"]  # nothing listens on 127.0.0.2

    served = asyncio.run(scan_target(site.target, OPTIONS, resolver=refused_then_served))
    assert (served.error, served.address) == (None, "127.0.0.1")
    assert judge(served, shipped_registry()).verdict.value == "affected"


def test_results_stream_as_they_complete_not_in_list_order(farm: list[Site]) -> None:
    silent = next(s for s in farm if s.name == "silent.test")
    fast = next(s for s in farm if s.name == "real.test")

    async def order() -> list[str]:
        return [s.host async for s in scan_stream(
            [silent.target, fast.target], OPTIONS, resolver=resolver)]

    assert asyncio.run(order()) == ["real.test", "silent.test"]


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"timeout": 0}, "timeout"), ({"timeout": 301}, "timeout"),
    ({"concurrency": 0}, "concurrency"),
])
def test_options_refuse_values_no_scan_can_run_with(kwargs: dict[str, Any], word: str) -> None:
    from sim.errors import ParameterError

    with pytest.raises(ParameterError, match=word):
        ScanOptions(**kwargs)
