"""``revlab serve``: the API under gunicorn, with the embedded SQLite database by default.

``revlab serve --host 127.0.0.1 --port 8000`` creates the data directory and the database
(schema migrated, seeded with the shipped 2020 list on first start), prints the URL and the
database, and runs gunicorn until interrupted. Every other setting comes from ``REVLAB_*``
variables (see `extension_api.config`).

Workers are gevent's (asynchronous): a connection that sends half a request and stops holds a
greenlet, not a worker, so slow or idle clients cannot stall ``/healthz`` or anything else.
Rate limits are exact only where they are counted in one place: with the default in-process
store (``memory://``) one worker serves; several workers (``--workers``) need a shared store
(``REVLAB_RATELIMIT_STORAGE_URI=redis://...``) or limits turned off.
"""

from __future__ import annotations

import argparse
import gc
import os
import warnings
from pathlib import Path
from typing import Any

from revlab import CliError
from revlab._options import check_bindable

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "serve"
HELP = "serve the extension API with gunicorn (SQLite under the data directory by default)"

#: Default port when neither --port nor REVLAB_PORT is given.
DEFAULT_PORT = 8000
#: Workers when the limit store is shared (or limits are off) and --workers is not given.
DEFAULT_SHARED_WORKERS = 2
#: Connections one worker holds at once (gevent greenlets).
WORKER_CONNECTIONS = 1000


def _port(text: str, name: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise CliError(f"{name}: {text!r} is not a port number (1-65535)")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``revlab serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", default=None,
                        help=f"port (default $REVLAB_PORT or {DEFAULT_PORT})")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers, each asynchronous (gevent); default 1 with the "
                        f"in-process limit store, {DEFAULT_SHARED_WORKERS} with a shared one "
                        "(REVLAB_RATELIMIT_STORAGE_URI=redis://...) or with limits off")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="directory of the SQLite file (default $REVLAB_DATA_DIR or "
                        "~/.local/share/revlab)")
    parser.add_argument("--database-url", default=None,
                        help="postgresql://user@host/db or sqlite:///path instead of the SQLite "
                        "file in the data directory ($DATABASE_URL)")
    parser.add_argument("--access-log", action="store_true",
                        help="log every request to stderr, with the client's address "
                        "(hostnames in /v1/hosts are redacted); off by default")




def _workers(requested: int | None, shared_limits: bool) -> int:
    if requested is None:
        return DEFAULT_SHARED_WORKERS if shared_limits else 1
    if not 1 <= requested <= 64:
        raise CliError("--workers must be between 1 and 64")
    if requested > 1 and not shared_limits:
        raise CliError(
            f"--workers {requested} would count each rate limit once per worker: set "
            "REVLAB_RATELIMIT_STORAGE_URI=redis://... (shared), or turn the limits off "
            "(REVLAB_RATE_LIMIT= REVLAB_HOSTS_RATE_LIMIT=), or serve with one worker"
        )
    return requested


def run(args: argparse.Namespace) -> int:
    """Prepare the database, print where, and run gunicorn in the foreground."""
    port = _port(args.port, "--port") if args.port is not None else _port(
        os.environ.get("REVLAB_PORT", str(DEFAULT_PORT)), "REVLAB_PORT"
    )
    # Flask, SQLAlchemy and gunicorn are imported here so that `sim` stays importable alone.
    from gevent import sleep
    from gunicorn.app.base import BaseApplication

    from extension_api import create_app
    from extension_api.config import Settings

    overrides: dict[str, Any] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if args.database_url is not None:
        overrides["database_url"] = args.database_url
    settings = Settings.from_env().with_overrides(overrides)  # ConfigError: one line, exit 2
    limits_on = bool(settings.rate_limit or settings.hosts_rate_limit)
    workers = _workers(
        args.workers, not limits_on or not settings.ratelimit_storage_uri.startswith("memory:")
    )
    check_bindable(args.host, port)
    try:
        # Migrate and seed once here, before the workers start.
        create_app(overrides).extensions["revlab"].store.dispose()
    except OSError as exc:
        raise CliError(f"cannot prepare the database: {exc}") from None
    where = settings.sqlite_path or settings.resolved_database_url.split("@")[-1]
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Revocation Lab API: http://{shown_host}:{port}/  (OpenAPI: /openapi.json)")
    print(f"Database: {where}")
    print(f"Workers: {workers} (gevent); rate limits: "
          f"{settings.ratelimit_storage_uri.split('@')[-1] if limits_on else 'off'}", flush=True)

    def _take_turns(worker: Any, req: Any, environ: Any, resp: Any) -> None:
        sleep(0)  # gevent: back of the queue of ready connections

    options: dict[str, Any] = {
        "bind": f"{shown_host}:{port}",
        "workers": workers,
        "worker_class": "gevent",
        "worker_connections": WORKER_CONNECTIONS,
        # A host check ends within REVLAB_CHECK_DEADLINE; gevent workers keep beating meanwhile.
        "timeout": 30,
        # On stop, requests under way get this long to finish (a host check ends sooner).
        "graceful_timeout": 10,
        "accesslog": "-" if args.access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        # gunicorn 24+ opens a control socket under ~/.gunicorn; revlab does not use it.
        "control_socket_disable": True,
        # After each response, let the worker's other connections have their turn: a
        # keep-alive client whose next request is already there would otherwise be served
        # again and again while the others wait (p99 of 250 ms at 32 connections, 17 ms with
        # this; benchmarks/bench_api.py).
        "post_request": _take_turns,
    }
    # The master imported ssl (the fetcher) before the workers patch it for gevent; the
    # fetcher looks ssl.SSLContext up at call time, so it gets the patched one.
    warnings.filterwarnings("ignore", message="Monkey-patching ssl after ssl")

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # control_socket_disable is gunicorn 24+ only
                    self.cfg.set(key, value)

        def load(self) -> Any:
            app = create_app(overrides)
            # Everything loaded so far lives as long as the worker: keep it out of the garbage
            # collector's full passes, which otherwise pause a worker for tens of milliseconds.
            gc.collect()
            gc.freeze()
            return app

    _Server().run()
    return 0
