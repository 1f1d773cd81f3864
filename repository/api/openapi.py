"""The OpenAPI 3.1 description of the record API, served at ``/api/openapi.json``.

Written by hand so that it says what the API promises, not what a framework infers;
``tests/api/test_api.py`` validates it and checks the live answers against its schemas.
The record schema follows docs/json-records.md field by field.
"""

from __future__ import annotations

from typing import Any

from metadata.references.levels import ABBREVIATION
from repository.settings import Settings

_NULLABLE_TEXT = {"type": ["string", "null"]}
_TEXTS = {"type": ["array", "null"], "items": {"type": "string"}}
_TEXT_OR_TEXTS = {
    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}, {"type": "null"}]
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


RECORD: dict[str, Any] = {
    "type": "object",
    "description": (
        "One archival document in the JSON record format that `opis ingest` reads "
        "(docs/json-records.md). Only `reference` and `title` are required; an optional "
        "field may be left out or null. Unknown fields are ignored with a warning."
    ),
    "required": ["reference", "title"],
    "properties": {
        "reference": {
            "description": (
                "The archival reference: as the archive writes it (parsed), or as a "
                "structure used as given. Either way it decides the key."
            ),
            "oneOf": [
                {"type": "string", "minLength": 1, "examples": ["GAPPOD, f.1, op.89, d.112"]},
                {
                    "type": "object",
                    "required": ["archive", "levels"],
                    "additionalProperties": False,
                    "properties": {
                        "archive": {"type": "string", "pattern": "^[A-Z0-9]+(-[A-Z0-9]+)*$"},
                        "levels": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "array",
                                "prefixItems": [
                                    {"type": "string", "enum": sorted(ABBREVIATION)},
                                    {"type": "string", "minLength": 1},
                                ],
                                "minItems": 2,
                                "maxItems": 2,
                            },
                        },
                        "pages": {"type": ["string", "null"], "minLength": 1},
                    },
                    "examples": [
                        {
                            "archive": "CSAX",
                            "levels": [["fond", "12"], ["opis", "3"], ["delo", "46"]],
                            "pages": "5-7",
                        }
                    ],
                },
            ],
        },
        "title": {"type": "string", "minLength": 1},
        "date": {
            "type": ["string", "null"],
            "description": "ISO 8601 YYYY, YYYY-MM or YYYY-MM-DD, or a range A/B of two of those.",
            "examples": ["1946-04-20", "1945/1946"],
        },
        "description": {
            "oneOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {"oneOf": [{"type": "string"}, _ref("LanguageText")]},
                },
                _ref("LanguageText"),
                {"type": "null"},
            ]
        },
        "creators": {**_TEXTS, "description": "Personal names as `Surname, Forenames`."},
        "contributors": {
            "type": ["array", "null"],
            "items": {"oneOf": [{"type": "string"}, _ref("Contributor")]},
        },
        "language": {
            **_TEXT_OR_TEXTS,
            "description": "ISO 639-1 codes or BCP 47 tags of the original document.",
        },
        "subjects": _TEXTS,
        "places": _TEXTS,
        "collections": _TEXTS,
        "types": _TEXT_OR_TEXTS,
        "type": {**_TEXT_OR_TEXTS, "description": "Same as `types`; give one of the two."},
        "publisher": _NULLABLE_TEXT,
        "rights": _NULLABLE_TEXT,
        "funders": _TEXTS,
        "text": {"type": ["array", "null"], "items": _ref("TextBody")},
        "source": {"oneOf": [_ref("Source"), {"type": "null"}]},
        "pages": {
            "type": ["array", "null"],
            "description": (
                "Page images in reading order. `image` is the file name of an uploaded "
                "multipart part, a file under the server's `auth.image_root`, or the id of "
                "an image already stored (as GET shows it). Without `pages`, uploaded "
                "images are taken in file-name order."
            ),
            "items": {"oneOf": [{"type": "string"}, _ref("Page")]},
        },
    },
    "additionalProperties": True,
    # `type` and `types` are one field under two names: give at most one (null = left out)
    "not": {
        "required": ["type", "types"],
        "properties": {"type": {"not": {"type": "null"}}, "types": {"not": {"type": "null"}}},
    },
}

