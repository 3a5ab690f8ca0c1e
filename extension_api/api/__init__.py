"""The API's blueprints, one per resource."""

from __future__ import annotations

from flask import Blueprint

from . import chain, health, hostprefix, hosts, index, lessons, openapi_view, registry, scan

__all__ = ["BLUEPRINTS"]

#: Every blueprint, registered in this order by ``create_app``.
BLUEPRINTS: tuple[Blueprint, ...] = (
    index.bp,
    health.bp,
    openapi_view.bp,
    registry.bp,
    chain.bp,
    hosts.bp,
    hostprefix.bp,
    scan.bp,
    lessons.bp,
)
