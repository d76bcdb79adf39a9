"""The browser client (``ajaxkit.js``), served by every registry under its mount.

Routes (GET and HEAD) added by :class:`~ajaxkit.Ajax` itself, so every
integration serves them with no extra code:

- ``<mount>/ajaxkit.js``: the entry module, holding the client's one export list;
- ``<mount>/ajaxkit/<file>.js``: the modules it imports (relative imports,
  so the browser finds them under whatever mount the page used).

The files are read once, when first asked for.  Every answer carries a strong
``ETag`` (a hash of the bytes); ``If-None-Match`` matching it answers 304.  A
URL with ``?v={client_version()}`` (from a template) is a versioned URL: its
bytes never change under it, so it is cached for a year as ``immutable``.
Its relative imports are sent with the same ``?v=``, so the whole module
graph is cached that way, not only the entry.  Other URLs, another ``v``
included, are revalidated on every use (``no-cache``), so an upgrade of
ajaxkit reaches the browser at once, and no cache keeps these bytes for a
year under a version they are not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ajaxkit.core.conditions import none_match
from ajaxkit.exceptions import ValidationFailed
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.registry import Ajax

__all__ = ["CLIENT_MEDIA_TYPE", "ClientAsset", "client_files", "client_version", "serve_client"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
#: RFC 9239: JavaScript is ``text/javascript``; browsers require a JS type for modules.
CLIENT_MEDIA_TYPE = "text/javascript; charset=utf-8"
#: A versioned URL's bytes never change: a year, and no revalidation on reload.
VERSIONED_CACHE = "public, max-age=31536000, immutable"
#: An unversioned URL may change with an upgrade: always revalidate (cheap, by ETag).
UNVERSIONED_CACHE = "no-cache"
#: What ``?v=`` may hold: it is written into the modules' import specifiers.
VERSION_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: A relative import specifier (``from "./ajaxkit/errors.js"``) in a client module.
_IMPORT = re.compile(rb'(from "\./[\w/]+\.js)"')


@dataclass(frozen=True)
class ClientAsset:
    """One served file: its bytes and their entity tag."""

    body: bytes
    etag: str

    @classmethod
    def read(cls, path: Path) -> ClientAsset:
        return cls.of(path.read_bytes())

    @classmethod
    def of(cls, body: bytes) -> ClientAsset:
        return cls(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')

    def versioned(self, version: str) -> ClientAsset:
        """These bytes with ``?v=version`` on every relative import."""
        return self.of(_IMPORT.sub(rb'\1?v=%s"' % version.encode(), self.body))


def client_files() -> dict[str, Path]:
    """Route below the mount → file, for the entry module and every module it imports."""
    files = {"ajaxkit.js": STATIC_DIR / "ajaxkit.js"}
    for path in sorted((STATIC_DIR / "ajaxkit").glob("*.js")):
        files[f"ajaxkit/{path.name}"] = path
    return files


@cache
def _asset(route: str) -> ClientAsset:
    return ClientAsset.read(client_files()[route])


@cache
def client_version() -> str:
    """A short hash of every client file: put it in ``?v=`` to get long-lived caching."""
    digest = hashlib.sha256()
    for route in client_files():
        digest.update(_asset(route).etag.encode())
    return digest.hexdigest()[:12]


def serve_client(api: Ajax) -> None:
    """Add the client's routes to ``api`` (done by ``Ajax()`` itself)."""
    for route in client_files():
        api.add(route, _handler(route), methods=["GET", "HEAD"], csrf_exempt=True)


def _handler(route: str) -> Callable[[AjaxRequest], AjaxResponse]:
    def client_module(request: AjaxRequest) -> AjaxResponse:
        return answer_asset(_asset(route), request)

    client_module.__name__ = client_module.__qualname__ = f"client:{route}"
    return client_module


def answer_asset(asset: ClientAsset, request: AjaxRequest) -> AjaxResponse:
    """200 with the bytes, or 304 when the client already holds them."""
    pinned = False
    if "v" in request.query:
        version = _version(request.query["v"])
        asset = _versioned(asset, version)
        # Only this client's own version is pinned for a year: any other is
        # one these bytes may not be (a release not deployed here yet, whose
        # version anyone can compute, or an older process mid-deploy).
        pinned = version == client_version()
    headers = {
        "ETag": asset.etag,
        "Cache-Control": VERSIONED_CACHE if pinned else UNVERSIONED_CACHE,
    }
    if none_match(request.headers.get("If-None-Match"), asset.etag):
        return AjaxResponse(status=304, headers=headers)
    headers["Content-Type"] = CLIENT_MEDIA_TYPE
    body = b"" if request.method == "HEAD" else asset.body
    return AjaxResponse(status=200, headers=headers, body=body)


@lru_cache(maxsize=64)
def _versioned(asset: ClientAsset, version: str) -> ClientAsset:
    # Bounded: a page asks for one version, but anyone may ask for others.
    return asset.versioned(version)


def _version(value: str) -> str:
    if not VERSION_PATTERN.fullmatch(value):
        raise ValidationFailed(
            [
                {
                    "parameter": "v",
                    "detail": "Letters, digits, '.', '_' or '-' (64 at most).",
                    "code": "pattern_mismatch",
                }
            ]
        )
    return value