# A record as GET and the other answers show it: the same fields, but a document that has
# no archival reference at all (ingested from page text or harvested without one, so
# keyed under UNCITED/) is shown without `reference`. Such a record needs a reference
# before it can be PUT back, as every PUT does.
STORED: dict[str, Any] = {
    **RECORD,
    "description": (
        "The record as stored, in the JSON record format (docs/json-records.md), each "
        "page's `image` being its stored image id. `reference` is left out when the "
        "document has no archival reference (its key is under `UNCITED/`); every other "
        "record can be sent back to PUT as it is."
    ),
    "required": ["title"],
}

COMPONENTS: dict[str, Any] = {
    "Record": RECORD,
    "StoredRecordData": STORED,
    "LanguageText": {
        "type": "object",
        "required": ["value"],
        "properties": {"value": {"type": "string"}, "language": _NULLABLE_TEXT},
    },
    "Contributor": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "role": {**_NULLABLE_TEXT, "examples": ["translator", "obtainer"]},
        },
    },
    "TextBody": {
        "type": "object",
        "required": ["content", "kind"],
        "properties": {
            "content": {"type": "string"},
            "kind": {"enum": ["transcription", "translation"]},
            "language": _NULLABLE_TEXT,
        },
    },
    "Source": {
        "type": "object",
        "properties": {
            "id": {"type": ["string", "integer", "null"]},
            "url": {"type": ["string", "null"], "format": "uri"},
        },
    },
    "Page": {
        "type": "object",
        "required": ["image"],
        "properties": {"image": {"type": "string"}, "label": _NULLABLE_TEXT},
    },
    "StoredRecord": {
        "type": "object",
        "required": ["key", "status", "deleted", "datestamp", "record"],
        "properties": {
            "key": {"type": "string", "examples": ["GAPPOD/f.1/op.89/d.112"]},
            "status": {
                "enum": ["live", "added", "updated", "unchanged", "deleted"],
                "description": (
                    "GET: `live` or `deleted`. PUT: `added`, `updated` or `unchanged`. "
                    "DELETE: `deleted`, or `unchanged` when it was deleted already."
                ),
            },
            "deleted": {"type": "boolean"},
            "datestamp": {
                "type": ["string", "null"],
                "description": "The OAI datestamp (UTC, seconds); null while still pending.",
                "examples": ["2025-03-01T12:00:00Z"],
            },
            "record": _ref("StoredRecordData"),
            "warnings": {
                "type": "array",
                "items": {"type": "string"},
                "description": "What the reader repaired or ignored (PUT only).",
            },
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "details"],
        "properties": {
            "error": {"type": "string"},
            "details": {"type": "array", "items": {"type": "string"}},
            "expected_key": {
                "type": "string",
                "description": "409/422 on PUT: the key this record belongs under.",
            },
            "max_body_bytes": {"type": "integer", "description": "413: the limit."},
        },
    },
    "Tombstone": {
        "description": "410: the error, and the record as it was when deleted.",
        "allOf": [_ref("Error"), _ref("StoredRecord")],
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }


def _record(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("StoredRecord")}},
    }


_UNAUTHORISED = {
    **_error("No bearer token, or one that is not valid."),
    "headers": {
        "WWW-Authenticate": {"schema": {"type": "string"}, "example": 'Bearer realm="opis"'}
    },
}
_UNAVAILABLE = {
    **_error("The database is not reachable; retry after Retry-After seconds."),
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
}
_INTERNAL = _error("An internal error; it is logged, and the answer holds no details.")
_KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "description": (
        "The record's key as it stands in its URLs, slashes included and not escaped: "
        "`GAPPOD/f.1/op.89/d.112`. Percent-escapes inside values (`%C3%89`, `%2F`) are "
        "part of the key, so a client must send the key as it is, not percent-encode it "
        "as a path parameter (`%2F` names another key). At most 1,000 characters."
    ),
    "schema": {"type": "string"},
    "examples": {"unit": {"value": "GAPPOD/f.1/op.89/d.112"}},
}


# What a part's name cannot hold (see ``_put``), as a JSON Schema character class body.
_UNSENDABLE = "\\u0000-\\u001f\\u007f\\\\;"


