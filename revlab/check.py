"""``revlab check HOST[:PORT]`` (or an https URL): read the chain a site serves, give its verdict.

The same code as ``GET /v1/hosts/<host>``: the fetcher with its SSRF guard (loopback and
private addresses are refused unless ``--allow-host`` or ``REVLAB_ALLOW_HOSTS`` names them),
then `sim.registry.match` against the shipped 2020 list (plus ``--registry FILE``).

Exit codes: 0 clean, 1 affected / affected_key / dangerous_responder, 2 input error (a guard
refusal included), 3 unknown (the chain could not be read, or the name does not resolve).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterable
from pathlib import Path

from revlab import CliError
from revlab._options import registry_option
from sim.registry import Verdict, VerdictKind
from sim.served import verdict_for_served
from tlsscan.fetcher import FetchPolicy, GuardError, HostError, fetch_chain
from tlsscan.guard import parse_allow_entry, parse_target

__all__ = ["EXIT_CODES", "HELP", "NAME", "add_arguments", "exit_code", "run"]

NAME = "check"
HELP = "read the certificate chain a TLS server serves and say whether it is affected"

#: Exit code per verdict.
EXIT_CODES: dict[VerdictKind, int] = {
    VerdictKind.CLEAN: 0,
    VerdictKind.AFFECTED: 1,
    VerdictKind.AFFECTED_KEY: 1,
    VerdictKind.DANGEROUS_RESPONDER: 1,
    VerdictKind.UNKNOWN: 3,
}


def exit_code(verdict: Verdict) -> int:
    """The exit code for a verdict (``revlab check`` and ``revlab registry match``).

    A chain that serves the CA's known clean re-issue is the fix, not a finding: exit 0, so a
    site owner's monitoring goes green once the intermediate is swapped.
    """
    return 0 if verdict.serves_known_reissue else EXIT_CODES[verdict.kind]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``revlab check``."""
    parser.add_argument("target", metavar="HOST[:PORT]|URL", help="e.g. example.com, "
                        "[::1]:8443 or https://example.com/page (the path is ignored)")
    parser.add_argument("--timeout", type=float, default=5.0, help="connect and handshake "
                        "timeout in seconds (default 5)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="HOST|IP|CIDR",
                        help="let this host or network through the SSRF guard (repeatable)")
    parser.add_argument("--registry", type=Path, metavar="FILE", help="also match against "
                        "this list (our CSV, a PEM bundle or a CCADB CSV)")
    parser.add_argument("--ca-label", default="", help="CA label for a PEM/CCADB --registry")
    parser.add_argument("--json", action="store_true", help="print the API's JSON")


def _allow_entries(entries: Iterable[str], source: str) -> tuple[str, ...]:
    """The non-empty entries, each checked and canonical.

    Raises:
        CliError: an entry is not a hostname, an IP address or a network.
    """
    try:
        return tuple(parse_allow_entry(e) for e in entries if e.strip())
    except HostError as exc:
        raise CliError(f"{source}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Fetch, match, print; the exit code follows the verdict."""
    try:
        host, port = parse_target(args.target)
    except HostError as exc:
        raise CliError(str(exc)) from None
    if not 0 < args.timeout <= 60:
        raise CliError("--timeout must be between 0 and 60 seconds")
    registry = registry_option(args.registry, args.ca_label)
    env_allow = os.environ.get("REVLAB_ALLOW_HOSTS", "").split(",")
    policy = FetchPolicy(
        allow_hosts=(
            *_allow_entries(env_allow, "REVLAB_ALLOW_HOSTS"),
            *_allow_entries(args.allow_host, "--allow-host"),
        ),
        allowed_ports=frozenset(),  # the user picks the port on their own command line
        connect_timeout=args.timeout,
        handshake_timeout=args.timeout,
    )
    try:
        result = fetch_chain(host, port, policy)
    except GuardError as exc:
        raise CliError(f"{host}:{port}: {exc} (use --allow-host to check it anyway)") from None
    verdict = verdict_for_served(result.chain, result.error, registry)
    if args.json:
        out = verdict.to_json()
        out["served"] = {"host": host, "port": port, "address": result.address,
                         "error": result.error, "truncated": result.truncated}
        print(json.dumps(out, indent=2))
    else:
        print(f"{host}:{port}: {verdict.kind.value}")
        print(f"  {verdict.summary}")
        for reason in verdict.reasons:
            print(f"  - {reason}")
        for i, c in enumerate(verdict.chain):
            print(f"  [{i}] {c.sha256}  {c.subject or c.error}")
        if verdict.remedy_owner:
            print(f"  What to do: {verdict.remedy_owner}")
    return exit_code(verdict)
