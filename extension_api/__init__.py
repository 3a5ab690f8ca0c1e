"""Flask API behind the Revocation Lab browser extension.

``create_app(test_config=None)`` builds the app: settings from ``REVLAB_*`` variables (see
`extension_api.config`), the database (SQLite under the data directory by default, seeded
with the shipped 2020 list on first start), one blueprint per resource, rate limits, CORS
for extension origins and one JSON error handler. Serve it with ``revlab serve`` (gunicorn).

Around the views: every body is held to its limit (`overload.BodyLimit`), host checks are
limited per worker (`overload.gate_fetches`), a busy resource (`errors.Busy`) answers 503 with
``Retry-After``, and host checks older than the retention are deleted (at most a minute late
while the server runs, and at every start).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import jsonio, security
from .api import BLUEPRINTS, http_errors
from .config import Settings
from .overload import BodyLimit, gate_fetches
from .service import ApiState
from .storage import Store

#: Seconds between two purges of old host checks in one worker.
PURGE_EVERY = 60.0

__all__ = ["create_app"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the API.

    Args:
        test_config: overrides: lower-case keys replace `Settings` fields (``data_dir``,
            ``database_url``, ``allow_hosts``, ...), upper-case keys go to ``app.config``.

    Raises:
        ConfigError: a setting is unusable (the message names it).
    """
    app = Flask(__name__)
    overrides = dict(test_config or {})
    settings = Settings.from_env().with_overrides(overrides)
    app.config.update({k: v for k, v in overrides.items() if k.isupper()})
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    jsonio.init_app(app)
    if settings.sqlite_path is not None:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url, lock_wait=settings.lock_wait)
    state = ApiState(settings=settings, store=store)
    retry_after = max(1, round(settings.check_deadline))
    state.fetch = gate_fetches(state.fetch, settings.outbound_concurrency, retry_after)
    state.initialise()
    store.purge_hosts(state.clock() - settings.host_retention)
    app.extensions["revlab"] = state
    http_errors.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    security.init_app(app, settings)
    _purge_while_serving(app, state)
    app.wsgi_app = BodyLimit(  # type: ignore[method-assign]
        app.wsgi_app, settings.max_body, {"/v1/registry/import": settings.max_import_body}
    )
    return app


def _purge_while_serving(app: Flask, state: ApiState) -> None:
    """Delete host checks older than the retention, at most every `PURGE_EVERY` seconds."""
    last = [time.monotonic()]

    @app.before_request
    def purge() -> None:
        if time.monotonic() - last[0] < PURGE_EVERY:
            return
        last[0] = time.monotonic()
        state.store.purge_hosts(state.clock() - state.settings.host_retention)
