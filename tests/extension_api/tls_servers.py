"""Real TLS servers on 127.0.0.1 for the tests (Python ``ssl``), and the chains they serve.

A server sends whatever chain file it is given: a generated leaf followed by any certificate,
even a real 2020 intermediate whose key nobody here has. That is exactly what the fetcher must
read and the verdict must catch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from extension_api.demo import DemoSite, Mode, affected_intermediate_pem, serve_chain
from sim.pki import Hierarchy, build_hierarchy

__all__ = [
    "SHIPPED_PEM",
    "ServedChain",
    "affected_intermediate_pem",
    "hierarchy",
    "serve",
]

#: The shipped real 2020 intermediates (also in ../shared/data/incident-2020).
SHIPPED_PEM = resources.files("sim").joinpath("data/incident-2020/affected_intermediates.pem")


def hierarchy(now: dt.datetime, *, seed: int = 1, reissue: bool = False) -> Hierarchy:
    """Root -> intermediate ``ica`` -> leaf ``leaf``; with ``reissue``, ``ica2`` re-issues
    ``ica`` with the same key and issues ``leaf2``."""
    certs: list[dict[str, object]] = [
        {"name": "root", "kind": "root", "subject": {"CN": "Test Root", "O": "Lab CA"}},
        {"name": "ica", "kind": "intermediate", "issuer": "root",
         "subject": {"CN": "Test ICA", "O": "Lab CA"}},
        {"name": "leaf", "kind": "tls_server", "issuer": "ica", "dns_names": ["localhost"]},
    ]
    if reissue:
        certs += [
            {"name": "ica2", "kind": "intermediate", "issuer": "root", "key_from": "ica",
             "subject": {"CN": "Test ICA", "O": "Lab CA"}, "validity_days": 900},
            {"name": "leaf2", "kind": "tls_server", "issuer": "ica2",
             "dns_names": ["localhost"]},
        ]
    return build_hierarchy({"name": "test", "certificates": certs}, now=now, seed=seed)


#: A running server (the lessons' demo site: the same code serves both).
ServedChain = DemoSite


@contextmanager
def serve(
    tmp_path: Path,
    chain_pems: Sequence[bytes] = (),
    key_pem: bytes = b"",
    *,
    mode: Mode = "tls",
) -> Iterator[ServedChain]:
    """Run a server on 127.0.0.1 until the block ends (see `extension_api.demo.serve_chain`).

    Args:
        tmp_path: unused; kept so tests read as before (the demo keeps its files private).
        chain_pems: the served certificates, leaf first (mode ``tls``).
        key_pem: the leaf's private key (mode ``tls``).
        mode: ``tls`` serves the chain; ``close`` closes each connection at once; ``silent``
            accepts and never answers.
    """
    del tmp_path
    with serve_chain(chain_pems, key_pem, mode=mode) as site:
        yield site
