"""The error side of every operation: RFC 9457 problem documents.

Every error ajaxkit answers is ``application/problem+json`` of one shape
(:func:`ajaxkit.core.profile.problem_document`), so the document holds it
once, as the ``Problem`` schema, and operations refer to shared responses.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PROBLEM_MEDIA_TYPE", "error_responses", "problem_components"]

PROBLEM_MEDIA_TYPE = "application/problem+json"

_FIELD_ERROR: dict[str, Any] = {
    "type": "object",
    "description": "One invalid input: a body member (`pointer`) or a parameter (`parameter`).",
    # As ajaxkit.exceptions.FieldError: only ``detail`` is always there.
    "required": ["detail"],
    "properties": {
        "pointer": {"type": "string", "description": "RFC 6901 JSON Pointer as a URI fragment."},
        "parameter": {"type": "string", "description": "The query or path parameter's name."},
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
}

_PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document; `code` is the stable machine-readable name.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Present on 422 `validation_failed` (and some 409s).",
            "items": {"$ref": "#/components/schemas/FieldError"},
        },
        "exception": {"type": "object", "description": "Only with `debug=True`."},
        "login_url": {
            "type": "string",
            "description": "On 401 `not_authenticated`, where a browser logs in, when configured.",
        },
    },
}

_VALIDATION_PROBLEM: dict[str, Any] = {
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {"type": "object", "required": ["errors"]},
    ]
}

_KEY_REUSED: dict[str, Any] = {
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {"type": "object", "properties": {"code": {"const": "idempotency_key_reused"}}},
    ]
}

_VALIDATION_OR_KEY_REUSED: dict[str, Any] = {
    "anyOf": [
        {"$ref": "#/components/schemas/ValidationProblem"},
        {"$ref": "#/components/schemas/IdempotencyKeyReused"},
    ]
}

#: Shared responses: name → (description, schema name).
_RESPONSES = {
    "Problem": ("An error, as a problem document.", "Problem"),
    "BadRequest": ("400: malformed body, query or header.", "Problem"),
    "NotAuthenticated": ("401 `not_authenticated`: log in first.", "Problem"),
    "Forbidden": ("403 `forbidden`: the permission check refused.", "Problem"),
    "NotFound": ("404 `not_found`: no such record or route.", "Problem"),
    "ValidationFailed": ("422 `validation_failed` with `errors[]`.", "ValidationProblem"),
    "ValidationFailedOrKeyReused": (
        "422 `validation_failed` with `errors[]`, or `idempotency_key_reused`: the "
        "Idempotency-Key was sent before with another request.",
        "ValidationOrKeyReusedProblem",
    ),
    "PreconditionFailed": ("412 `precondition_failed`: the ETag is stale.", "Problem"),
    "PreconditionRequired": (
        "428 `precondition_required`: send If-Match with the ETag read (`*` names none).",
        "Problem",
    ),
    "Conflict": ("409 `conflict`: a constraint refused the write.", "Problem"),
    "TooManyRequests": ("429 `rate_limited`: over the endpoint's rate limit.", "Problem"),
}
_RETRY_AFTER = {
    "description": "Seconds until a retry is admitted.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}


def problem_components() -> dict[str, Any]:
    """The ``schemas`` and ``responses`` every document carries."""
    responses = {
        name: {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
        for name, (description, schema) in _RESPONSES.items()
    }
    responses["TooManyRequests"]["headers"] = {"Retry-After": _RETRY_AFTER}
    schemas = {
        "Problem": _PROBLEM,
        "ValidationProblem": _VALIDATION_PROBLEM,
        "FieldError": _FIELD_ERROR,
        "IdempotencyKeyReused": _KEY_REUSED,
        "ValidationOrKeyReusedProblem": _VALIDATION_OR_KEY_REUSED,
    }
    return {"schemas": schemas, "responses": responses}


def error_responses(**statuses: bool) -> dict[str, Any]:
    """References to the shared responses for the statuses that apply.

    Keywords are response names (``NotAuthenticated=True``); ``default``
    covers every other error (405, 413, 415, 429, 500, ...).
    """
    codes = {
        "BadRequest": "400",
        "NotAuthenticated": "401",
        "Forbidden": "403",
        "NotFound": "404",
        "Conflict": "409",
        "PreconditionFailed": "412",
        "ValidationFailed": "422",
        "PreconditionRequired": "428",
        "TooManyRequests": "429",
    }
    found = {
        codes[name]: {"$ref": f"#/components/responses/{name}"}
        for name, wanted in statuses.items()
        if wanted
    }
    found["default"] = {"$ref": "#/components/responses/Problem"}
    return found
