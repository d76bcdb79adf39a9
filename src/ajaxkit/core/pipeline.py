"""The one request pipeline, shared by sync and async servers.

:func:`flow` is admission (:mod:`ajaxkit.core.admission`: route, method,
declared size, policy steps) followed by the answer
(:mod:`ajaxkit.core.answer`: body, parameters, handler, rendering), then the
steps that asked to see the final response, in reverse order.  Any exception
becomes the profile's error response.  It is a generator of effects
(:mod:`ajaxkit.core.effects`), driven by :func:`run` on WSGI and :func:`arun`
on ASGI, so it is written once.

Order of checks: route (404) → method (405, OPTIONS) → CSRF (403) →
authentication (401) → permission (403) → later policy steps (rate limits
429, idempotency) → declared body size (413) → body (413, 415, 400) →
parameters (422) → handler → result encoding (500 on failure).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ajaxkit.core.admission import Admission, admit
from ajaxkit.core.answer import answer
from ajaxkit.core.auth import is_authenticated
from ajaxkit.core.effects import Flow
from ajaxkit.core.errors import render_exception
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.routing import Router
    from ajaxkit.core.settings import Settings

__all__ = ["complete", "flow", "hygiene"]


def flow(
    router: Router, settings: Settings, request: AjaxRequest, platform: Platform
) -> Flow[AjaxResponse]:
    """Answer ``request``: every decision of the pipeline, I/O yielded as effects."""
    admission = Admission()
    try:
        yield from admit(router, settings, request, platform, admission)
        response = admission.response
        if response is None:
            assert admission.endpoint is not None
            response = yield from answer(admission.endpoint, settings, request, platform)
    except Exception as exc:
        response = _error(exc, settings, request, platform, admission)
    if admission.completes:
        response = yield from complete(admission, settings, request, platform, response)
    return hygiene(request, response)


def hygiene(request: AjaxRequest, response: AjaxResponse) -> AjaxResponse:
    """Headers every ajaxkit response carries unless the handler set its own.

    ``nosniff`` stops a browser from reading a JSON body as HTML or script;
    ``no-store`` keeps a signed-in user's data out of shared and back-button
    caches.  A native response is the handler's own business.
    """
    headers = response.headers
    if response.native is None:
        if "X-Content-Type-Options" not in headers:
            headers["X-Content-Type-Options"] = "nosniff"
        if (
            request.user_loaded
            and "Cache-Control" not in headers
            and is_authenticated(request.user)
        ):
            headers["Cache-Control"] = "no-store"
    return response


def complete(
    admission: Admission,
    settings: Settings,
    request: AjaxRequest,
    platform: Platform,
    response: AjaxResponse,
) -> Flow[AjaxResponse]:
    """Let the admitted steps that ask for it see the final response, last first."""
    call = admission.call(request, settings, platform)
    for bound in reversed(admission.admitted):
        if bound.step.completes:
            try:
                completed = bound.step.complete(call, bound.config, response)
                if not isinstance(completed, AjaxResponse):
                    completed = yield from completed  # a step doing I/O
                response = completed
            except Exception as exc:
                response = _error(exc, settings, request, platform, admission)
    return response


def _error(
    exc: Exception,
    settings: Settings,
    request: AjaxRequest,
    platform: Platform,
    admission: Admission,
) -> AjaxResponse:
    name = admission.endpoint.name if admission.endpoint else None
    return render_exception(exc, settings, request, platform, name)
