"""Routes below the mount: ``"hello"``, ``"notes/{pk}"``, ``"files/{rest:path}"``.

Static routes are one dict lookup; templated ones are tried in registration
order.  A route holds one endpoint per method, so ``GET notes`` and
``POST notes`` can be different handlers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ajaxkit.exceptions import MethodNotAllowed, NotFound, RegistrationError

if TYPE_CHECKING:
    from ajaxkit.core.endpoint import Endpoint

__all__ = [
    "CONVERTERS",
    "Route",
    "Router",
    "mount_path",
    "normalize_route",
    "param_names",
    "pattern_problem",
    "unknown_converters",
]

_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
# No converter matches a control character (a CR/LF smuggled in as %0d%0a,
# a NUL no database stores): such a path names no endpoint, a plain 404.
_CONTROL = r"\x00-\x1f\x7f"
_CONVERTERS = {
    None: f"[^/{_CONTROL}]+",
    "str": f"[^/{_CONTROL}]+",
    "int": "[0-9]+",
    "path": f"[^{_CONTROL}]+",
}


def normalize_route(route: str) -> str:
    """``"/hello/"`` and ``"hello"`` name the same route."""
    return route.strip("/")


def mount_path(path: str, route: str) -> str | None:
    """Where the mount is, from a request's ``path`` and its ``route`` below the mount.

    ``("/ajax/notes/7", "notes/7")`` gives ``"/ajax"``; a mount at the site
    root gives ``""``.  ``None`` when the path does not end with the route
    (an integration that decoded one and not the other): a message then says
    ``<mount>`` rather than name a wrong path.
    """
    path, route = path.rstrip("/"), route.strip("/")
    if not route:
        return path
    if path.endswith("/" + route):
        return path[: -len(route) - 1]
    return None


#: The converter names a route segment may use (``{pk:int}``).
CONVERTERS = frozenset(name for name in _CONVERTERS if name is not None)


def unknown_converters(pattern: str) -> list[str]:
    """The converters ``pattern`` names that do not exist: ``"a/{x:float}"`` → ``["float"]``."""
    found = (m.group(2) for m in _PARAM.finditer(pattern))
    return [name for name in found if name is not None and name not in CONVERTERS]


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be read as its author meant, or ``None``.

    A brace outside a ``{name}`` or ``{name:converter}`` segment (``"{pk"``,
    ``"{user-id}"``) would be matched as literal text, so every call was a
    404; a name captured twice cannot be given to the handler once.
    """
    stray = _PARAM.sub("", pattern)
    for brace, verb in (("{", "opens"), ("}", "closes")):
        if brace in stray:
            return (
                f"it holds a {brace!r} that {verb} no {{name}} segment; a segment is "
                f"written {{name}} or {{name:converter}}, the name a Python identifier"
            )
    names = [m.group(1) for m in _PARAM.finditer(pattern)]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        return f"it captures {twice!r} twice; give each segment its own name"
    return None


def param_names(pattern: str) -> frozenset[str]:
    """The names a route captures: ``"notes/{pk}"`` → ``{"pk"}``."""
    return frozenset(m.group(1) for m in _PARAM.finditer(pattern))


_WEBSOCKET_ONLY = (
    "The method is not allowed for this endpoint, which answers WebSocket handshakes "
    "(and OPTIONS): open it with new WebSocket(url). A handshake arriving as a plain "
    "request has lost its Upgrade header on the way (a proxy not configured for "
    "WebSockets)."
)


