"""The batch endpoint: several calls in one request (``POST <mount>/_batch``).

Request body::

    {"items": [{"method": "GET", "path": "users/search", "params": {"q": "al"}},
               {"method": "POST", "path": "notes", "body": {"title": "x"},
                "headers": {"Idempotency-Key": "…"}}]}

Answer (200 whenever the batch itself was valid)::

    {"items": [{"status": 200, "headers": {…}, "body": […]},
               {"status": 422, "headers": {…}, "body": {problem}},
               {"status": 200, "headers": {…}, "body": "iVBORw0K…", "encoding": "base64"}]}

Each item runs through the whole pipeline — admission (route, method,
authentication, permission, rate limits…) and answer — exactly as if it had
been sent alone, in order, with the batch request's user and cookies.  The
headers an item may send never include the ones that identify the caller or
the page (``Cookie``, ``Authorization``, ``Origin``, ``Sec-Fetch-*``…), nor
the ones a reverse proxy writes about the caller (``Forwarded``,
``X-Forwarded-*``, ``X-Real-IP``…): it carries the batch request's.  So
CSRF is checked once, for the batch request — unless the batch endpoint is
``csrf_exempt``: then each unsafe item is checked by its own endpoint's CSRF
step, as if sent alone with the batch request's headers.  Items may not be
streams, batches, or calls of an endpoint registered ``unbatchable`` (a
long-poll, which may wait before it answers and would hold up the whole
batch; the live event stream): 400 for that item, a stream's chunks
closed unsent (a HEAD item of a stream has no body to send: it is answered).
Cookies set by items (a framework response's own included) are set on
the batch response, never shown in an item's ``headers``; a repeated
header is shown once, its values joined with ``", "``.
"""

from __future__ import annotations

import base64
import codecs
import dataclasses
import logging
import re
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import parse_qsl, unquote

import orjson
from asgiref.sync import async_to_sync
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from typing_extensions import NotRequired, TypedDict

from ajaxkit.core.effects import IO, Flow, blocking
from ajaxkit.core.errors import log_after_commit, render_exception
from ajaxkit.core.idempotency import asks_for_retry, not_storable
from ajaxkit.core.pipeline import flow, hygiene
from ajaxkit.core.routing import normalize_route
from ajaxkit.core.steps import BATCH_ITEM, BATCH_PASSED_CSRF, CsrfStep, load_user
from ajaxkit.core.streams import Stream
from ajaxkit.core.transactions import Transactions, enlist
from ajaxkit.exceptions import (
    BatchNotCommitted,
    BatchNotRun,
    BatchRolledBack,
    ClientError,
    FieldError,
    MethodNotAllowed,
    NotFound,
    RegistrationError,
    ValidationFailed,
)
from ajaxkit.types import EMPTY_QUERY, AjaxRequest, AjaxResponse, Headers, MultiDict

if TYPE_CHECKING:
    from ajaxkit.core.endpoint import Endpoint
    from ajaxkit.core.platform import Platform
    from ajaxkit.core.registry import Ajax
    from ajaxkit.core.settings import Settings

__all__ = ["DEFAULT_MAX_ITEMS", "BatchAnswer", "BatchItem", "BatchItemAnswer", "enable_batch"]

#: Most items one batch may hold.
DEFAULT_MAX_ITEMS = 20

#: Headers that identify the caller or the page: never taken from an item.
_IDENTITY_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "host",
        "origin",
        "referer",
        "sec-fetch-dest",
        "sec-fetch-mode",
        "sec-fetch-site",
        "sec-fetch-user",
        "x-csrftoken",
        "x-csrf-token",
        "x-forwarded-for",
        "x-http-method-override",
        # What a reverse proxy writes about the caller (its address, the
        # host and scheme it asked for), overwriting whatever the client
        # sent: code behind the proxy trusts them, and nothing overwrites an
        # item's own.  ``X-Forwarded-*`` as a whole: see _is_identity.
        "forwarded",
        "x-real-ip",
        "x-client-ip",
        "x-cluster-client-ip",
        "cf-connecting-ip",
        "true-client-ip",
        "fastly-client-ip",
    }
)
_IDENTITY_PREFIX = "x-forwarded-"


