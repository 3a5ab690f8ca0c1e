"""The OpenAPI document matches the code: schemathesis over every operation.

Every operation of ``/openapi.json`` gets bounded generated requests (schema-valid and
invalid ones); every answer must be documented, match its schema, and never be a 500.

The pytest plugin of schemathesis 4 (``from_fixture``) does not run under pytest 9, so the
operations are driven directly with Hypothesis. ``positive_data_acceptance`` is left out: a
schema can say "a string" but not "a certificate", so a schema-valid ``{"chain": [""]}`` is
rightly a 400. Host checks use a fetcher that never touches the network (generated
hostnames must not become DNS queries from the test suite).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from extension_api.openapi import openapi_document
from tests.extension_api.conftest import AppFactory
from tlsscan.fetcher import FetchPolicy, FetchResult, vetted_addresses

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.unsupported_method,
]
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, methods in openapi_document()["paths"].items()
    for method in methods
]


def _offline_fetch(host: str, port: int, policy: FetchPolicy) -> FetchResult:
    # The real guard for IP literals (it may refuse), then no connection at all.
    if host.replace(".", "").isdigit() or ":" in host:
        vetted_addresses(host, port, policy)
    return FetchResult(host, port, None, (), error="offline test fetcher")


@pytest.fixture
def api_app(make_app: AppFactory) -> Flask:
    """The app with the offline fetcher and imports disabled (they answer 403)."""
    app = make_app(admin_token="", allow_hosts=())
    app.extensions["revlab"].fetch = _offline_fetch
    return app


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_answers_as_documented_and_never_500(
    api_app: Flask, label: str
) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", api_app)
    (operation,) = [r.ok() for r in schema.get_all_operations() if r.ok().label == label]
    seen: list[int] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def run(case: Any) -> None:
        # The WSGI test client does not decompress: ask for the identity encoding.
        response = case.call_and_validate(
            checks=CHECKS, headers={"Accept-Encoding": "identity"}
        )
        seen.append(response.status_code)

    run()
    assert seen and max(seen) < 500
