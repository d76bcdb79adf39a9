"""An endpoint: a handler plus everything registration learned about it."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from asgiref.sync import async_to_sync

from ajaxkit.core.binding import HandlerShape, UnknownFields, analyse, handler_signature
from ajaxkit.core.message_rate import parse_message_rate
from ajaxkit.core.rates import Rate
from ajaxkit.core.registration_checks import check_bound_names
from ajaxkit.core.results import ResultShape, result_shape
from ajaxkit.core.steps import DEFAULT_STEPS, BoundStep, PolicyStep, bind_steps
from ajaxkit.exceptions import RegistrationError

if TYPE_CHECKING:
    from ajaxkit.core.transactions import TransactionSource

__all__ = ["WEBSOCKET", "Endpoint", "Permission", "RequestArg", "make_endpoint"]

#: ``permission(request) -> bool`` (or an awaitable of it); ``False`` means 403.
Permission = Callable[..., "bool | Awaitable[bool]"]
RequestArg = Literal["ajax", "native"]

#: ``flow(request, settings, platform, arguments) -> Flow[result]``.
FlowHandler = Callable[..., Any]

#: The pseudo-method under which a route's WebSocket endpoint is registered.
WEBSOCKET = "WEBSOCKET"

_NO_STEPS: tuple[BoundStep[Any], ...] = ()


@dataclass(frozen=True, eq=False)
class Endpoint:
    """A registered handler.

    Attributes:
        route: the route pattern below the mount.
        func: the handler as the user wrote it.
        methods: upper-case methods it answers (``WEBSOCKET`` for a socket).
        shape: what binding learned from the signature.
        steps: the policy steps configured for it, by request method.
        options: the registration options as given (for introspection,
            e.g. documentation); the steps hold their typed form.
        request_arg: pass the :class:`~ajaxkit.AjaxRequest` (``"ajax"``) or
            the framework's own request (``"native"``, for wrapped views).
        transactions: the databases the handler writes through, whose
            transactions it joins in an atomic batch (see
            :mod:`ajaxkit.core.transactions`); ``None``: it cannot be part
            of an atomic batch (an empty tuple: it touches no database).
        unbatchable: why it cannot be an item of a batch, or ``None`` (it
            can).  Set for a handler that may wait long before it answers
            (a long-poll): as an item it would hold up the whole batch, so
            a batch answers such an item 400 with this reason, unrun.
        result: what the return annotation lets out of a result: one
            declaring fields (a pydantic model) validates it and sends only
            those (rule S8); ``None``: the result is sent as it is.
        message_rate: the limits on the messages one client of a
            ``WEBSOCKET`` endpoint sends (see :mod:`ajaxkit.core.message_rate`);
            empty: none.
        checked_for: the names of the declared platforms whose registration
            checks the handler has passed (see
            :func:`~ajaxkit.core.registration_checks.check_for_platform`);
            filled in as checks pass, so a mount checks each endpoint once.
    """

    route: str
    func: Callable[..., Any]
    methods: frozenset[str]
    shape: HandlerShape
    steps: Mapping[str, tuple[BoundStep[Any], ...]] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    request_arg: RequestArg = "ajax"
    is_async: bool = False
    sync_func: Callable[..., Any] = field(default=lambda: None, repr=False)
    #: A handler that is itself a flow (``flow(request, settings, platform,
    #: arguments)`` answering an ``AjaxResponse``): its I/O goes through the
    #: driver like the pipeline's own, so it may run further requests (the
    #: batch endpoint does).
    flow: FlowHandler | None = field(default=None, repr=False)
    transactions: tuple[TransactionSource, ...] | None = None
    unbatchable: str | None = None
    result: ResultShape | None = field(default=None, repr=False)
    message_rate: tuple[Rate, ...] = ()
    # Mutable in a frozen endpoint: it records checks, it changes no behaviour.
    checked_for: set[str] = field(default_factory=set, repr=False)

    @property
    def name(self) -> str:
        """A readable name for logs: the handler's qualified name."""
        return getattr(self.func, "__qualname__", repr(self.func))

    def steps_for(self, method: str) -> tuple[BoundStep[Any], ...]:
        """The bound policy steps a ``method`` request runs through, in order."""
        return self.steps.get(method, _NO_STEPS)

    def step_config(self, name: str) -> Any:
        """The configuration of the step called ``name``, or ``None`` when it is off."""
        for bound in self.steps_for(next(iter(self.methods))):
            if bound.step.name == name:
                return bound.config
        return None

    @property
    def login_required(self) -> bool:
        """Whether anonymous requests are refused (for documentation and checks)."""
        return bool(self.options.get("login_required", False))


