"""The ``revlab`` command line: thin wrappers over ``sim``, ``tlsscan`` and ``extension_api``.

This package is the top layer: it may import every other package of the project, and nothing
imports it (tests/test_layers.py holds that).

Each subcommand is a module of this package with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Modules are found by name in
``_COMMAND_MODULES``, so adding a command is adding a module and one line here.

Exit codes: 0 success, 1 the input has ERROR/FATAL findings (where a command says so),
2 a usage or input error, reported as one line on stderr. Bad input is a `sim.errors.RevlabError`
(or an ``OSError`` on a path the user gave); any other exception is a bug and shows its
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from sim.errors import RevlabError

__all__ = ["CliError", "main"]

# Order here is the order of ``revlab --help``.
_COMMAND_MODULES: tuple[str, ...] = (
    "audit",
    "registry",
    "ocsp",
    "simulate",
    "calibrate",
    "mechanisms",
    "check",
    "responders",
    "scan",
    "serve",
)


class CliError(RevlabError):
    """A usage or input error found by the command line itself: one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (the README promises it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _load_commands(names: Sequence[str] = _COMMAND_MODULES) -> list[ModuleType]:
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as exc:
            # A command whose module is not written yet is simply absent.
            if exc.name != f"{__name__}.{name}":
                raise
    return modules


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every available subcommand, or only with ``command``.

    Importing every command costs more than a second on a busy machine (the simulations pull
    in pandas), so `main` builds the parser of the one command it runs when argv names one.
    """
    parser = _Parser(
        prog="revlab",
        description="Revocation Lab: audit certificates, match chains against affected "
        "intermediates, forge and verify OCSP, simulate mass revocations, serve the API.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = (command,) if command in _COMMAND_MODULES else _COMMAND_MODULES
    for module in _load_commands(names):
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``revlab``; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # The top-level parser has no option that takes a value: the first word is the command.
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    try:
        code: int = args._run(args)
    except RevlabError as exc:
        print(f"revlab {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `revlab ... | head`: the reader went away; that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.filename is None:  # not a path the user gave: a bug or the system's fault
            raise
        print(f"revlab {args.command}: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
