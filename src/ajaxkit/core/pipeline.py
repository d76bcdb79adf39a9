"""The one request pipeline, shared by sync and async servers.

:func:`flow` is admission (:mod:`ajaxkit.core.admission`: route, method,
declared size, policy steps) followed by the answer
(:mod:`ajaxkit.core.answer`: body, parameters, handler, rendering), then the
steps that asked to see the final response, in reverse order.  Any exception
becomes the profile's error response.  Given transaction sources (Django's
``ATOMIC_REQUESTS``), admission and answer run inside them
(:mod:`ajaxkit.core.request_transactions`), committed before the final
steps.  It is a generator of effects (:mod:`ajaxkit.core.effects`), driven
by :func:`run` on WSGI and :func:`arun` on ASGI, so it is written once.

Order of checks: route (404) → method (405, OPTIONS) → CSRF (403) →
authentication (401) → permission (403) → later policy steps (rate limits
429, idempotency) → declared body size (413) → body (413, 415, 400) →
parameters (422) → handler → result encoding (500 on failure).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ajaxkit.core.admission import Admission, admit
from ajaxkit.core.answer import answer
from ajaxkit.core.auth import carries_credentials, is_authenticated
from ajaxkit.core.effects import Flow
from ajaxkit.core.errors import log_after_commit, render_exception
from ajaxkit.core.request_transactions import atomically
from ajaxkit.types import AjaxRequest, AjaxResponse

if TYPE_CHECKING:
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.routing import Router
    from ajaxkit.core.settings import Settings
    from ajaxkit.core.transactions import TransactionSource

__all__ = ["complete", "flow", "hygiene", "with_step_headers"]


def flow(
    router: Router,
    settings: Settings,
    request: AjaxRequest,
    platform: Platform,
    transactions: Sequence[TransactionSource] = (),
) -> Flow[AjaxResponse]:
    """Answer ``request``: every decision of the pipeline, I/O yielded as effects.

    ``transactions``: the sources the whole request runs in (rolled back if
    admission or answer raises, else committed before the final steps).
    """
    admission = Admission()
    try:
        if transactions:
            hook_failed = functools.partial(_hook_failed, settings, request, admission)
            work = _admit_and_answer(router, settings, request, platform, admission)
            response = yield from atomically(transactions, platform, hook_failed, work)
        else:
            # _admit_and_answer's steps, inline: a generator less on every
            # request that runs in no transaction (nearly all of them).
            yield from admit(router, settings, request, platform, admission)
            if admission.response is not None:
                response = admission.response
            else:
                assert admission.endpoint is not None
                response = yield from answer(admission.endpoint, settings, request, platform)
    except Exception as exc:
        response = _error(exc, settings, request, platform, admission)
    if admission.completes:
        done = complete(admission, settings, request, platform, response)
        response = done if isinstance(done, AjaxResponse) else (yield from done)
    response = hygiene(request, response, platform)
    # with_step_headers(), inline: every answer passes here, and the call
    # cost a limited request more than extending its headers.  After
    # hygiene, whose questions would otherwise lower-case the steps' names.
    if admission.response_headers:
        response.headers.extend_fields(admission.response_headers)
    return response


def with_step_headers(admission: Admission, response: AjaxResponse) -> AjaxResponse:
    """``response`` with the fields the admitted steps asked every answer to carry.

    Added after the steps that complete, so an answer stored for replay
    holds none of them: a replay carries its own request's.
    """
    added = admission.response_headers
    if added:
        response.headers.extend_fields(added)
    return response


def _admit_and_answer(
    router: Router,
    settings: Settings,
    request: AjaxRequest,
    platform: Platform,
    admission: Admission,
) -> Flow[AjaxResponse]:
    yield from admit(router, settings, request, platform, admission)
    if admission.response is not None:
        return admission.response
    assert admission.endpoint is not None
    return (yield from answer(admission.endpoint, settings, request, platform))


def _hook_failed(
    settings: Settings, request: AjaxRequest, admission: Admission, exc: BaseException
) -> None:
    """An after-commit hook raised once the request's transaction committed:
    logged as after-commit work (rule P8), the answer stands."""
    where = admission.endpoint.name if admission.endpoint else "(no endpoint)"
    log_after_commit(settings.logger_name, request, where, exc)


def hygiene(request: AjaxRequest, response: AjaxResponse, platform: Platform) -> AjaxResponse:
    """Headers every ajaxkit response carries unless the handler set its own.

    ``nosniff`` stops a browser from reading a JSON body as HTML or script;
    ``no-store`` keeps a signed-in user's data out of shared and back-button
    caches (rule Y2).  A native response is the handler's own business.
    """
    headers = response.headers
    if response.native is None:
        if "X-Content-Type-Options" not in headers:
            headers["X-Content-Type-Options"] = "nosniff"
        if "Cache-Control" not in headers and _personal(request, platform):
            headers["Cache-Control"] = "no-store"
    return response


def _personal(request: AjaxRequest, platform: Platform) -> bool:
    """Whether the answer may be a signed-in user's.

    A user already known (Starlette's, or one an endpoint read) decides
    alone.  One nobody loaded (Django and Flask-Login load it only when
    read; so does a ``user_loader``) is not loaded here, which costs a
    session read and a query: the credentials it would be loaded from stand
    for it, and stale ones err towards ``no-store``.
    """
    if request.user_loaded:
        return is_authenticated(request.user)
    return carries_credentials(request, platform)


def complete(
    admission: Admission,
    settings: Settings,
    request: AjaxRequest,
    platform: Platform,
    response: AjaxResponse,
    *,
    before: int | None = None,
) -> AjaxResponse | Flow[AjaxResponse]:
    """Let the admitted steps that ask for it see the final response, last first.

    The response itself when no step needs I/O (adding headers needs
    none), else a flow: no generator is made unless a step asks for one.
    ``before`` continues with the steps admitted before that index.
    """
    admitted = admission.admitted
    index = len(admitted) if before is None else before
    while index:
        index -= 1
        bound = admitted[index]  # only steps that complete are kept
        try:
            done = bound.step.complete(admission, bound.config, response)
        except Exception as exc:
            done = _error(exc, settings, request, platform, admission)
        if not isinstance(done, AjaxResponse):
            return _complete_flow(done, admission, settings, request, platform, before=index)
        response = done
    return response


def _complete_flow(
    step_flow: Flow[AjaxResponse],
    admission: Admission,
    settings: Settings,
    request: AjaxRequest,
    platform: Platform,
    *,
    before: int,
) -> Flow[AjaxResponse]:
    """One step's completion doing I/O, then those admitted before it."""
    try:
        response = yield from step_flow
    except Exception as exc:
        response = _error(exc, settings, request, platform, admission)
    rest = complete(admission, settings, request, platform, response, before=before)
    return rest if isinstance(rest, AjaxResponse) else (yield from rest)


def _error(
    exc: Exception,
    settings: Settings,
    request: AjaxRequest,
    platform: Platform,
    admission: Admission,
) -> AjaxResponse:
    name = admission.endpoint.name if admission.endpoint else None
    return render_exception(exc, settings, request, platform, name)
