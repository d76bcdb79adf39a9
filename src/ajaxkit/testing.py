"""A framework-free test client: drive an :class:`~ajaxkit.Ajax` registry directly.

It builds :class:`~ajaxkit.AjaxRequest` values the way an integration would
and runs them through the same pipeline, so handler tests need no web
framework::

    from ajaxkit.testing import Client

    client = Client(api)
    assert client.get("/ajax/hello").json() == {"message": "Hello, World!"}
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import orjson

from ajaxkit.core.platform import REFERENCE, Platform
from ajaxkit.core.registry import Ajax
from ajaxkit.types import UNLOADED, AjaxRequest, AjaxResponse, Headers, MultiDict

__all__ = ["Client", "Response", "encode_body"]

Params = Mapping[str, Any] | Iterable[tuple[str, Any]]
Files = Mapping[str, tuple[str, bytes, str]]


class Response:
    """What a test client got back: status, headers, body."""

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        content: bytes,
    ) -> None:
        self.status = status
        pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
        #: Every header as sent, repeated names included.
        self.header_pairs: list[tuple[str, str]] = pairs
        self.headers = Headers(pairs)
        self.content = content

    def header_list(self, name: str) -> list[str]:
        """Every value of header ``name`` (``Set-Cookie`` repeats, say)."""
        return [v for k, v in self.header_pairs if k.lower() == name.lower()]

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies this response set, by name (attributes dropped)."""
        jar: dict[str, str] = {}
        for value in self.header_list("set-cookie"):
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.partition(";")[0]
        return jar

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.content)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.content[:80]!r}>"


def _pairs(params: Params | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    out: list[tuple[str, str]] = []
    for key, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        out += [(key, str(v)) for v in values]
    return out


def encode_body(
    *, json: Any = None, data: Params | None = None, files: Files | None = None
) -> tuple[bytes, str | None]:
    """Encode a test body; returns ``(bytes, content_type)``."""
    if json is not None:
        return orjson.dumps(json), "application/json"
    if files:
        return _multipart(_pairs(data), files)
    if data is not None:
        return urlencode(_pairs(data)).encode(), "application/x-www-form-urlencoded"
    return b"", None


def _multipart(fields: list[tuple[str, str]], files: Files) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    chunks: list[bytes] = []
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        chunks.append(f"{head}{value}\r\n".encode())
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        chunks.append(head.encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class Client:
    """Calls an :class:`~ajaxkit.Ajax` registry as if it were mounted at ``mount``.

    Args:
        api: the registry.
        mount: the path prefix requests are made under; a path outside it
            raises ``ValueError`` (a mounted app would never pass it on).
        platform: the platform facts to dispatch with (framework-free).
        same_origin: send ``Sec-Fetch-Site: same-origin`` with every request,
            as a browser does for a page's own ``fetch()``, so the CSRF policy
            lets unsafe requests through; ``False`` makes the client look
            like a script (the CSRF token then decides).
    """

    #: The host requests are addressed to.
    host = "testserver"

    def __init__(
        self,
        api: Ajax,
        mount: str = "/ajax",
        platform: Platform = REFERENCE,
        *,
        same_origin: bool = True,
    ) -> None:
        self.api = api
        self.mount = mount.rstrip("/")
        self.platform = platform
        self.same_origin = same_origin
        self.user: Any = None
        self.cookies: dict[str, str] = {}

    def login(self, user: Any) -> None:
        """Make later requests as ``user``."""
        self.user = user

    def logout(self) -> None:
        self.user = None

    def build(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Params | None = None,
        files: Files | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AjaxRequest:
        """The :class:`AjaxRequest` an integration would build for this call."""
        split = urlsplit(path)
        body, content_type = encode_body(json=json, data=data, files=files)
        if content is not None:
            body = content
        header_items = self._default_headers()
        header_items.update(headers or {})
        if content_type and not any(k.lower() == "content-type" for k in header_items):
            header_items["Content-Type"] = content_type
        if body:
            header_items.setdefault("Content-Length", str(len(body)))
        query = parse_qsl(split.query, keep_blank_values=True) + _pairs(params)
        # Servers hand applications the percent-decoded path (WSGI, ASGI).
        path = unquote(split.path if split.path.startswith("/") else f"/{split.path}")
        route = self._route(path)
        return AjaxRequest(
            method=method,
            path=path,
            route=route,
            headers=Headers(header_items.items()),
            query=MultiDict(query),
            body=body,
            user=self.user if self.user is not None else UNLOADED,
            client="127.0.0.1",  # as the frameworks' own test clients say
        )

    def _route(self, path: str) -> str:
        """The route of ``path`` below the mount.

        A path outside it is a mistake in the test (the mount left out), which
        a mounted app would answer with the framework's own 404, never the
        registry's: say so rather than answer a 404 naming no route.
        """
        mount = self.mount
        if path == mount or path.startswith(f"{mount}/"):
            return path[len(mount) :]
        raise ValueError(
            f"{path!r} is not under the client's mount {mount or '/'!r}: write "
            f"{mount + '/' + path.lstrip('/')!r}, or give the client the mount your "
            f"paths are under: Client(api, mount=...)."
        )

    def _default_headers(self) -> dict[str, str]:
        headers = {"Host": self.host}
        if self.same_origin:
            headers["Sec-Fetch-Site"] = "same-origin"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep_cookies(self, response: AjaxResponse) -> AjaxResponse:
        for cookie in response.cookies:
            if cookie.max_age == 0:
                self.cookies.pop(cookie.name, None)
            else:
                self.cookies[cookie.name] = cookie.value
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        """Dispatch synchronously and return the :class:`Response` (cookies are kept)."""
        response = self.api.dispatch(self.build(method, path, **kwargs), self.platform)
        return _to_response(self._keep_cookies(response), method == "HEAD")

    async def arequest(self, method: str, path: str, **kwargs: Any) -> Response:
        """Dispatch on the running event loop."""
        request = self.build(method, path, **kwargs)
        response = await self.api.adispatch(request, self.platform)
        return _to_response(self._keep_cookies(response), method == "HEAD")

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.request("DELETE", path, **kwargs)


def _to_response(response: AjaxResponse, head: bool = False) -> Response:
    if isinstance(response.native, AjaxResponse):  # the reference "native" response
        response = response.native
    if response.native is not None:
        raise TypeError("A native response cannot be read without its framework.")
    pairs = response.headers.multi_items()
    pairs += [("Set-Cookie", cookie.header_value()) for cookie in response.cookies]
    body = b"".join(response.stream) if response.stream is not None else response.body
    if head:
        # What a server does with a native response to HEAD: say its length, send no body.
        if body and "Content-Length" not in response.headers:
            pairs.append(("Content-Length", str(len(body))))
        body = b""
    return Response(response.status, pairs, body)
