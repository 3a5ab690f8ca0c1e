"""One error type for the whole project, with one subclass per area.

Callers tell bad input from a bug by catching `RevlabError`: the CLI prints such an error as one
line and exits 2, the API maps it to a 4xx in one place. Anything that is not a `RevlabError`
(a numpy ``MemoryError``, a ``KeyError`` in our code) is a bug and is never disguised as bad
input.

Every subclass also derives from ``ValueError``: each stands for a value the caller passed that
cannot be used, and code written against the standard library's convention keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DerError",
    "GuardError",
    "HostError",
    "LoadError",
    "ParameterError",
    "RegistryImportError",
    "RevlabError",
    "SpecError",
]


class RevlabError(ValueError):
    """Bad input of any kind: the message says what is wrong, in words a person understands."""


class ParameterError(RevlabError):
    """A parameter is out of range or of the wrong kind; the message names it and its range."""


class LoadError(RevlabError):
    """A file or text could not be read as certificates (PEM, DER or a CCADB report)."""


class DerError(RevlabError):
    """Bytes that are not the DER structure expected (truncated, wrong tag, bad length)."""


class SpecError(RevlabError):
    """A hierarchy specification (`sim.pki`) is inconsistent or incomplete."""


class RegistryImportError(RevlabError):
    """An import into the registry of affected intermediates was refused; nothing changed."""


class HostError(RevlabError):
    """A host or port given to the chain fetcher is not acceptable input."""


class GuardError(RevlabError):
    """The SSRF guard refused the target: the message says which address and why."""


class ConfigError(RevlabError):
    """A setting (environment variable or option) has a value that cannot be used."""