@dataclass
class Route:
    """One path pattern and its endpoints by method."""

    pattern: str
    regex: re.Pattern[str] | None
    param_names: frozenset[str]
    endpoints: dict[str, Endpoint] = field(default_factory=dict)

    def allowed(self) -> list[str]:
        """Methods to list in ``Allow``: HEAD with GET, and always OPTIONS.

        The ``WEBSOCKET`` pseudo-method is no HTTP method, so it is left out.
        """
        methods = set(self.endpoints) - {"WEBSOCKET"}
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        return sorted(methods)

    def endpoint_for(self, method: str) -> Endpoint | None:
        """The endpoint answering ``method``; ``None`` means answer OPTIONS."""
        endpoint = self.endpoints.get(method)
        if endpoint is None and method == "HEAD":
            endpoint = self.endpoints.get("GET")
        if endpoint is not None:
            return endpoint
        if method == "OPTIONS":
            return None
        if self.endpoints.keys() == {"WEBSOCKET"}:
            # Most often a handshake whose Upgrade header a proxy dropped.
            raise MethodNotAllowed(self.allowed(), _WEBSOCKET_ONLY)
        raise MethodNotAllowed(self.allowed())


class Router:
    """Maps a route below the mount to a :class:`Route` and its parameters."""

    def __init__(self) -> None:
        self._static: dict[str, Route] = {}
        self._templated: list[Route] = []
        #: Changes whenever what is served changes (a route added, an endpoint
        #: served, replaced or removed, a snapshot restored); what is built
        #: from the routes, such as the OpenAPI document, is kept under it.
        self.version = 0

    def route(self, pattern: str) -> Route:
        """The route for ``pattern``, created on first use."""
        pattern = normalize_route(pattern)
        for existing in self:
            if existing.pattern == pattern:
                return existing
        regex, names = _compile(pattern)
        route = Route(pattern, regex, names)
        if regex is None:
            self._static[pattern] = route
        else:
            self._templated.append(route)
        self.version += 1
        return route

    def serve(self, route: Route, method: str, endpoint: Endpoint | None) -> None:
        """Have ``endpoint`` answer ``method`` at ``route``; ``None`` serves nothing there.

        Changing a route's endpoints through here keeps :attr:`version` true.
        """
        if endpoint is None:
            route.endpoints.pop(method, None)
        else:
            route.endpoints[method] = endpoint
        self.version += 1

    def snapshot(self) -> Callable[[], None]:
        """A function that puts every route and its endpoints back as they are now.

        :meth:`Ajax.registering <ajaxkit.Ajax.registering>` calls it to undo
        a registration that failed partway.  The tables are restored in
        place: a mount holding this router sees the restored routes.
        """
        static, templated = dict(self._static), list(self._templated)
        held = [(route, dict(route.endpoints)) for route in self]

        def restore() -> None:
            self._static.clear()
            self._static.update(static)
            self._templated[:] = templated
            for route, endpoints in held:
                route.endpoints.clear()
                route.endpoints.update(endpoints)
            self.version += 1

        return restore

    def match(self, path: str) -> tuple[Route, dict[str, str]]:
        """The route serving ``path`` and its captured parameters, or 404."""
        path = normalize_route(path)
        route = self._static.get(path)
        if route is not None:
            return route, {}
        for route in self._templated:
            assert route.regex is not None
            found = route.regex.fullmatch(path)
            if found:
                return route, found.groupdict()
        raise NotFound(f"No endpoint at {path!r}.")

    def __iter__(self) -> Iterator[Route]:
        yield from self._static.values()
        yield from self._templated


def _compile(pattern: str) -> tuple[re.Pattern[str] | None, frozenset[str]]:
    # Registration checks this first, naming the endpoint or the topic; this
    # guards a Router used on its own.
    problem = pattern_problem(pattern)
    if problem is not None:
        raise RegistrationError(f"Route {pattern!r}: {problem}.")
    names = [m.group(1) for m in _PARAM.finditer(pattern)]
    if not names:
        return None, frozenset()
    parts, last = [], 0
    for m in _PARAM.finditer(pattern):
        converter = m.group(2)
        if converter not in _CONVERTERS:
            # Registration checks this first, naming the endpoint; this
            # guards a Router used on its own.
            raise RegistrationError(f"Unknown converter {converter!r} in route {pattern!r}.")
        parts += [
            re.escape(pattern[last : m.start()]),
            f"(?P<{m.group(1)}>{_CONVERTERS[converter]})",
        ]
        last = m.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("".join(parts)), frozenset(names)
