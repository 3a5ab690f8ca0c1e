"""``revlab serve``: the API under gunicorn, with the embedded SQLite database by default.

``revlab serve --host 127.0.0.1 --port 8000 --workers 2`` creates the data directory and the
database (seeded with the shipped 2020 list on first start), prints the URL and the database,
and runs gunicorn until interrupted. Every other setting comes from ``REVLAB_*`` variables
(see `extension_api.config`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from revlab import CliError

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "serve"
HELP = "serve the extension API with gunicorn (SQLite under the data directory by default)"

#: Default port when neither --port nor REVLAB_PORT is given.
DEFAULT_PORT = 8000


def _default_port() -> int:
    text = os.environ.get("REVLAB_PORT", "")
    return int(text) if text.isascii() and text.isdigit() else DEFAULT_PORT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``revlab serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None,
                        help=f"port (default $REVLAB_PORT or {DEFAULT_PORT})")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (>1 uses gunicorn's gthread worker)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="directory of the SQLite file (default $REVLAB_DATA_DIR or "
                        "~/.local/share/revlab)")
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL instead of the SQLite file ($DATABASE_URL)")
    parser.add_argument("--access-log", action="store_true",
                        help="log requests to stderr (hostnames in /v1/hosts are redacted)")


def run(args: argparse.Namespace) -> int:
    """Prepare the database, print where, and run gunicorn in the foreground."""
    # Flask, SQLAlchemy and gunicorn are imported here so that `sim` stays importable alone.
    from gunicorn.app.base import BaseApplication

    from extension_api import create_app
    from extension_api.config import ConfigError, Settings

    port = args.port if args.port is not None else _default_port()
    if not 1 <= port <= 65535:
        raise CliError(f"--port {port} is not between 1 and 65535")
    if not 1 <= args.workers <= 64 or not 1 <= args.threads <= 64:
        raise CliError("--workers and --threads must be between 1 and 64")
    overrides: dict[str, Any] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if args.database_url is not None:
        overrides["database_url"] = args.database_url
    try:
        settings = Settings.from_env().with_overrides(overrides)
        # Create and seed once in the master, before the workers start.
        create_app(overrides).extensions["revlab"].store.dispose()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot prepare the database: {exc}") from None
    where = settings.sqlite_path or settings.resolved_database_url.split("@")[-1]
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Revocation Lab API: http://{shown_host}:{port}/  (OpenAPI: /openapi.json)")
    print(f"Database: {where}", flush=True)

    options: dict[str, Any] = {
        "bind": f"{shown_host}:{port}",
        "workers": args.workers,
        "threads": args.threads,
        "worker_class": "gthread" if args.threads > 1 else "sync",
        # Longer than two connect + handshake timeouts of a host check.
        "timeout": 60,
        "accesslog": "-" if args.access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        # gunicorn 24+ opens a control socket under ~/.gunicorn; revlab does not use it.
        "control_socket_disable": True,
    }

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # control_socket_disable is gunicorn 24+ only
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(overrides)

    _Server().run()
    return 0
