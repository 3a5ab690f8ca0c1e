"""Option parsing shared by several ``revlab`` commands."""

from __future__ import annotations

import datetime as dt
import errno
import socket
from pathlib import Path

from revlab import CliError
from sim.registry import Registry, RegistryImportError, shipped_registry
from sim.times import parse_aware_time

__all__ = ["check_bindable", "now_option", "registry_option"]


def now_option(value: str | None, option: str = "--now") -> dt.datetime:
    """The moment an option names (ISO 8601 with a zone), or the current time when absent.

    Raises:
        CliError: the text is not ISO 8601 or has no zone.
    """
    if value is None:
        return dt.datetime.now(dt.UTC)
    return parse_aware_time(value, what=option, error=CliError)


def registry_option(path: Path | None, ca_label: str) -> Registry:
    """The shipped 2020 list, plus the list in ``--registry FILE`` when one is given.

    Raises:
        CliError: the file cannot be read, or its import is refused (the message names the row).
    """
    registry = shipped_registry()
    if path is None:
        return registry
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return registry.imported(data, source=str(path), ca_label=ca_label)
    except RegistryImportError as exc:
        raise CliError(str(exc)) from None


def check_bindable(host: str, port: int) -> None:
    """Refuse a busy port or an address not of this machine, in one line, before gunicorn
    starts (gunicorn retries a busy port for seconds and logs a dozen lines).

    Raises:
        CliError: the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # gunicorn binds with SO_REUSEADDR too: a port in TIME_WAIT is free for it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror:
            raise CliError(f"--host {host!r} is not an address of this machine") from None
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(f"port {port} on {host} is in use") from None
            raise CliError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
