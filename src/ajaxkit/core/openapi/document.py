"""The OpenAPI 3.1 document of one registry, built once and kept.

Building walks every endpoint and asks pydantic for schemas, which is too
slow to repeat per request; the document is built on first use and kept
until the registry's endpoints change (:attr:`Router.version
<ajaxkit.core.routing.Router.version>`).  Their number would not do: a
configured ``DEFAULT_METHODS`` builds endpoints again, one method for
another, and the document went on listing the old ones.  A profile
configured later (``api.configure(profile=...)``) is seen too.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ajaxkit.core.assets import client_files
from ajaxkit.core.endpoint import WEBSOCKET, Endpoint
from ajaxkit.core.openapi.operations import (
    SECURITY_SCHEME,
    operation,
    path_parameters,
    security_for,
    with_policies,
)
from ajaxkit.core.openapi.paths import openapi_path
from ajaxkit.core.openapi.problems import problem_components
from ajaxkit.core.openapi.resources import model_operations
from ajaxkit.core.openapi.schemas import SchemaTable
from ajaxkit.core.profile import ProblemProfile

if TYPE_CHECKING:
    from ajaxkit.core.registry import Ajax

__all__ = ["DOC_ROUTES", "DocumentCache", "build_document"]

OPENAPI_VERSION = "3.1.0"
#: The routes serving the document itself, and the CSRF token route:
#: infrastructure, not part of the API they describe.
DOC_ROUTES = frozenset({"_openapi.json", "_types.d.ts", "_csrf"})
#: Mount paths remembered before the table starts over (a registry is
#: mounted a handful of times; this bounds what requests can add).
_MOUNTS_KEPT = 16
# HEAD and OPTIONS are answered for every route by the router: not listed.
_HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")
_SESSION = {
    "type": "apiKey",
    "in": "cookie",
    "name": "session",
    "description": (
        "The web framework's own login (Django's session, Flask-Login, Starlette's "
        "authentication middleware); the cookie's name is the framework's."
    ),
}


def build_document(api: Ajax, *, title: str = "ajaxkit endpoints") -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``api``'s endpoints, paths relative to the mount."""
    components = problem_components()
    # The problem schemas hold their names: a handler's own ``Problem`` model
    # is named ``Problem2`` rather than replacing the one errors refer to.
    table = SchemaTable(components["schemas"])
    from_models: dict[tuple[str, str], Any] = {}
    for resource in api.models.values():
        from_models.update(model_operations(resource, table))
    paths: dict[str, dict[str, Any]] = {}
    sockets: dict[str, Any] = {}
    for endpoint in sorted(api.endpoints(), key=lambda e: e.route):
        if endpoint.route in DOC_ROUTES or endpoint.route in client_files():
            continue  # the browser client's modules are infrastructure too
        if WEBSOCKET in endpoint.methods:
            sockets[openapi_path(endpoint.route)] = _socket(endpoint, table)
            continue
        item = paths.setdefault(openapi_path(endpoint.route), {})
        for method in sorted(endpoint.methods & set(_HTTP_METHODS)):
            found = from_models.get((endpoint.route, method))
            op = found or operation(endpoint, method, table)
            item[method.lower()] = with_policies(op, endpoint, method)
    components["schemas"] = table.components
    components["securitySchemes"] = {SECURITY_SCHEME: _SESSION}
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": "1"},
        "paths": {p: paths[p] for p in sorted(paths) if paths[p]},
        "components": components,
    }
    if sockets:
        document["x-ajaxkit-websockets"] = sockets
    profile = type(api.settings.profile)
    if profile is not ProblemProfile:
        # The schemas describe the modern wire; a compatibility profile's
        # envelopes differ, and the document says which one answers.
        document["info"]["x-ajaxkit-profile"] = profile.__name__
    return document


def _socket(endpoint: Endpoint, table: SchemaTable) -> dict[str, Any]:
    """A WebSocket route, in an extension: OpenAPI 3.1 cannot describe sockets.

    The handshake is a GET; its parameters are the path's and the query
    string's, bound as for an HTTP GET.
    """
    doc = operation(endpoint, "GET", table)
    found: dict[str, Any] = {
        "summary": doc["summary"],
        "x-ajaxkit-endpoint": endpoint.route,
        "parameters": doc.get("parameters", path_parameters(endpoint.route, None, table)),
    }
    if "security" in doc:
        found["security"] = doc["security"]
    elif endpoint.login_required:
        found["security"] = security_for(required=True)
    return found


class DocumentCache:
    """``api``'s document per mount path, rebuilt when its endpoints or profile change."""

    def __init__(self, api: Ajax) -> None:
        self.api = api
        self._lock = threading.Lock()
        self._generation: tuple[int, type] | None = None
        self._base: dict[str, Any] = {}
        self._by_mount: dict[str, dict[str, Any]] = {}

    def document(self, mount: str) -> dict[str, Any]:
        """The document as served under ``mount`` (its ``servers`` entry)."""
        with self._lock:
            # What the document is read from: the endpoints and the profile.
            generation = (self.api.router.version, type(self.api.settings.profile))
            if generation != self._generation:
                self._base = build_document(self.api)
                self._by_mount, self._generation = {}, generation
            found = self._by_mount.get(mount)
            if found is None:
                if len(self._by_mount) >= _MOUNTS_KEPT:
                    self._by_mount.clear()
                found = {**self._base, "servers": [{"url": mount or "/"}]}
                self._by_mount[mount] = found
            return found
