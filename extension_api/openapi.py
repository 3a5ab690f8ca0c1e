"""The OpenAPI 3 document of the API (served at ``GET /openapi.json``).

The schemas here describe exactly what the views return; the test suite checks the code
against them (schemathesis over every operation, and direct validation of real answers).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sim.registry import STATUSES, VerdictKind

from .errors import ErrorCode
from .service import RemedyCode

__all__ = ["SCHEMAS", "openapi_document"]

_HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_NULLABLE_HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$", "nullable": True}
_DATE = {"type": "string", "format": "date", "nullable": True}
_DATETIME = {"type": "string", "format": "date-time"}


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_ENTRY = _obj(
    {
        "sha256": _HEX64,
        "incident": {"type": "string"},
        "ca_label": {"type": "string"},
        "subject": {"type": "string"},
        "issuer": {"type": "string"},
        "spki_sha256": _NULLABLE_HEX64,
        "ski": {"type": "string", "nullable": True},
        "status": {"type": "string", "enum": list(STATUSES)},
        "status_date": _DATE,
        "status_source": {"type": "string"},
        "tls_capable": {"type": "boolean", "nullable": True},
        "not_after": _DATE,
        "reissues": {"type": "array", "items": _HEX64},
        "remedy": {"type": "string"},
    }
)


def _column(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


_MATCH = {
    **_obj({"position": {"type": "integer", "minimum": 0}, "entry": _ref("RegistryEntry")}),
    "nullable": True,
}
_REMEDY = _obj({"owner": {"type": "string"}, "visitor": {"type": "string"}})

_VERDICT_PROPS: dict[str, Any] = {
    "verdict": {"type": "string", "enum": [k.value for k in VerdictKind]},
    "summary": {"type": "string"},
    "reasons": {"type": "array", "items": {"type": "string"}},
    "match": _MATCH,
    # True when an affected_key chain serves the CA's known clean re-issue (the fix).
    "known_reissue": {"type": "boolean"},
    # The chain position of a dangerous_responder verdict's CA certificate, else null.
    "responder_position": {"type": "integer", "minimum": 0, "nullable": True},
    "remedy": _REMEDY,
    "chain": {
        "type": "array",
        "items": _obj(
            {
                "position": {"type": "integer", "minimum": 0},
                "sha256": _NULLABLE_HEX64,
                "spki_sha256": _NULLABLE_HEX64,
                "subject": {"type": "string"},
                "issuer": {"type": "string"},
                "error": {"type": "string", "nullable": True},
            }
        ),
    },
}

_INCIDENT = _obj(
    {
        "title": {"type": "string"},
        "disclosed": _DATE,
        "deadline": _DATE,
        "lesson": {"type": "string"},
        "sources": {"type": "array", "items": {"type": "string"}},
    }
)

#: The component schemas, by name.
SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "error": _obj(
                {
                    "code": {"type": "string", "enum": [c.value for c in ErrorCode]},
                    "message": {"type": "string"},
                }
            )
        }
    ),
    "Health": _obj({"status": {"type": "string", "enum": ["ok"]}}),
    "Index": _obj(
        {
            "name": {"type": "string"},
            "about": {"type": "string"},
            "openapi": {"type": "string"},
            "endpoints": {
                "type": "array",
                "items": _obj(
                    {
                        "method": {"type": "string"},
                        "path": {"type": "string"},
                        "summary": {"type": "string"},
                    }
                ),
            },
            "lessons": {
                "type": "array",
                "items": _obj({"title": {"type": "string"}, "url": {"type": "string"}}),
            },
        }
    ),
    "RegistryEntry": _ENTRY,
    "Incident": _INCIDENT,
    "CompactRegistry": _obj(
        {
            "format": {"type": "string", "enum": ["columns-1"]},
            "version": {"type": "integer"},
            "etag": {"type": "string"},
            "incidents": {"type": "object", "additionalProperties": _ref("Incident")},
            "remedies": {"type": "object", "additionalProperties": {"type": "string"}},
            "count": {"type": "integer", "minimum": 0},
            # One array per field, each `count` long: entry i is {field: columns[field][i]}.
            "columns": _obj(
                {
                    "sha256": _column(_HEX64),
                    "spki_sha256": _column(_NULLABLE_HEX64),
                    "ski": _column({"type": "string", "nullable": True}),
                    "ca_label": _column({"type": "string"}),
                    "incident": _column({"type": "string"}),
                    "status": _column({"type": "string", "enum": list(STATUSES)}),
                    "status_date": _column(_DATE),
                    "remedy": _column(
                        {"type": "string", "enum": [c.value for c in RemedyCode]}
                    ),
                    "reissues": _column({"type": "array", "items": _HEX64}),
                }
            ),
        }
    ),
    "EntryDetail": _obj(
        {"entry": _ref("RegistryEntry"), "incident": {**_INCIDENT, "nullable": True}}
    ),
    "ChainRequest": {
        **_obj(
            {
                "chain": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 10,
                    "items": {
                        "type": "string",
                        "description": "a PEM certificate or its DER in base64",
                    },
                    "description": "the certificates, leaf first",
                }
            }
        ),
    },
    "Verdict": _obj(_VERDICT_PROPS),
    "HostVerdict": _obj(
        {
            **_VERDICT_PROPS,
            "served": _obj(
                {
                    "host": {"type": "string"},
                    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                    "address": {"type": "string", "nullable": True},
                    "cached": {"type": "boolean"},
                    "fetched_at": _DATETIME,
                    "expires_at": _DATETIME,
                    "truncated": {"type": "boolean"},
                    "error": {"type": "string", "nullable": True},
                }
            ),
        }
    ),
    "PrefixResult": _obj(
        {
            "prefix": {"type": "string", "pattern": "^[0-9a-f]{4,5}$"},
            "hosts": {
                "type": "array",
                "items": _obj(
                    {
                        "host_sha256": _HEX64,
                        "port": {"type": "integer"},
                        "verdict": {"type": "string", "enum": [k.value for k in VerdictKind]},
                        "summary": {"type": "string"},
                        "match": _MATCH,
                        "known_reissue": {"type": "boolean"},
                        "responder_position": {
                            "type": "integer",
                            "minimum": 0,
                            "nullable": True,
                        },
                        "remedy": _REMEDY,
                        "scanned_at": _DATETIME,
                        "list": {"type": "string"},
                    }
                ),
            },
            "corpus": _ref("CorpusAge"),
        }
    ),
    # The scan corpus (``revlab scan --into-db``): what /v1/hostprefix answers from.
    "CorpusAge": _obj(
        {
            "targets": {"type": "integer", "minimum": 0},
            "oldest_scan": {**_DATETIME, "nullable": True},
            "newest_scan": {**_DATETIME, "nullable": True},
            "age_seconds": {"type": "integer", "minimum": 0, "nullable": True},
        }
    ),
    "ScanSummary": _obj(
        {
            "targets": {"type": "integer", "minimum": 0},
            "oldest_scan": {**_DATETIME, "nullable": True},
            "newest_scan": {**_DATETIME, "nullable": True},
            "age_seconds": {"type": "integer", "minimum": 0, "nullable": True},
            "verdicts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "lists": {
                "type": "array",
                "items": _obj(
                    {
                        "name": {"type": "string"},
                        "targets": {"type": "integer", "minimum": 0},
                        "verdicts": {
                            "type": "object", "additionalProperties": {"type": "integer"}
                        },
                        "first_scanned": _DATETIME,
                        "last_scanned": _DATETIME,
                    }
                ),
            },
        }
    ),
    "ImportResult": _obj(
        {
            "version": {"type": "integer"},
            "etag": {"type": "string"},
            "added": {"type": "integer", "minimum": 0},
            "entries": {"type": "integer", "minimum": 0},
        }
    ),
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "invalid input",
        401: "no admin token",
        403: "refused",
        404: "not found",
        413: "body too large",
        415: "unsupported media type",
        422: "the file was refused; nothing changed",
        429: "rate limited (Retry-After says when to retry)",
        503: "busy: the database's write lock, the outbound checks or the limit store "
        "(Retry-After says when to retry)",
    }
    out = {str(c): _json("Error", text[c]) for c in codes}
    out["default"] = _json("Error", "any other error")
    return out


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Revocation Lab API",
            "version": "1",
            "description": "Verdicts on certificate chains against the lists of affected "
            "intermediates (docs/design.md). Every error is {'error': {'code', 'message'}}.",
        },
        "paths": {
            "/": {
                "get": {
                    "operationId": "index",
                    "summary": "what this server offers: this list, the OpenAPI link, lessons",
                    "responses": {
                        "200": {
                            "description": "HTML for a browser, JSON for Accept: "
                            "application/json",
                            "content": {
                                "text/html": {"schema": {"type": "string"}},
                                "application/json": {"schema": _ref("Index")},
                            },
                        },
                        **_errors(429),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "liveness",
                    "responses": {"200": _json("Health", "the process is up"), **_errors()},
                }
            },
            "/v1/registry": {
                "get": {
                    "operationId": "getRegistry",
                    "summary": "the compact affected list, with ETag and Cache-Control",
                    "parameters": [
                        {
                            "name": "If-None-Match",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json("CompactRegistry", "the list"),
                        "304": {"description": "not modified"},
                        **_errors(429),
                    },
                }
            },
            "/v1/registry/{sha256}": {
                "get": {
                    "operationId": "getRegistryEntry",
                    "summary": "one listed certificate",
                    "parameters": [
                        {
                            "name": "sha256",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json("EntryDetail", "the entry"),
                        **_errors(400, 404, 429),
                    },
                }
            },
            "/v1/registry/import": {
                "post": {
                    "operationId": "importRegistry",
                    "summary": "import our CSV, a PEM bundle or a CCADB CSV, atomically",
                    "security": [{"adminToken": []}],
                    "parameters": [
                        {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                        for n in ("incident", "ca_label", "status", "status_date", "source")
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/x-pem-file": {"schema": {"type": "string"}},
                            "application/octet-stream": {
                                "schema": {"type": "string", "format": "binary"}
                            },
                        },
                    },
                    "responses": {
                        "200": _json("ImportResult", "the new registry version"),
                        **_errors(400, 401, 403, 413, 422, 429, 503),
                    },
                }
            },
            "/v1/chain": {
                "post": {
                    "operationId": "checkChain",
                    "summary": "the verdict on a chain, leaf first",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ChainRequest")}},
                    },
                    "responses": {
                        "200": _json("Verdict", "the verdict"),
                        **_errors(400, 413, 429),
                    },
                }
            },
            "/v1/hosts/{host}": {
                "get": {
                    "operationId": "checkHost",
                    "summary": "the server reads the chain the host serves and judges it",
                    "parameters": [
                        {
                            "name": "host",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "port",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "default": 443},
                        },
                    ],
                    "responses": {
                        "200": _json("HostVerdict", "the verdict (unknown when unreadable)"),
                        **_errors(400, 403, 429, 503),
                    },
                }
            },
            "/v1/hostprefix/{prefix}": {
                "get": {
                    "operationId": "lookupHostPrefix",
                    "summary": "k-anonymity: verdicts of scanned hosts (the scan corpus) by "
                    "SHA-256 prefix",
                    "parameters": [
                        {
                            "name": "prefix",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "4 or 5 hex digits of SHA-256(lower-case hostname)",
                        }
                    ],
                    "responses": {
                        "200": _json("PrefixResult", "the bucket"),
                        **_errors(400, 429),
                    },
                }
            },
            "/v1/scan/summary": {
                "get": {
                    "operationId": "getScanSummary",
                    "summary": "the scan corpus in counts: per verdict, per list, and its age",
                    "responses": {"200": _json("ScanSummary", "the counts"), **_errors(429)},
                }
            },
            "/notebooks/{name}": {
                "get": {
                    "operationId": "getLesson",
                    "summary": "a lesson rendered as a page (the extension's 'learn more' link)",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "a notebook file name, e.g. "
                            "02_ocsp_delegated_responder.ipynb",
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "the lesson as HTML",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        **_errors(404),
                    },
                }
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}},
        },
    }