def _put(limit: int) -> dict[str, Any]:
    return {
        "operationId": "putRecord",
        "summary": "Add or update the record stored under this key",
        "description": (
            "Validated exactly as `opis ingest` validates a JSON record, and written in "
            "one transaction, whole or not at all. The key is the record's own: a new "
            "document is stored under its reference's key (or `<key>/doc.<id>` when "
            "another document holds that key), a known document keeps its key. The URL "
            "must name that key; otherwise nothing is written and the answer is 409 "
            "(the key holds another document, or this one is stored elsewhere) or 422 "
            "(the reference gives another key), with `expected_key`. Page images are "
            "validated and stored before the record; a bad image is a 422 and nothing "
            f"is written. Bodies over {limit} bytes (auth.max_body_bytes) are refused "
            "with 413, from Content-Length before reading or while reading."
        ),
        "security": [{"bearer": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _ref("Record")},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["record"],
                        "properties": {"record": _ref("Record")},
                        # A part's name travels in a quoted header parameter: no control
                        # characters, and none that a reader of that header takes apart
                        # (aiohttp drops leading slashes and backslashes, reads a
                        # backslash as an escape, and splits parameters at semicolons).
                        # An image's name is relative to the record anyway.
                        "propertyNames": {"pattern": f"^[^{_UNSENDABLE}/][^{_UNSENDABLE}]*$"},
                        "additionalProperties": {
                            "type": "string",
                            "contentMediaType": "application/octet-stream",
                            "description": (
                                "A page image (JPEG, PNG, TIFF, WebP ...). Its name is the "
                                "part's file name (`filename` in Content-Disposition) or, "
                                "without one, the part's name; the record's pages[].image "
                                "names it. Without `pages`, the images become the pages in "
                                "name order. Every part other than `record` is an image."
                            ),
                        },
                    },
                    "encoding": {"record": {"contentType": "application/json"}},
                },
            },
        },
        "responses": {
            "200": _record("Updated, or unchanged (`status` says which)."),
            "201": {
                **_record("Added."),
                "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
            },
            "400": _error("The body is not JSON, not UTF-8, or not a well-formed multipart."),
            "401": _UNAUTHORISED,
            "403": _error("The token may only read."),
            "409": _error("The key holds another document, or this document has another key."),
            "413": _error("The body is larger than auth.max_body_bytes."),
            "415": _error("Not application/json or multipart/form-data, or compressed."),
            "422": _error(
                "The record is not valid (every problem in `details`, the field limits of "
                "the `[records]` settings included), names another key, or a page image is "
                "missing or refused; also a key longer than 1,000 characters."
            ),
            "500": _INTERNAL,
            "503": _UNAVAILABLE,
        },
    }


def document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI document for this server (its URL comes from ``server.public_url``)."""
    limit = settings.auth.max_body_bytes
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.repository.name}: record API",
            "version": "1",
            "description": (
                "Read, add, update and delete archival records. Reads are public; writes "
                "need a bearer token from `auth.tokens`. Errors are JSON objects with "
                "`error` (the reason) and `details` (each problem), never stack traces."
            ),
        },
        "servers": [{"url": settings.base_url}],
        "paths": {
            "/api/records/{key}": {
                "parameters": [_KEY],
                "get": {
                    "operationId": "getRecord",
                    "summary": "The stored record, in the JSON record format",
                    "security": [],
                    "responses": {
                        "200": {
                            **_record("The record."),
                            "headers": {"ETag": {"schema": {"type": "string"}}},
                        },
                        "304": {"description": "Not modified (If-None-Match)."},
                        "404": _error("No record has this key."),
                        "410": {
                            "description": "Deleted: a tombstone, with the record as it was.",
                            "content": {"application/json": {"schema": _ref("Tombstone")}},
                        },
                        "500": _INTERNAL,
                        "503": _UNAVAILABLE,
                    },
                },
                "put": _put(limit),
                "delete": {
                    "operationId": "deleteRecord",
                    "summary": "Delete the record, leaving a tombstone harvesters see",
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": _record("Deleted, or `unchanged` when it was deleted already."),
                        "401": _UNAUTHORISED,
                        "403": _error("The token may only read."),
                        "404": _error("No record has this key."),
                        "500": _INTERNAL,
                        "503": _UNAVAILABLE,
                    },
                },
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "304": {"description": "Not modified (If-None-Match)."},
                    },
                }
            },
        },
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from auth.tokens that may write.",
                }
            },
        },
    }