def make_endpoint(
    route: str,
    func: Callable[..., Any],
    *,
    methods: Iterable[str],
    path_names: frozenset[str] = frozenset(),
    request_arg: RequestArg = "ajax",
    steps: Iterable[PolicyStep[Any]] = DEFAULT_STEPS,
    unknown_fields: UnknownFields = "ignore",
    transactions: Iterable[TransactionSource] | None = None,
    unbatchable: str | None = None,
    message_rate: Any = None,
    **options: Any,
) -> Endpoint:
    """Analyse ``func`` once and build its :class:`Endpoint`.

    ``options`` are the policy steps' registration keywords
    (``login_required``, ``permission``, ``csrf_exempt``, ...); one no step
    owns raises :class:`~ajaxkit.exceptions.RegistrationError`.
    ``unknown_fields`` says what binding does with input names that are no
    parameter (see :class:`~ajaxkit.core.binding.Binder`).
    ``transactions`` and ``unbatchable``: see :class:`Endpoint`;
    ``message_rate`` (``"20/second"`` or a list of them) only on a
    ``WEBSOCKET`` endpoint.
    """
    is_async = inspect.iscoroutinefunction(func)
    upper = frozenset(m.upper() for m in methods)
    name = getattr(func, "__qualname__", repr(func))
    _check_unbatchable(f"{name} ({route or '/'})", unbatchable)
    socket = WEBSOCKET in upper
    if socket:
        _check_websocket_handler(f"{name} ({route or '/'})", func, upper, is_async)
    elif message_rate is not None:
        _refuse_message_rate(f"{name} ({route or '/'})")
    shape = analyse(func, path_names, unknown_fields, first_is_request=socket)
    check_bound_names(repr(f"{name} ({route or '/'})"), func, shape.takes_request)
    result = None if socket else result_shape(func, repr(f"{name} ({route or '/'})"))
    return Endpoint(
        route=route,
        func=func,
        methods=upper,
        shape=shape,
        steps=bind_steps(steps, f"{name} ({route or '/'})", upper, options),
        options=dict(options),
        request_arg=request_arg,
        is_async=is_async,
        # Built once: asgiref's wrapper is what lets an async handler run
        # under a WSGI server, without an event loop per call site.
        sync_func=async_to_sync(func) if is_async else func,
        transactions=None if transactions is None else tuple(transactions),
        unbatchable=unbatchable,
        result=result,
        message_rate=parse_message_rate(f"{name} ({route or '/'})", message_rate),
    )


def _check_unbatchable(endpoint: str, reason: object) -> None:
    """``unbatchable`` is the reason a client is told, so it must be one."""
    if reason is None or (isinstance(reason, str) and reason.strip()):
        return
    raise RegistrationError(
        f"Endpoint {endpoint!r}: unbatchable must be the reason a batch refuses it "
        f"as an item (a sentence), or None, not {reason!r}."
    )


def _refuse_message_rate(endpoint: str) -> None:
    """``message_rate`` counts a session's messages: an HTTP endpoint has none."""
    raise RegistrationError(
        f"Endpoint {endpoint!r}: message_rate is for WebSocket endpoints (it counts "
        "the messages of a session); rate= limits HTTP requests."
    )


def _check_websocket_handler(
    endpoint: str, func: Callable[..., Any], methods: frozenset[str], is_async: bool
) -> None:
    """A WebSocket handler is ``async def handler(ws, ...)`` and answers nothing else."""
    if methods != {WEBSOCKET}:
        others = ", ".join(sorted(methods - {WEBSOCKET}))
        raise RegistrationError(
            f"Endpoint {endpoint!r}: a WebSocket handler cannot also answer {others}; "
            "register the HTTP methods on another function at the same route."
        )
    if not is_async:
        raise RegistrationError(
            f"Endpoint {endpoint!r}: a WebSocket handler must be 'async def' "
            "(it waits on the client between messages)."
        )
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = list(handler_signature(func).parameters.values())
    if not params or params[0].kind not in positional:
        raise RegistrationError(
            f"Endpoint {endpoint!r}: a WebSocket handler takes the socket as its "
            "first parameter: async def handler(ws: WebSocket, ...)."
        )
