"""The framework-free reference client: the core pipeline with no framework."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import SimpleNamespace
from typing import Any

from ajaxkit import Ajax, ClientError, Forbidden, NotFound, Stream
from ajaxkit.core.platform import ReferenceNative
from ajaxkit.testing import Client as CoreClient
from ajaxkit.testing import Response
from tests.conformance.app import Natives, default_apis
from tests.conformance.clients.base import Client

_NATIVE_ERRORS = {"not_found": NotFound, "forbidden": Forbidden, "bad_request": ClientError}


def _response(status: int, body: bytes, content_type: str, headers: list[tuple[str, str]]) -> Any:
    # Without a framework the "native" response is a stand-in: it passes through.
    return ReferenceNative(
        status=status, body=body, headers=[("Content-Type", content_type), *headers]
    )


def _raise(kind: str, detail: str | None) -> None:
    error = _NATIVE_ERRORS[kind]
    raise error() if detail is None else error(detail)


def _stream(chunks: Iterator[bytes], content_type: str) -> Any:
    return ReferenceNative(headers={"Content-Type": content_type}, stream=Stream(chunks))


NATIVES = Natives(response=_response, raise_exception=_raise, stream=_stream)


class ReferenceClient(Client):
    name = "reference"
    capabilities = frozenset({"native", "csrf", "signed_csrf_token"})

    def __init__(
        self, apis: Mapping[str, Ajax] | None = None, config: Mapping[str, Any] | None = None
    ) -> None:
        mounts = self._apis = apis or default_apis(ReferenceClient, NATIVES, config)
        for api in mounts.values():
            if config is not None:  # no framework: the core's own resolution
                api.apply_config(config)
        # Longest prefix first, so /ajax-debug is never taken for /ajax.
        self._clients = {
            prefix: CoreClient(api, mount=prefix, same_origin=False)
            for prefix, api in sorted(mounts.items(), key=lambda item: -len(item[0]))
        }

    def _client(self, path: str) -> CoreClient:
        return next(c for prefix, c in self._clients.items() if path.startswith(prefix + "/"))

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        headers = self.with_defaults(kwargs.pop("headers", None))
        return self._client(path).request(method, path, headers=headers, **kwargs)

    def login(self, username: str) -> None:
        for client in self._clients.values():
            client.login(SimpleNamespace(username=username, is_authenticated=True))

    def logout(self) -> None:
        for client in self._clients.values():
            client.logout()

    def sibling(self) -> ReferenceClient:
        return ReferenceClient(self._apis)
