"""The app as a whole: JSON errors, limits, CORS, configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from extension_api.config import ConfigError, Settings, default_data_dir
from tests.conftest import REPO
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


def test_a_preflight_from_an_extension_may_post_json_and_read_the_etag(
    client: FlaskClient,
) -> None:
    origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    preflight = client.options("/v1/chain", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-other",
    })  # fmt: skip
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"  # not x-other
    assert preflight.headers["Access-Control-Max-Age"] == "86400"
    read = client.get("/v1/registry", headers={"Origin": origin})
    assert read.headers["Access-Control-Expose-Headers"] == "ETag"
    # What the view varies on is kept, Origin added once; without an Origin too.
    assert read.headers.get_all("Vary") == ["Accept-Encoding, Origin"]
    assert client.get("/v1/registry").headers.get_all("Vary") == ["Accept-Encoding, Origin"]
    assert client.post("/v1/chain", json={}).headers.get_all("Vary") == ["Origin"]
    # A page's preflight gets no grant; paths outside /v1/ get no CORS at all.
    evil = client.options("/v1/chain", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in evil.headers
    assert "Access-Control-Allow-Origin" not in client.get(
        "/healthz", headers={"Origin": origin}).headers


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


@pytest.mark.parametrize("entries", ["127.0.0.1,notanip/99", "a..b", "10.0.0.0/33"])
def test_allow_hosts_entries_that_name_nothing_are_refused(entries: str) -> None:
    with pytest.raises(ConfigError, match=r"^REVLAB_ALLOW_HOSTS: '.+' is not a hostname, an IP"):
        Settings.from_env({"REVLAB_DATA_DIR": "/tmp/x", "REVLAB_ALLOW_HOSTS": entries})


@pytest.mark.parametrize("database_url", [""], ids=["sqlite"])  # SQLite's own file
def test_the_sqlite_file_is_in_wal_mode_under_the_data_dir(make_app: AppFactory) -> None:
    app = make_app()
    store = app.extensions["revlab"].store
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert app.extensions["revlab"].settings.sqlite_path.exists()


def test_unknown_routes_point_at_the_index(client: FlaskClient) -> None:
    message = client.get("/nope").json["error"]["message"]  # type: ignore[index]
    assert "GET /" in message


def test_the_index_lists_every_documented_endpoint_and_the_lessons_as_json(
    make_app: AppFactory,
) -> None:
    client = make_app(notebooks_dir=REPO / "notebooks").test_client()
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.is_json
    doc = response.json
    assert doc["openapi"] == "/openapi.json"  # type: ignore[index]
    documented = {
        (method.upper(), path)
        for path, methods in client.get("/openapi.json").json["paths"].items()  # type: ignore[index]
        for method in methods
    }
    assert {(e["method"], e["path"]) for e in doc["endpoints"]} == documented  # type: ignore[index]
    shipped = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert [lesson["url"] for lesson in doc["lessons"]] == [  # type: ignore[index]
        f"/notebooks/{name}" for name in shipped
    ]
    assert doc["lessons"][1]["title"] == (  # type: ignore[index]
        "Lesson 2: OCSP and the dangerous delegated responder"
    )


def test_the_index_is_a_page_with_links_for_a_browser(make_app: AppFactory) -> None:
    client = make_app(notebooks_dir=REPO / "notebooks").test_client()
    response = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    page = response.get_data(as_text=True)
    assert '<a href="/openapi.json">' in page
    assert '<a href="/notebooks/02_ocsp_delegated_responder.ipynb">' in page
    assert "<code>POST /v1/chain</code>" in page


def test_the_index_says_when_no_lessons_are_installed(
    make_app: AppFactory, tmp_path: Path
) -> None:
    client = make_app(notebooks_dir=tmp_path / "none").test_client()
    assert client.get("/", headers={"Accept": "application/json"}).json["lessons"] == []  # type: ignore[index]
    assert "No lessons are installed" in client.get("/").get_data(as_text=True)


def test_bad_input_found_deep_in_the_code_is_a_400_not_a_500(
    make_app: AppFactory, no_connections: list[object]
) -> None:
    from sim.errors import DerError

    app = make_app()

    def fetch(*args: object) -> None:
        raise DerError("DER length runs past the end of the data")

    app.extensions["revlab"].fetch = fetch
    response = app.test_client().get("/v1/hosts/127.0.0.1?port=443")
    assert (response.status_code, response.json) == (
        400, {"error": {"code": "bad_request",
                        "message": "DER length runs past the end of the data"}},
    )


def test_every_error_code_is_documented_in_the_api_docs() -> None:
    from extension_api.errors import ErrorCode

    docs = (REPO / "docs/api.md").read_text()
    internal = {ErrorCode.HTTP_ERROR, ErrorCode.INTERNAL_ERROR, ErrorCode.NOT_ACCEPTABLE,
                ErrorCode.CONFLICT, ErrorCode.LENGTH_REQUIRED, ErrorCode.UNSUPPORTED_MEDIA_TYPE}
    assert [c.value for c in ErrorCode if c not in internal and f"`{c.value}`" not in docs] == []