def _is_identity(lower: str) -> bool:
    """Whether header ``lower`` (a lower-cased name) identifies the caller or the page."""
    return lower in _IDENTITY_HEADERS or lower.startswith(_IDENTITY_PREFIX)


def _is_item_own(lower: str) -> bool:
    """Whether an item may send header ``lower`` (a lower-cased name) itself."""
    return not _is_identity(lower) and lower not in _FRAMING_HEADERS


#: Headers of the batch request that describe its own body or condition: not
#: inherited.  Every ``Content-*`` header too (see :func:`_is_batch_own`).
_OWN_HEADERS = frozenset(
    {"transfer-encoding", "idempotency-key", "digest", "repr-digest"}
    | {"if-match", "if-none-match", "if-modified-since", "if-unmodified-since"}
)
_CONTENT_PREFIX = "content-"


def _is_batch_own(lower: str) -> bool:
    """Whether the batch request's header ``lower`` (a lower-cased name) is its own.

    A ``Content-*`` header describes the batch's body (its length, type,
    coding, language, digest...): the item's request, sent alone, would have
    none of them (a digest of the batch's body would fail every item's check).
    """
    return lower in _OWN_HEADERS or lower.startswith(_CONTENT_PREFIX)


#: Headers describing a body: the batch writes an item's body, so an item's
#: own would describe another one (a length making it a 413, say).
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "content-encoding"})
_JSON_TYPES = ("application/json", "application/problem+json")
#: Why a batch is refused as an item (any batch endpoint: a registry may
#: serve several, and two that took each other would nest without end).
_NESTED = "it is a batch, and a batch cannot contain a batch."

Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


#: Rule K6 in the item's schema: a GET or HEAD item (GET when ``method`` is
#: left out) has no ``body``, so the document never describes a batch that
#: :func:`_check_bodies` refuses.
_NO_BODY_WITHOUT_A_METHOD_THAT_SENDS_ONE: JsonDict = {
    "if": {"properties": {"method": {"enum": ["GET", "HEAD"]}}},
    "then": {"properties": {"body": {"type": "null"}}},
}


