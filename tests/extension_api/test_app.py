"""The app as a whole: JSON errors, limits, CORS, configuration."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from extension_api.config import ConfigError, Settings, default_data_dir
from tests.extension_api.conftest import AppFactory


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nope", 404), ("DELETE", "/v1/chain", 405), ("PUT", "/v1/registry", 405),
     ("GET", "/v1/chain", 405), ("POST", "/healthz", 405)],
)
def test_unknown_routes_and_methods_are_json_errors(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.is_json
    assert set(response.json["error"]) == {"code", "message"}  # type: ignore[index]


def test_healthz_says_ok(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}


def test_clients_over_the_rate_limit_get_a_json_429(make_app: AppFactory) -> None:
    client = make_app(rate_limit="3/minute").test_client()
    codes = [client.get("/v1/hostprefix/abcd").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/v1/hostprefix/abcd")
    assert response.json["error"]["code"] == "rate_limited"  # type: ignore[index]
    assert 1 <= int(response.headers["Retry-After"]) <= 60  # when the minute's window ends
    assert client.get("/healthz").status_code == 200  # health checks are never limited


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [("chrome-extension://abcdefghijklmnopabcdefghijklmnop", True),
     ("moz-extension://2f0c5e8e-1b7a-4c43-9d3c-1c0b1f7f8a11", True),
     ("https://evil.example", False), ("chrome-extension://a/b", False), ("null", False)],
)
def test_cors_is_granted_to_extension_origins_only(
    client: FlaskClient, origin: str, allowed: bool
) -> None:
    response = client.get("/v1/registry", headers={"Origin": origin})
    assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed


def test_settings_come_from_revlab_variables(tmp_path: object) -> None:
    env = {"REVLAB_DATA_DIR": "/srv/revlab", "REVLAB_ALLOWED_PORTS": "443,8000-8002",
           "REVLAB_ALLOW_HOSTS": "127.0.0.1, 10.0.0.0/8", "REVLAB_HANDSHAKE_TIMEOUT": "2.5",
           "DATABASE_URL": "postgresql://db/revlab"}
    s = Settings.from_env(env)
    assert s.allowed_ports == {443, 8000, 8001, 8002}
    assert s.allow_hosts == ("127.0.0.1", "10.0.0.0/8")
    assert s.handshake_timeout == 2.5
    assert (s.resolved_database_url, s.sqlite_path) == ("postgresql://db/revlab", None)


def test_the_data_dir_follows_xdg_data_home() -> None:
    assert str(default_data_dir({"XDG_DATA_HOME": "/x/share"})) == "/x/share/revlab"
    assert str(default_data_dir({"REVLAB_DATA_DIR": "/d", "XDG_DATA_HOME": "/x"})) == "/d"


@pytest.mark.parametrize(
    "env",
    [{"REVLAB_ALLOWED_PORTS": "0"}, {"REVLAB_ALLOWED_PORTS": "http"},
     {"REVLAB_ALLOWED_PORTS": ""}, {"REVLAB_ALLOWED_PORTS": " , "},
     {"REVLAB_CONNECT_TIMEOUT": "soon"}, {"REVLAB_HANDSHAKE_TIMEOUT": "0"},
     {"REVLAB_ALLOW_HOSTS": "10.0.0.0/33"}, {"REVLAB_MAX_CHAIN": "0"}],
)
def test_unusable_settings_are_refused_with_the_variable_named(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({"REVLAB_DATA_DIR": "/tmp/x", **env})


@pytest.mark.parametrize("database_url", [""], ids=["sqlite"])  # SQLite's own file
def test_the_sqlite_file_is_in_wal_mode_under_the_data_dir(make_app: AppFactory) -> None:
    app = make_app()
    store = app.extensions["revlab"].store
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert app.extensions["revlab"].settings.sqlite_path.exists()
