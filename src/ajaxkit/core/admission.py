"""Admission: may this request be answered by this endpoint at all?

route (404) → method (405; OPTIONS answered here) → the endpoint's policy
steps (:mod:`ajaxkit.core.steps`: CSRF 403, authentication 401, permission
403, then rate limits, idempotency, ...) → declared body size (413).

Nothing here reads the body or calls the handler, so the same admission
serves an HTTP request, a WebSocket handshake, a batch item and a live
subscription.

The declared size comes after the steps, so a caller who may not call the
endpoint at all learns that (401/403) rather than that its body is too big,
whatever it sends.  No step reads the body, with one bounded exception:
Django's CSRF check looks for ``csrfmiddlewaretoken`` in a form body once a
CSRF cookie is present (without one it refuses first).  The platform's
``check_csrf`` is given ``max_body_size`` for that read: a form over it is a
413 there, since its CSRF verdict cannot be known without reading it all.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ajaxkit.core.body import BODY_METHODS, check_declared_length
from ajaxkit.core.effects import Flow
from ajaxkit.core.endpoint import Endpoint
from ajaxkit.core.routing import mount_path, normalize_route
from ajaxkit.core.steps import BoundStep, StepCall
from ajaxkit.exceptions import MethodNotAllowed, NotFound
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.routing import Route, Router
    from ajaxkit.core.settings import Settings

__all__ = ["Admission", "admit"]


class Admission(StepCall):
    """What admission learned, filled in as it goes; the :class:`StepCall`
    the endpoint's policy steps are given.

    A refusal raises out of :func:`admit`; what was learned until then
    (the endpoint, the steps that had admitted the request) stays here so
    that the error can be logged with the endpoint and those steps can
    still see the final response.

    Attributes:
        endpoint: the endpoint chosen, once known.
        admitted: the steps that let the request through and want to see
            the final response (``completes``), in order; the others are
            done once they admit.
        response: an answer given during admission (OPTIONS, a replay);
            when set, the handler is not called.
        completes: whether an admitted step wants to see the final
            response (whether ``admitted`` holds any).
        response_headers: the fields the admitted steps asked every answer
            to carry.
    """

    __slots__ = ("admitted", "completes", "endpoint", "response")

    def __init__(self) -> None:
        # StepCall's request, settings and platform are set by admit() when
        # the endpoint has steps, before the first runs: a request with
        # none never pays for them.
        self.response_headers = []
        self.endpoint: Endpoint | None = None
        self.admitted: list[BoundStep[Any]] = []
        self.response: AjaxResponse | None = None
        self.completes = False


def admit(
    router: Router,
    settings: Settings,
    request: AjaxRequest,
    platform: Platform,
    admission: Admission,
) -> Flow[None]:
    """Run admission for ``request``, filling ``admission``; raise to refuse."""
    if settings.user_loader is not None:
        request.use_user_loader(functools.partial(settings.user_loader, request))
    route, captured = _match(router, settings, request)
    if captured:
        # Values the integration captured outside the mount (a wrapped
        # view's URL kwargs) stay; the route's own captures win.
        request.path_params = {**request.path_params, **captured}
    try:
        endpoint = route.endpoint_for(request.method)
    except MethodNotAllowed:
        yield from _refuse_method(route, settings, request, platform)
        raise
    if endpoint is None:
        admission.response = AjaxResponse(status=204, headers={"Allow": ", ".join(route.allowed())})
        return
    admission.endpoint = endpoint
    # Looked up once, at registration, per method: an open GET has no steps
    # and pays for no step machinery at all.
    steps = endpoint.steps_for(request.method)
    if steps:
        # The steps run here rather than in a generator of their own: one
        # frame less on every request that has steps.  Each is given the
        # admission itself as its StepCall.
        admission.request = request
        admission.settings = settings
        admission.platform = platform
        for bound in steps:
            early = bound.step.admit(admission, bound.config)
            if early is not None and not isinstance(early, AjaxResponse):
                early = yield from early  # a step doing I/O
            # Only the steps that complete are kept: nothing asks for the
            # others again, and keeping them cost every limited request
            # a list append.
            if bound.completes:
                admission.admitted.append(bound)
                admission.completes = True
            if early is not None:
                admission.response = early
                break
    if admission.response is None and request.method in BODY_METHODS:
        check_declared_length(request, settings.max_body_size)


def _match(
    router: Router, settings: Settings, request: AjaxRequest
) -> tuple[Route, dict[str, str]]:
    try:
        return router.match(request.route)
    except NotFound:
        if normalize_route(request.route):
            raise
        raise _nothing_at_root(settings, request) from None


def _nothing_at_root(settings: Settings, request: AjaxRequest) -> NotFound:
    """The 404 of the mount root, which people open in a browser to look (rule P9).

    It names the root as mounted rather than ``''``, and no endpoint: a list
    would show strangers what ``openapi=False`` keeps from them.  Where the
    document is served it is public already, so the detail points at it.
    """
    mount = mount_path(request.path, request.route)
    root = f"{'<mount>' if mount is None else mount}/"
    detail = f"No endpoint at the mount root ({root})"
    if settings.openapi:
        detail += f"; the endpoints are described in {root}_openapi.json"
    return NotFound(detail + ".")


def _refuse_method(
    route: Route, settings: Settings, request: AjaxRequest, platform: Platform
) -> Flow[None]:
    # Profiles that check the user first (django-ajaxutils) answer an
    # anonymous request with 401 even when the method is also wrong; the
    # caller then raises the 405.
    if settings.profile.auth_before_method:
        first = next(iter(route.endpoints.values()))
        call = StepCall(request, settings, platform)
        for bound in first.steps_for(next(iter(sorted(first.methods)))):
            if bound.step.name == "auth":
                verdict = bound.step.admit(call, bound.config)
                if verdict is not None and not isinstance(verdict, AjaxResponse):
                    yield from verdict