class BatchItem(BaseModel):
    """One call of a batch."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=_NO_BODY_WITHOUT_A_METHOD_THAT_SENDS_ONE
    )

    method: Method = "GET"
    path: Annotated[str, Field(min_length=1, max_length=2000)]
    params: dict[str, str | int | float | bool | list[str | int | float | bool]] = {}
    body: Any = None
    headers: dict[str, str] = {}


class BatchItemAnswer(TypedDict):
    """One item's answer: what it would have answered alone.

    ``headers`` as a page's script reads them off ``fetch()``: names
    lower-cased, a repeated field's values joined with ``", "``, never a
    ``Set-Cookie`` (cookies are set on the batch response).  ``body`` is
    parsed when JSON, text when text, both read as ``fetch()`` reads them
    (no body is ``""``, a leading byte order mark is dropped); a body that
    is not text (an image, or bytes that are not UTF-8) is its bytes in
    base64, with ``encoding`` ``"base64"`` (present for such a body only).
    """

    status: int
    headers: dict[str, str]
    body: Any
    encoding: NotRequired[Literal["base64"]]


class BatchAnswer(TypedDict):
    """The batch's answer (its OpenAPI result schema), items in order.

    ``committed`` is there for an atomic batch only: whether its items'
    writes were committed (``false``: none was).
    """

    items: list[BatchItemAnswer]
    committed: NotRequired[bool]


def enable_batch(
    api: Ajax, route: str = "_batch", max_items: int = DEFAULT_MAX_ITEMS, **options: Any
) -> None:
    """Serve batches of ``api``'s endpoints at ``<mount>/<route>`` (``POST``).

    ``options`` are the batch request's own policy-step options
    (``login_required``, ``csrf_exempt``, ...), as for any endpoint.
    """
    batch_route = route.strip("/")
    _check_max_items(batch_route, max_items)

    def batch(request: AjaxRequest, items: list[BatchItem], atomic: bool = False) -> BatchAnswer:
        """Run ``items`` in order, each answered as if sent alone.

        With ``atomic``, every item runs in one transaction per database:
        all are committed (``committed: true``), or, from the first item
        answering 400 or more, none is (``committed: false``; the other
        items answer 424), nor when the database refuses the commit (every
        item answers 424).  Items whose endpoint cannot join, or that write
        to a second database, are refused (422) before any runs.
        """
        raise AssertionError("never called: the endpoint's flow answers")

    # Set as objects, not strings: the limit is this registry's, not a global.
    batch.__annotations__ = {
        "request": AjaxRequest,
        "items": Annotated[list[BatchItem], Field(min_length=1, max_length=max_items)],
        "atomic": bool,
        "return": BatchAnswer,
    }

    def run(
        request: AjaxRequest, settings: Settings, platform: Platform, arguments: Mapping[str, Any]
    ) -> Flow[AjaxResponse]:
        items: list[BatchItem] = arguments["items"]
        _check_bodies(items)
        batch = _Batch(api, request, settings, platform, csrf_checked=csrf_checked)
        if arguments.get("atomic"):
            batch.check_atomic(items)
        # Loaded once, shared by every item.
        yield load_user(request, platform)
        if arguments.get("atomic"):
            return (yield from batch.atomic(items))
        responses = []
        for item in items:
            responses.append((yield from batch.item(item)))
        return batch.answer(responses, set_cookies_of=responses)

    endpoint = api.add(batch_route, batch, methods=["POST"], unbatchable=_NESTED, **options)
    # Read once: whether the batch request's own admission checks CSRF.
    csrf_checked = _checks_csrf(endpoint)
    _install_flow(api, batch_route, run, endpoint)


def _checks_csrf(endpoint: Endpoint) -> bool:
    """Whether ``endpoint``'s POST requests pass the CSRF step before they run.

    Only then may its items skip their own check: a batch endpoint that is
    ``csrf_exempt`` (for token clients) would otherwise exempt every
    cookie-authenticated endpoint behind it.
    """
    return any(
        isinstance(bound.step, CsrfStep) and bound.config == "check"
        for bound in endpoint.steps_for("POST")
    )


#: Methods whose request carries no body: ``fetch()`` refuses one for them.
_BODILESS = frozenset({"GET", "HEAD"})


def _check_bodies(items: list[BatchItem]) -> None:
    """Refuse (422, before anything runs) a body on a GET or HEAD item.

    Nothing would read it: ``{"path": "notes", "body": {...}}`` forgot its
    method, and answering it as the GET it is would list the notes and
    silently drop what was meant to be written.
    """
    errors: list[FieldError] = [
        {
            "pointer": f"#/items/{index}/body",
            "detail": (
                f"A {item.method} item sends no body: put its arguments in params, "
                'or give the item the method that sends one ("method": "POST").'
            ),
            "code": "body_not_sent",
        }
        for index, item in enumerate(items)
        if item.body is not None and item.method in _BODILESS
    ]
    if errors:
        raise ValidationFailed(errors, "These items have a body their method does not send.")


def _check_max_items(route: str, max_items: object) -> None:
    # ``True`` is an int to Python but never a meant limit.
    if isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1:
        raise RegistrationError(
            f"Endpoint 'batch ({route or '/'})': max_items must be a whole number, "
            f"1 or more, not {max_items!r}."
        )


def _install_flow(api: Ajax, route: str, run: Any, endpoint: Any) -> None:
    target = api.router.route(route)
    with_flow = dataclasses.replace(endpoint, flow=run)
    for method, registered in list(target.endpoints.items()):
        if registered is endpoint:
            api.router.serve(target, method, with_flow)


class _Batch:
    """One batch request being answered: runs its items, builds its answer."""

    def __init__(
        self,
        api: Ajax,
        request: AjaxRequest,
        settings: Settings,
        platform: Platform,
        *,
        csrf_checked: bool,
    ) -> None:
        self.api, self.request = api, request
        self.settings, self.platform = settings, platform
        self.requests = _ItemRequests(request, csrf_passed=csrf_checked)

    def item(self, item: BatchItem, held: Transactions | None = None) -> Flow[AjaxResponse]:
        """``item``'s answer, as if sent alone (in ``held``'s transactions if given)."""
        # A nested batch is refused here too: every batch route is unbatchable.
        endpoint = _endpoint_of(self.api, item)
        if endpoint is not None and endpoint.unbatchable is not None:
            return self.refused(item, _unbatchable(item, endpoint.unbatchable))
        sub = self.requests.derive(item)
        if held is not None:
            enlist(sub, held)
        response = yield from flow(self.api.router, self.settings, sub, self.platform)
        response = _readable(response, self.platform)
        if response.stream is not None:
            yield from _release(response.stream, self.platform)
            if item.method != "HEAD":
                return self.refused(item, _unbatchable(item, _STREAMED))
        if item.method == "HEAD":
            # As sent alone, whatever the handler returned (a native
            # response's body, a stream): the server sends no body.
            return AjaxResponse(response.status, headers=response.headers, cookies=response.cookies)
        return response

    def refused(self, item: BatchItem, exc: Exception) -> AjaxResponse:
        """The problem ``exc`` as ``item``'s answer, with the headers every
        answer carries (``nosniff``; ``no-store`` for a signed-in user's),
        as an answer that went through the pipeline has them (K1)."""
        sub = self.requests.derive(item)
        problem = render_exception(exc, self.settings, sub, self.platform, "batch")
        return hygiene(sub, problem, self.platform)

    def check_atomic(self, items: list[BatchItem]) -> None:
        """Refuse (422, before anything runs) items whose endpoint cannot join
        the batch's transaction: one that declares none (running it would
        commit what the batch then rolls back, or the other way round), and
        one on another database than the items before it (two commits, one
        after the other, could leave half the batch stored)."""
        errors: list[FieldError] = []
        database: Hashable = None
        for index, item in enumerate(items):
            endpoint = _endpoint_of(self.api, item)
            if endpoint is None:
                continue
            where = f"{item.method} {item.path} cannot be part of an atomic batch"
            if endpoint.transactions is None:
                detail = f"{where}: its endpoint declares no transaction to join."
                errors.append(_not_atomic(index, detail, "not_atomic"))
                continue
            keys = {source.key for source in endpoint.transactions}
            database = database if database is not None or not keys else next(iter(keys))
            if keys - {database}:
                detail = (
                    f"{where}: it writes to another database than the items before it, "
                    "and an atomic batch commits one database (there is no two-phase commit)."
                )
                errors.append(_not_atomic(index, detail, "other_database"))
        if errors:
            raise ValidationFailed(errors, "These items cannot be part of an atomic batch.")

    def atomic(self, items: list[BatchItem]) -> Flow[AjaxResponse]:
        """Run ``items`` in one transaction: all commit, or none does (the
        first item answering 400 or more stops the batch; so does a commit
        the database refuses)."""
        held = Transactions()
        responses: list[AjaxResponse] = []
        try:
            for item in items:
                endpoint = _endpoint_of(self.api, item)
                sources = endpoint.transactions if endpoint is not None else None
                if sources:
                    # On the platform's thread for blocking work: the one a
                    # Django connection (and so its transaction) lives on.
                    yield blocking(self.platform, held.begin, sources)
                response = yield from self.item(item, held)
                responses.append(response)
                if response.status >= 400:
                    break
        except Exception:
            yield from _undo(held, self.platform)
            raise
        if responses[-1].status >= 400:
            yield from _undo(held, self.platform)
            if asks_for_retry(responses[-1].status):
                # Rolled back for a server error or a 429, which a retry may
                # not meet: nothing was written, so a retry runs again (I4).
                not_storable(self.request)
            return self.answer(self.rolled_back(items, responses), committed=False)
        try:
            yield blocking(self.platform, held.commit, self.hook_failed)
        except Exception as exc:
            yield from self.commit_failed(held, exc)
            # Nothing was written, maybe for a lost connection: a retry of
            # the batch with its own Idempotency-Key runs again (I4).
            not_storable(self.request)
            refused = [self.refused(item, BatchNotCommitted()) for item in items]
            return self.answer(refused, committed=False)
        for after in held.after_commit:
            yield from after()
        return self.answer(responses, set_cookies_of=responses, committed=True)

    def hook_failed(self, exc: BaseException) -> None:
        """Log an after-commit hook's failure as after-commit work (P8):
        once, with an error id; the committed batch's answer stands."""
        log_after_commit(self.settings.logger_name, self.request, "batch", exc)

    def commit_failed(self, held: Transactions, exc: Exception) -> Flow[None]:
        """Log why the database refused the commit (the client is told only
        that it did: its error text is the database's, not the API's), then
        undo what waits on the outcome."""
        logging.getLogger(self.settings.logger_name).warning(
            "An atomic batch (POST %s) was not committed: %s: %s",
            self.request.path,
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
        yield from _undo(held, self.platform)

    def rolled_back(
        self, items: list[BatchItem], responses: list[AjaxResponse]
    ) -> list[AjaxResponse]:
        """The failing item's own answer; every other item's a 424 saying why."""
        failed = len(responses) - 1
        why = f"item {failed} answered {responses[failed].status}"
        answers = []
        for index, item in enumerate(items):
            if index == failed:
                answers.append(responses[failed])
                continue
            exc = (BatchRolledBack if index < failed else BatchNotRun)(
                f"{'Rolled back' if index < failed else 'Not run'}: {why}.", failed_item=failed
            )
            answers.append(self.refused(item, exc))
        return answers

    def answer(
        self,
        responses: list[AjaxResponse],
        *,
        set_cookies_of: Sequence[AjaxResponse] = (),
        committed: bool | None = None,
    ) -> AjaxResponse:
        """The batch's response: the items' answers in order (and, for an
        atomic batch, whether it was committed), setting the cookies the
        answers ``set_cookies_of`` set."""
        body: dict[str, Any] = {"items": [_describe(response) for response in responses]}
        if committed is not None:
            body["committed"] = committed
        answer = AjaxResponse(
            status=200,
            body=self.settings.encoder.dumps(body),
            headers={"Content-Type": "application/json"},
            cookies=[cookie for response in set_cookies_of for cookie in response.cookies],
        )
        for name, value in _raw_cookies(set_cookies_of):
            answer.headers.add(name, value)
        return answer


#: Why an item answered with a stream is refused once its handler has run.
_STREAMED = (
    "it answered with a stream, whose body is sent as it is made, "
    "and a batch answers once every item has; send it on its own."
)


def _release(stream: Stream, platform: Platform) -> Flow[None]:
    """Close the chunks of ``stream``, which will never be sent: a handler's
    iterator holding a file or a cursor is released as a sent stream's is."""
    if stream.is_async:
        yield IO(async_to_sync(stream.aclose), stream.aclose)
        return
    close = getattr(stream.chunks, "close", None)
    if close is not None:
        yield blocking(platform, close)


def _unbatchable(item: BatchItem, why: str) -> ClientError:
    return ClientError(f"{item.method} {_route_of(item)} cannot be an item of a batch: {why}")


def _not_atomic(index: int, detail: str, code: str) -> FieldError:
    return {"pointer": f"#/items/{index}/path", "detail": detail, "code": code}


def _undo(held: Transactions, platform: Platform) -> Flow[None]:
    yield blocking(platform, held.rollback)
    for after in held.after_rollback:
        yield from after()


def _endpoint_of(api: Ajax, item: BatchItem) -> Endpoint | None:
    """The endpoint that will answer ``item``, if any (404 and 405 items have none).

    A 405 is the item's own answer, which its flow gives it: raised here it
    was the whole batch's.
    """
    try:
        route, _ = api.router.match(_route_of(item))
        return route.endpoint_for(item.method)
    except (NotFound, MethodNotAllowed):
        return None


class _ItemRequests:
    """Derives the requests of one batch request's items.

    What every item takes from the batch request, its headers first, is
    worked out once per batch: a browser sends a dozen headers and more, and
    reading them per item (through the integration's lazy view of them)
    cost more than the rest of an item's admission.  Each item's request
    shares these inherited headers, an item's own replacing those of its
    names (K1: as a ``fetch()``'s own header replaces the browser's).
    """

    __slots__ = ("csrf_passed", "headers", "mount", "parent")

    def __init__(self, parent: AjaxRequest, *, csrf_passed: bool = False) -> None:
        #: Whether ``parent`` passed the CSRF check (its items then skip theirs).
        self.csrf_passed = csrf_passed
        self.parent = parent
        self.mount = parent.path[: len(parent.path) - len(parent.route)].rstrip("/")
        identity: list[tuple[str, str]] = []
        inherited: list[tuple[str, str]] = []
        for name, value in parent.headers.items():
            lower = name.lower()
            if _is_identity(lower):
                identity.append((name, value))
            elif not _is_batch_own(lower):
                inherited.append((name, value))
        # Identity headers first: the order items have always seen them in.
        self.headers = Headers([*identity, *inherited])

    def derive(self, item: BatchItem) -> AjaxRequest:
        """``item``'s request, made on behalf of the batch request."""
        route = _route_of(item)
        own = [(n, v) for n, v in item.headers.items() if _is_item_own(n.lower())]
        body = b""
        if item.body is not None:
            body = orjson.dumps(item.body)
            own = [(n, v) for n, v in own if n.lower() != "content-type"]
            own.append(("Content-Type", "application/json"))
        child = self.parent.derive(
            method=item.method,
            path=f"{self.mount}/{route}",
            route=route,
            query=_query_of(item),
            headers=self.headers.overridden(own),
            body=body,
        )
        child.state[BATCH_ITEM] = True
        if self.csrf_passed:
            child.state[BATCH_PASSED_CSRF] = True
        return child


def _route_of(item: BatchItem) -> str:
    """The route ``item`` calls: its path without a query (``"notes?x=1"`` is
    ``notes``), percent-escapes read as a server reads a URL's (U10).

    The one reading of an item's path: the nested-batch check, the atomic
    checks and the item's request must all see the same route, or a batch
    spelled ``_batch?x`` or ``%5Fbatch`` would pass for another endpoint.
    """
    return normalize_route(unquote(_url_parts(item)[0]))


def _url_parts(item: BatchItem) -> tuple[str, str]:
    """``item``'s path and query, as a URL is read: a fragment is not sent."""
    path, _, query = item.path.partition("#")[0].partition("?")
    return path, query


def _query_of(item: BatchItem) -> MultiDict:
    """The query of ``item``'s path (as a URL carries it), then its ``params``."""
    in_path = _url_parts(item)[1]
    if not in_path and not item.params:
        return EMPTY_QUERY
    pairs = parse_qsl(in_path, keep_blank_values=True)
    return MultiDict([*pairs, *_pairs(item.params)])


def _pairs(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, _text(one)))
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _readable(response: AjaxResponse, platform: Platform) -> AjaxResponse:
    """An item's answer as an :class:`AjaxResponse` (a handler may have returned a native one).

    A native response's headers come with it, every value of a repeated
    one, and its cookies as the ``Set-Cookie`` fields the framework would
    write: the batch response sets them as it does a handler's own (K4).
    """
    native = response.native
    if native is None:
        return response
    if isinstance(native, AjaxResponse):  # framework-free: the native response is ours
        return native
    if platform.describe_native is None:
        return AjaxResponse(status=response.status)
    summary = platform.describe_native(native)
    headers = list(summary.headers)
    if not headers and summary.content_type:
        headers.append(("Content-Type", summary.content_type))
    # A streamed one is a stream like ours, with nothing of its own to close
    # here: the framework's iterator is dropped unread.
    stream = Stream(iter(())) if summary.streamed else None
    return AjaxResponse(status=summary.status, body=summary.body, headers=headers, stream=stream)


