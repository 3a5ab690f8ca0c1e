"""Revocation Lab's simulation package.

A pure library: it builds and reads real X.509 certificates, audits them, matches chains
against lists of affected intermediates, and models mass revocations. It never reads the
clock, the network or the disk behind the caller's back: time, seeds and files are arguments.
"""

__version__ = "0.1.0"
