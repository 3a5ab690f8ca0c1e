"""JSON in and out of the API, with orjson: every view's ``jsonify`` and every posted body.

Flask's default provider serialises with the standard library and escapes every non-ASCII
character; a verdict (about 1 KB) then costs more to write than to compute. orjson writes the
same documents (UTF-8, keys in insertion order) several times faster, and reads posted bodies
the same way. Only JSON types are ever serialised here (the views build plain dicts).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response
from flask.json.provider import JSONProvider

__all__ = ["OrjsonProvider", "dumps", "init_app", "loads"]


def dumps(obj: Any) -> bytes:
    """A JSON document of ``obj`` (plain JSON types), as UTF-8 bytes."""
    return orjson.dumps(obj)


def loads(data: bytes | str) -> Any:
    """Parse a JSON document.

    Raises:
        ValueError: not JSON (orjson's error is a ValueError; nesting over 1,024 levels too).
    """
    return orjson.loads(data)


class OrjsonProvider(JSONProvider):
    """Flask's JSON provider, on orjson."""

    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise ``obj`` (keyword arguments of the standard library are not used)."""
        return orjson.dumps(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a JSON document."""
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response of ``jsonify``'s arguments, written straight to bytes."""
        obj = self._prepare_response_obj(args, kwargs)
        return Response(dumps(obj), mimetype=self.mimetype)


def init_app(app: Flask) -> None:
    """Make ``app`` read and write JSON with orjson."""
    app.json = OrjsonProvider(app)