def _raw_cookies(responses: Sequence[AjaxResponse]) -> list[tuple[str, str]]:
    """The ``Set-Cookie`` headers handlers wrote themselves into ``responses``."""
    return [
        (name, value)
        for response in responses
        for name, value in response.headers.multi_items()
        if name.lower() == "set-cookie"
    ]


#: Headers an item's answer never shows: its length is the batch's business,
#: and a cookie is set on the batch response, never handed to the page's
#: script (an ``HttpOnly`` session cookie would be readable there).
_HIDDEN = frozenset({"content-length", "set-cookie"})


def _describe(response: AjaxResponse) -> dict[str, Any]:
    headers = _shown_headers(response)
    body, encoding = _body_of(response)
    described = {"status": response.status, "headers": headers, "body": body}
    if encoding is not None:
        described["encoding"] = encoding
    return described


#: The ``encoding`` of an item whose ``body`` is its bytes in base64 (K1).
BASE64: Literal["base64"] = "base64"


def _body_of(response: AjaxResponse) -> tuple[Any, str | None]:
    """An item's body: parsed when JSON, its text when text, else its bytes in base64.

    A body labelled JSON that does not parse (a handler's own bytes) is
    given as text too: one item's mistake is its own answer, never the
    whole batch's 500.  Text is a body labelled JSON, text, or with a
    charset (or not labelled at all) whose bytes are UTF-8; anything else
    (an image, a PDF, text in another charset) is given byte for byte in
    base64: decoded as UTF-8 it would come out mangled.
    """
    if not response.body:
        # What fetch() reads off an empty body, whatever its status (K12).
        return "", None
    content_type = response.content_type or ""
    media_type = content_type.partition(";")[0].strip().lower()
    # fetch() decodes text dropping one leading byte order mark (K12).
    text = response.body.removeprefix(codecs.BOM_UTF8)
    if media_type in _JSON_TYPES or media_type.endswith("+json"):
        try:
            return orjson.loads(text), None
        except orjson.JSONDecodeError:
            pass
    if _is_text_type(media_type, content_type):
        try:
            return text.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
    return base64.b64encode(response.body).decode("ascii"), BASE64


