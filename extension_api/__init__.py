"""Flask API behind the Revocation Lab browser extension.

``create_app(test_config=None)`` builds the app: settings from ``REVLAB_*`` variables (see
`extension_api.config`), the database (SQLite under the data directory by default, seeded
with the shipped 2020 list on first start), one blueprint per resource, rate limits, CORS
for extension origins and one JSON error handler. Serve it with ``revlab serve`` (gunicorn).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import security
from .api import BLUEPRINTS, http_errors
from .config import Settings
from .service import ApiState
from .storage import Store

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
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.sqlite_path is not None:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    state = ApiState(settings=settings, store=Store(settings.resolved_database_url))
    state.initialise()
    app.extensions["revlab"] = state
    http_errors.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    security.init_app(app, settings)
    return app
