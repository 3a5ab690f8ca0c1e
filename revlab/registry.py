"""``revlab registry show|import|export|match``: the affected lists and chain verdicts.

The shipped July 2020 list is always loaded. ``--registry FILE`` adds the entries of a local
registry file (our CSV), which ``revlab registry import`` creates and extends atomically.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from pathlib import Path

from revlab import CliError
from revlab._output import add_format_argument, write_json, write_table
from revlab.check import exit_code
from sim.loader import load_paths, read_file
from sim.registry import (
    MIN_PREFIX,
    STATUSES,
    Registry,
    RegistryImportError,
    Status,
    match,
    shipped_registry,
)

NAME = "registry"
HELP = "show, import, export the lists of affected intermediates; match a chain against them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``revlab registry``."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = sub.add_parser("show", help="list entries, or show one by SHA-256")
    show.add_argument(
        "sha256",
        nargs="?",
        help=f"a certificate's SHA-256 fingerprint (hex), or any unique prefix of at least "
        f"{MIN_PREFIX} hex digits, such as the 16 the table prints",
    )
    _registry_option(show)
    add_format_argument(show)
    imp = sub.add_parser(
        "import", help="add our CSV, a PEM bundle or a CCADB CSV to a registry file"
    )
    imp.add_argument("file", help="the file to import")
    imp.add_argument(
        "--into", required=True, metavar="FILE", help="registry file to create or extend"
    )
    imp.add_argument("--incident", default="imported", help="incident id for imported certificates")
    imp.add_argument("--ca", default="", help="CA label for imported certificates (PEM/CCADB)")
    imp.add_argument("--status", choices=STATUSES, default=Status.UNKNOWN.value)
    imp.add_argument("--status-date", type=_date, default=None, metavar="YYYY-MM-DD")
    exp = sub.add_parser("export", help="write the whole registry as CSV or JSON")
    _registry_option(exp)
    add_format_argument(exp, ("csv", "json"))
    m = sub.add_parser(
        "match",
        help="the verdict on a chain file (PEM bundle, leaf first); exit codes as revlab check: "
        "0 clean or the CA's known clean re-issue, 1 affected, affected_key or "
        "dangerous_responder, 2 bad input, 3 unknown",
    )
    m.add_argument("chain", help="PEM bundle or DER file with the chain, leaf first")
    _registry_option(m)
    add_format_argument(m, ("table", "json"))


def _registry_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        metavar="FILE",
        help="a local registry file (our CSV) added to the shipped list",
    )


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _read_local(path: str) -> Registry:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such registry file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read ({exc})") from None
    try:
        return Registry(tuple(Registry.from_csv(text, source=path)))
    except RegistryImportError as exc:
        raise CliError(str(exc)) from None


def load_registry(path: str | None) -> Registry:
    """The shipped registry, plus a local registry file when given."""
    registry = shipped_registry()
    if path:
        local = _read_local(path)
        registry = registry.merged(local.entries)
    return registry


def run(args: argparse.Namespace) -> int:
    """Dispatch to the action."""
    if args.action == "import":
        return _import(args)
    registry = load_registry(getattr(args, "registry", None))
    if args.action == "show":
        return _show(args, registry)
    if args.action == "export":
        if args.format == "json":
            write_json(registry.to_json())
        else:
            print(registry.to_csv(), end="")
        return 0
    return _match(args, registry)


def _show(args: argparse.Namespace, registry: Registry) -> int:
    entries = list(registry.entries)
    if args.sha256:
        entries = [registry.find(args.sha256)]
    if args.format == "json":
        write_json([e.to_json() for e in entries] if not args.sha256 else entries[0].to_json())
    elif args.format == "csv":
        print(Registry(tuple(entries)).to_csv(), end="")
    else:
        write_table(
            ["sha256", "ca", "incident", "status", "status date", "subject"],
            [[e.sha256[:16], e.ca_label, e.incident, e.status,
              e.status_date.isoformat() if e.status_date else "-", e.subject[:60]]
             for e in entries],
        )  # fmt: skip
        if not args.sha256:
            print(f"\n{len(entries)} entries; status 'unknown': no published revocation date.")
        else:
            if entries[0].status_source:
                print(f"\nStatus source: {entries[0].status_source}")
            print(f"\nRemedy: {entries[0].remedy}")
    return 0


def _import(args: argparse.Namespace) -> int:
    data = read_file(Path(args.file))
    target = Path(args.into)
    try:
        exists = target.exists()
    except OSError as exc:  # a name too long for the file system, for one
        raise CliError(f"{target}: cannot write ({exc.strerror})") from None
    base = _read_local(str(target)) if exists else Registry(())
    try:
        updated = base.imported(
            data,
            source=args.file,
            incident=args.incident,
            ca_label=args.ca,
            status=args.status,
            status_date=args.status_date,
        )
    except RegistryImportError as exc:
        raise CliError(f"nothing imported: {exc}") from None
    _write_atomically(target, updated.to_csv())
    print(f"{len(updated) - len(base)} new entr(y/ies); {target} now holds {len(updated)}.")
    return 0


def _write_atomically(target: Path, text: str) -> None:
    """Write a temporary file beside the target, then rename it over the target."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".registry-", dir=target.parent)
    except OSError as exc:
        raise CliError(f"{target}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CliError(f"{target}: cannot write ({exc.strerror})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _match(args: argparse.Namespace, registry: Registry) -> int:
    chain = list(load_paths([args.chain]))
    verdict = match(chain, registry)
    if args.format == "json":
        write_json(verdict.to_json())
    else:
        print(f"{verdict.kind.value}: {verdict.summary}")
        for reason in verdict.reasons:
            print(f"  - {reason}")
        if verdict.remedy_owner:
            print(f"Site owner: {verdict.remedy_owner}")
    return exit_code(verdict)
