"""``revlab ocsp``: the 2020 OCSP forgery as files, and the scenario's responder over HTTP.

``revlab ocsp demo --out DIR [--now ISO] [--seed N]`` writes the certificates (PEM), the
forged and genuine responses (DER) and a README.txt with the exact ``openssl ocsp`` commands
and the outcome each gives.

``revlab ocsp serve [--host H] [--port P] [--workers N] [--now ISO] [--seed N] [--out DIR]``
runs the scenario's OCSP responder (RFC 6960 Appendix A, POST and GET) under gunicorn: root R
answers through its dedicated responder certificate (the fix), ICA-B for its leaves. Answers
are pre-signed and re-signed half-way through their one-day validity.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import sys
from pathlib import Path
from typing import Any

from revlab import CliError
from revlab._options import check_bindable, now_option
from sim.ocsp_demo import write_demo
from sim.ocsp_scenario import RESPONDER_DAYS, build_incident_2020, incident_2020_responder

__all__ = ["HELP", "NAME", "SERVED_CERTIFICATES", "add_arguments", "run"]

NAME = "ocsp"
HELP = "the 2020 delegated-responder case: forged and genuine OCSP answers, and a responder"

#: Default port of ``serve`` (8000 is the API's).
DEFAULT_PORT = 8080
#: The certificates ``serve --out`` writes, as NAME.pem: what a client needs to ask and verify.
SERVED_CERTIFICATES: tuple[str, ...] = (
    "root",
    "ica_a",
    "ica_b",
    "responder",
    "leaf_good",
    "leaf_revoked",
)

_SERVE_EPILOG = """\
Ask it with OpenSSL (with --out certs; the revoked and unknown answers come from the same
responder, and ICA-B's status from root R's dedicated responder):
  openssl ocsp -url http://127.0.0.1:8080/ -issuer certs/ica_b.pem -cert certs/leaf_good.pem \\
      -CAfile certs/root.pem -verify_other certs/ica_b.pem          # good
  ... -cert certs/leaf_revoked.pem                                   # revoked
  ... -serial 4242                                                   # unknown
  openssl ocsp -url http://127.0.0.1:8080/ -issuer certs/root.pem -cert certs/ica_b.pem \\
      -CAfile certs/root.pem                                         # revoked
Certificates depend only on --now and --seed: `revlab ocsp demo` with the same two writes the
same hierarchy.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``demo`` and ``serve`` and their options."""
    sub = parser.add_subparsers(dest="ocsp_command", required=True, metavar="ACTION")
    demo = sub.add_parser(
        "demo",
        help="write the 2020 forgeries, the fix and a README with openssl commands",
        description="Write root/ICA-A/ICA-B certificates, ICA-A's forged 'good' answers, the "
        "same forgery without the EKU, and the fixed hierarchy's genuine answer.",
    )
    demo.add_argument("--out", required=True, type=Path, help="directory to write (created)")
    _add_scenario_options(demo)
    serve = sub.add_parser(
        "serve",
        help="run the scenario's OCSP responder (POST and GET, RFC 6960) under gunicorn",
        description="Serve OCSP for the 2020 scenario's certificates under gunicorn until\n"
        "interrupted (POST and GET, RFC 6960 Appendix A): good, revoked (ICA-B, ICA-A,\n"
        "leaf_revoked) or unknown (serials nobody issued). CertIDs of other issuers get\n"
        "'unauthorized', bad requests 'malformedRequest'. Root R answers through its\n"
        "dedicated responder certificate (the fix); answers are pre-signed.",
        epilog=_SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    serve.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    _add_scenario_options(serve)
    serve.add_argument(
        "--out",
        type=Path,
        help=f"also write the served certificates as PEM here ({', '.join(SERVED_CERTIFICATES)})",
    )
    serve.add_argument(
        "--honour-nonce",
        action="store_true",
        help="sign requests that carry a nonce on the spot and echo it (default: pre-signed "
        "answers without a nonce, as RFC 5019 allows)",
    )


def _add_scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--now",
        help="ISO 8601 time with zone the certificates are built at and the revocations "
        "happen (default: the current time)",
    )
    parser.add_argument("--seed", type=int, default=0, help="key and serial seed (default 0)")


def run(args: argparse.Namespace) -> int:
    """Run ``revlab ocsp ACTION``."""
    if args.ocsp_command == "demo":
        now = now_option(args.now)
        paths = write_demo(args.out, now=now, seed=args.seed)
        print(f"wrote {len(paths)} files to {args.out}; see {args.out / 'README.txt'}")
        return 0
    if args.ocsp_command == "serve":
        return _serve(args)
    raise CliError(f"unknown action {args.ocsp_command!r}")  # pragma: no cover (argparse)




def _write_certificates(out: Path, now: dt.datetime, seed: int) -> None:
    hierarchy = build_incident_2020(now=now, seed=seed).hierarchy
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a directory", str(out))
    out.mkdir(parents=True, exist_ok=True)
    for name in SERVED_CERTIFICATES:
        (out / f"{name}.pem").write_bytes(hierarchy[name].pem)


def _expiry_warning(now: dt.datetime, current: dt.datetime) -> str | None:
    """Why root R's answers will not verify at ``current``, if they will not."""
    # The dedicated responder certificate lives RESPONDER_DAYS days from --now (short-lived,
    # as the fix recommends); past that, root R's answers no longer verify.
    if current >= now + dt.timedelta(days=RESPONDER_DAYS):
        return (
            f"--now is more than {RESPONDER_DAYS} days ago; the responder certificate has "
            "expired and root R's answers will not verify"
        )
    return None


def _serve(args: argparse.Namespace) -> int:
    """Build the responder once, then run gunicorn's asgi worker over it until interrupted."""
    if not 1 <= args.port <= 65535:
        raise CliError(f"--port {args.port} is not between 1 and 65535")
    if not 1 <= args.workers <= 64:
        raise CliError(f"--workers {args.workers} is not between 1 and 64")
    current = dt.datetime.now(dt.UTC)
    now = now_option(args.now)
    check_bindable(args.host, args.port)
    if args.out is not None:
        _write_certificates(args.out, now, args.seed)
    warning = _expiry_warning(now, current)
    if warning:
        print(f"revlab ocsp serve: warning: {warning}", file=sys.stderr)
    responder = incident_2020_responder(
        now=now, seed=args.seed, signed_at=max(now, current), honour_nonce=args.honour_nonce
    )
    # Imported here: gunicorn and the API package are the [api] extra, not the library's.
    from gunicorn.app.base import BaseApplication

    from extension_api.ocsp_responder import OCSPAsgiApp

    app = OCSPAsgiApp(responder)
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    options: dict[str, Any] = {
        "bind": f"{shown_host}:{args.port}",
        "workers": args.workers,
        "worker_class": "asgi",
        "errorlog": "-",
        "loglevel": "warning",
        # gunicorn 24+ opens a control socket under ~/.gunicorn; revlab does not use it.
        "control_socket_disable": True,
    }

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # control_socket_disable is gunicorn 24+ only
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    where = f" (certificates in {args.out})" if args.out is not None else ""
    print(f"OCSP responder: http://{shown_host}:{args.port}/{where}", flush=True)
    _Server().run()
    return 0
