"""Model endpoints publishing their committed changes (``Live.model``).

A change is published after its transaction commits, as
``{"action": "created" | "updated" | "deleted", "pk": …, "record": {…},
"omitted": [field, ...]}`` where ``record`` is the row as the endpoint shows
it, less the ``omitted`` fields.

One event goes to every subscriber of a topic, whatever each may read, so the
record holds only the fields that read the same for all of them
(:func:`~ajaxkit.core.models.scope.shown_alike`): a to-many relation whose
endpoint hides rows from some users (``get_queryset``, ``can_get``, its own
``authenticate``) is left out and named in ``omitted``, never filtered for
one user and sent to all.  A client that shows such a field reads the record
again (a ``GET``, scoped to its user) on such an event.  Filtering per
subscriber instead would cost a query per subscriber and event on the
publishing path.

A subscriber must never learn of a row it may not see, and a topic is
authorized once per connection, not per event.  So:

- an endpoint that shows every row to whoever may list (no
  ``get_queryset`` or ``can_get`` of its own) publishes to one topic,
  ``models/<resource>``, authorized like a list request (``authenticate`` then
  ``can_list``);
- an endpoint that narrows rows must say which topic each row goes to and
  who may subscribe to it (``topics=`` and ``authorize=``), for instance one
  topic per owner; registering it without is an error, not a silent leak.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ajaxkit.core.callbacks import callback_problem, is_async_callable
from ajaxkit.core.models import ModelEndpoint
from ajaxkit.core.models.scope import shown_alike
from ajaxkit.exceptions import AjaxError, RegistrationError

if TYPE_CHECKING:
    from ajaxkit.core.models.endpoint import Change
    from ajaxkit.types import AjaxRequest

if TYPE_CHECKING:
    from ajaxkit.core.models.resource import ModelResource
    from ajaxkit.live.hub import Authorize, Live

__all__ = ["RowTopics", "change_message", "model_topic"]

#: ``topics(record) -> [topic, ...]``: where a row's changes are published.
RowTopics = Callable[[Any], "Sequence[str]"]


def model_topic(
    live: Live,
    resource: ModelResource,
    *,
    topics: RowTopics | None,
    authorize: Authorize | None,
) -> str | None:
    """Declare ``models/<resource>`` for an endpoint that hides no row; ``None`` with ``topics``.

    Raises:
        RegistrationError: the endpoint narrows its rows and no ``topics`` say
            where each row's changes go.
    """
    if topics is not None:
        _check_row_topics(resource, topics)
        return None
    endpoint = type(resource.endpoint)
    narrowed = [
        name
        for name in ("get_queryset", "can_get")
        if getattr(endpoint, name) is not getattr(ModelEndpoint, name)
    ]
    if narrowed:
        raise RegistrationError(
            f"Model endpoint {resource.name!r} narrows which rows a user sees "
            f"({', '.join(narrowed)}): say which topic each row's changes go to, "
            "live.model(Model, topics=lambda record: [...]), with those topics "
            "declared by live.topic(pattern, authorize=...)."
        )
    topic = f"models/{resource.name}"
    live.topic(topic, authorize=authorize or _may_list(resource))
    return topic


def _check_row_topics(resource: ModelResource, topics: object) -> None:
    """Refuse ``topics`` that cannot be called as ``topics(record)``: they run
    only after a change commits, where a failure loses the change's event."""
    problem = callback_problem("topics", topics, ("record",))
    if problem is None and is_async_callable(topics):
        # Its coroutine, never awaited, is no list of topics.
        problem = f"topics is an async def ({topics!r}); give a plain function"
    if problem is not None:
        raise RegistrationError(f"Model endpoint {resource.name!r}: {problem}.")


def _may_list(resource: ModelResource) -> Authorize:
    def authorize(request: AjaxRequest, topic: str, action: str) -> bool:
        endpoint = resource.endpoint.bind(request)
        try:
            user = endpoint.authenticate(request)
        except AjaxError:
            return False
        return bool(endpoint.can_list(user))

    return authorize


def change_message(resource: ModelResource, change: Change) -> dict[str, Any]:
    """What every subscriber receives for ``change`` of ``resource``: the
    record without the fields some of them may not read in full."""
    omitted = [f.name for f in resource.view.fields if not shown_alike(resource, f)]
    record = {name: value for name, value in change.record.items() if name not in omitted}
    return {"action": change.action, "pk": change.pk, "record": record, "omitted": omitted}
