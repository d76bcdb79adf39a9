""":class:`ModelEndpoint`: what a user declares about a model's endpoints.

Subclass it, set the class attributes and override the hooks; register it
with ``api.model(Note, NoteEndpoint)``.  Defaults are safe:

* anonymous requests get 401 unless ``allow_anonymous = True``;
* every ``can_*`` hook allows an authenticated user (narrow them);
* ``get_queryset`` returns every row (narrow it: a row outside it is a 404,
  never a 403, so its existence does not leak);
* unknown and read-only members of a write are a 422, never dropped;
* the primary key never changes on update.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, overload

from ajaxkit.core.auth import is_authenticated
from ajaxkit.exceptions import RegistrationError, Unauthorized
from ajaxkit.types import AjaxRequest

if TYPE_CHECKING:
    from typing_extensions import Self

    from ajaxkit.core.models.repository import ModelInfo, Repository

__all__ = ["ActionSpec", "Change", "ModelEndpoint", "Operation", "action"]

Operation = Literal["list", "get", "create", "update", "delete"]
ALL_OPERATIONS: frozenset[Operation] = frozenset({"list", "get", "create", "update", "delete"})
#: Where an action's open :class:`~ajaxkit.core.models.repository.Unit` is kept.
UNIT_KEY = "ajaxkit.models.unit"
_ACTION_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Change:
    """A committed change, handed to the ``created/updated/deleted`` hooks.

    Attributes:
        action: ``"created"``, ``"updated"`` or ``"deleted"``.
        resource: the resource name (``"catalog/note"``).
        pk: the record's primary key.
        record: the record as clients see it (unexpanded); for a delete, as
            it was before.
        instance: the ORM object (its session may be closed: read what you
            need from ``record``).
    """

    action: Literal["created", "updated", "deleted"]
    resource: str
    pk: Any
    record: Mapping[str, Any]
    instance: Any


@dataclass(frozen=True)
class ActionSpec:
    """A custom per-record operation, ``POST <resource>/<pk>/<name>``.

    Attributes:
        name: the last path segment.
        attr: the endpoint method's name.
        methods: HTTP methods it answers.
        permission: the ``can_<permission>(user, obj)`` hook that guards it.
    """

    name: str
    attr: str
    methods: tuple[str, ...]
    permission: str


@overload
def action(func: F, /) -> F: ...


@overload
def action(
    *, name: str | None = None, methods: Iterable[str] = ("POST",), permission: str = "update"
) -> Callable[[F], F]: ...


def action(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    methods: Iterable[str] = ("POST",),
    permission: str = "update",
) -> Any:
    """Mark an endpoint method ``def publish(self, request, obj)`` as a
    per-record action at ``<resource>/<pk>/publish``.

    It runs in the record's transaction with the row locked, after
    authentication, scoping (404), ``can_<permission>(user, obj)`` (403) and
    ``If-Match`` (412/428).  Returning ``None`` answers with the record as
    it is afterwards; anything else is answered as a handler result.
    Only decorated methods are routable; private names are refused.
    """

    def mark(f: F) -> F:
        f._ajaxkit_action = ActionSpec(  # type: ignore[attr-defined]
            name=name or f.__name__.replace("_", "-"),
            attr=f.__name__,
            methods=tuple(m.upper() for m in methods),
            permission=permission,
        )
        return f

    return mark(func) if func is not None else mark


class ModelEndpoint:
    """The declaration of one model's endpoints, and the hooks that guard them.

    Class attributes:
        fields: exposed fields (default: every field of the model).
        read_only: exposed fields clients may not write (generated fields
            such as an auto primary key are read-only anyway).
        search_fields: text fields ``search=`` looks in.
        filter_fields: fields clients may filter on.
        ordering_fields: fields clients may order by.
        ordering: the default order (``["-created_at"]``); the primary key
            always ends the order.
        default_limit: page size when the client names none.
        max_limit: the largest page a client may ask for (400 above).
        max_expand_depth: how deep ``expand=a.b.c`` may go.
        max_search_length: the longest ``search=`` (400 above).
        max_ordering_terms: the most terms in ``ordering=`` (400 above).
        max_filter_values: the most filter values in one list request,
            ``__in`` lists counted value by value (400 above).
        max_filter_length: the longest filter value (400 above).
        max_relation_values: the most pks a write may give one to-many
            relation (422 above): each is a parameter of the query that
            checks them, and PostgreSQL takes at most 65,535.
        version_field: an integer field bumped on every write and used as
            the ETag; without it the ETag hashes the record.
        require_if_match: writes without ``If-Match`` get 428.
        allow_anonymous: anonymous users pass :meth:`authenticate`.
        unknown_fields: ``"reject"`` (422) or ``"ignore"`` unknown and
            read-only members of a write (for HTML forms).
        operations: which of list/get/create/update/delete are routed.
        resource: the resource name (default from the repository).

    Every hook runs on a copy of the endpoint made for the request being
    answered (:meth:`bind`), so ``self.request`` is that request in
    ``can_get(user, obj)`` and the other hooks alike, and anything a hook
    stores on ``self`` lasts for that request only.
    """

    fields: ClassVar[Sequence[str] | None] = None
    read_only: ClassVar[Sequence[str]] = ()
    search_fields: ClassVar[Sequence[str]] = ()
    filter_fields: ClassVar[Sequence[str]] = ()
    ordering_fields: ClassVar[Sequence[str]] = ()
    ordering: ClassVar[Sequence[str]] = ()
    default_limit: ClassVar[int] = 20
    max_limit: ClassVar[int] = 100
    max_expand_depth: ClassVar[int] = 2
    max_search_length: ClassVar[int] = 200
    max_ordering_terms: ClassVar[int] = 8
    max_filter_values: ClassVar[int] = 100
    max_filter_length: ClassVar[int] = 1000
    max_relation_values: ClassVar[int] = 1000
    version_field: ClassVar[str | None] = None
    require_if_match: ClassVar[bool] = False
    allow_anonymous: ClassVar[bool] = False
    unknown_fields: ClassVar[Literal["reject", "ignore"]] = "reject"
    operations: ClassVar[Iterable[Operation]] = ALL_OPERATIONS
    resource: ClassVar[str | None] = None
    # A class default, so that a subclass's own __init__ need not set it.
    _request: AjaxRequest | None = None

    def __init__(self, model: Any, repository: Repository, **options: Any) -> None:
        self.model = model
        self.repository = repository
        self.info: ModelInfo = repository.info
        self.options = options

    @property
    def request(self) -> AjaxRequest:
        """The request this copy of the endpoint answers (see :meth:`bind`)."""
        if self._request is None:
            raise RuntimeError(
                f"{type(self).__name__}.request is only set on the copy made for a request."
            )
        return self._request

    def bind(self, request: AjaxRequest) -> Self:
        """A copy of this endpoint answering ``request``: the model layer
        calls every hook of an operation on it."""
        # A shallow copy, made by hand: copy.copy() costs four times as much
        # on every request, for generality an endpoint does not need.
        bound = object.__new__(type(self))
        bound.__dict__.update(self.__dict__)
        bound._request = request
        return bound

    # -- hooks: override these ------------------------------------------------

    def authenticate(self, request: AjaxRequest) -> Any:
        """Runs first for every operation; returns the user the ``can_*``
        hooks receive.  Raise :class:`~ajaxkit.Unauthorized` to refuse."""
        user = request.user
        if not is_authenticated(user):
            if not self.allow_anonymous:
                raise Unauthorized()
            return None
        return user

    def get_queryset(self, request: AjaxRequest) -> Any:
        """The rows this request may see: the ORM's query (a ``QuerySet``,
        a ``Select``), narrowed as needed.  Rows outside it are 404."""
        return self.repository.scope()

    def can_list(self, user: Any) -> bool:
        """May ``user`` list the records?  (403 when not.)"""
        return True

    def can_get(self, user: Any, obj: Any) -> bool:
        """May ``user`` read ``obj``?"""
        return True

    def can_create(self, user: Any, obj: Any) -> bool:
        """May ``user`` create ``obj``?  Called in the transaction, after the
        insert; refusing rolls it back."""
        return True

    def can_update(self, user: Any, obj: Any) -> bool:
        """May ``user`` change ``obj`` (as it is before the change)?"""
        return True

    def can_delete(self, user: Any, obj: Any) -> bool:
        """May ``user`` delete ``obj``?"""
        return True

    def prepare(self, request: AjaxRequest, values: dict[str, Any], obj: Any) -> dict[str, Any]:
        """The values to write, from the validated ones; ``obj`` is ``None``
        on create.  Set server-side fields here (``values["owner"] = ...``)."""
        return values

    def created(self, request: AjaxRequest, change: Change) -> None:
        """After a create has committed (the seam for live updates)."""

    def updated(self, request: AjaxRequest, change: Change) -> None:
        """After an update (or an action that changed the record) committed."""

    def deleted(self, request: AjaxRequest, change: Change) -> None:
        """After a delete has committed."""

    def write(self, request: AjaxRequest, obj: Any, values: Mapping[str, Any]) -> None:
        """Change ``obj`` from inside an ``@action``, in the action's
        transaction (server-side values: they are not validated)."""
        unit = request.state.get(UNIT_KEY)
        if unit is None:
            raise RuntimeError("ModelEndpoint.write() is only available inside an @action.")
        unit.update(obj, values)

    # -- introspection ----------------------------------------------------

    @classmethod
    def actions(cls) -> dict[str, ActionSpec]:
        """The ``@action`` methods by route name; refuses private ones."""
        found: dict[str, ActionSpec] = {}
        for attr in dir(cls):
            spec = getattr(getattr(cls, attr, None), "_ajaxkit_action", None)
            if not isinstance(spec, ActionSpec):
                continue
            if attr.startswith("_") or not _ACTION_NAME.match(spec.name):
                raise RegistrationError(
                    f"{cls.__name__}.{attr} cannot be an action (private or bad name)."
                )
            found[spec.name] = spec
        return found
