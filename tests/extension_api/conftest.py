"""Fixtures of the API tests: a fresh app and database per test, and served chains."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from extension_api import create_app
from extension_api.service import ApiState
from sim.pki import Hierarchy
from tests.conftest import NOW
from tests.extension_api.tls_servers import hierarchy

#: Settings of the test app: loopback allowed, every port, short timeouts, no rate limits.
TEST_SETTINGS: dict[str, Any] = {
    "TESTING": True,
    "allow_hosts": ("127.0.0.1", "::1"),
    "allowed_ports": "1-65535",
    "connect_timeout": 1.0,
    "handshake_timeout": 1.0,
    "rate_limit": "",
    "hosts_rate_limit": "",
    "admin_token": "s3cret-admin-token",
}

AppFactory = Callable[..., Flask]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Every API test runs on the embedded SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return ""
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def make_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> Iterator[AppFactory]:
    """Build an app on a fresh database; keyword arguments override `TEST_SETTINGS`."""
    for var in ("REVLAB_ALLOW_HOSTS", "REVLAB_ADMIN_TOKEN", "DATABASE_URL",
                "REVLAB_DATABASE_URL", "REVLAB_RATE_LIMIT", "REVLAB_CORS_ORIGINS"):
        monkeypatch.delenv(var, raising=False)
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app({**TEST_SETTINGS, "data_dir": tmp_path / "data",
                          "database_url": database_url, **overrides})  # fmt: skip
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["revlab"].store.dispose()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    """The test app."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def state(app: Flask) -> ApiState:
    """The app's state (store, settings, registry)."""
    found: ApiState = app.extensions["revlab"]
    return found


@pytest.fixture(scope="session")
def pki() -> Hierarchy:
    """Root -> ica -> leaf, and ica2 (same key as ica) -> leaf2."""
    return hierarchy(NOW, reissue=True)


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Make any connection attempt at all (loopback included) fail the test; returns attempts."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise AssertionError(f"the guard let a connection to {address!r} through")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Replace DNS: fill the returned mapping host -> addresses; unknown names do not resolve."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
             (a, int(port or 0)))
            for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table