#: Media types that are text without a ``charset`` (besides ``text/*`` and JSON).
_TEXT_TYPES = frozenset(
    {"application/xml", "application/javascript", "application/x-www-form-urlencoded"}
    | {"application/x-ndjson"}
)


_CHARSET = re.compile(r";\s*charset\s*=", re.IGNORECASE)


def _is_text_type(media_type: str, content_type: str) -> bool:
    """Whether a body of ``content_type`` (its ``media_type`` lower-cased) is text.

    The same reading as ajaxkit.js's, which must give a coalesced call the
    answer it would have had alone: no type, JSON (NDJSON too), ``text/*``,
    XML, JavaScript, a form, or any type naming a ``charset``.
    """
    return (
        not media_type
        or media_type.startswith("text/")
        or media_type in _JSON_TYPES
        or media_type in _TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
        or _CHARSET.search(content_type) is not None
    )


def _shown_headers(response: AjaxResponse) -> dict[str, str]:
    """An item's headers as the page's script reads them off ``fetch()``:
    names lower-cased, a repeated field's values joined with ``", "`` in
    order (RFC 9110, section 5.3), and never a ``Set-Cookie`` (K4)."""
    shown: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        lower = name.lower()
        if lower in _HIDDEN:
            continue
        shown[lower] = f"{shown[lower]}, {value}" if lower in shown else value
    return shown
