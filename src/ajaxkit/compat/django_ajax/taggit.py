"""django-taggit operations: ``tags`` parsed as taggit parses it, commands run on a record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, transaction

from ajaxkit.compat.django_ajax.encoders import encoder
from ajaxkit.compat.django_ajax.exceptions import AJAXError
from ajaxkit.types import MultiDict

__all__ = ["COMMANDS", "has_tags", "parse", "run_command", "save_tags"]

COMMANDS = frozenset({"add", "remove", "set", "clear", "similar"})
MISSING_COMMAND = "Invalid or missing taggit command."


def has_tags(model: Any) -> bool:
    """Whether ``model`` has a django-taggit ``tags`` manager."""
    try:
        from taggit.managers import TaggableManager  # type: ignore[import-untyped]
    except ImportError:
        return False
    field = next((f for f in model._meta.get_fields() if f.name == "tags"), None)
    return isinstance(field, TaggableManager)


def parse(data: Any) -> list[str] | None:
    """The posted ``tags``, or ``None`` when none were posted.

    A string is parsed by ``taggit.utils.parse_tags`` (commas, quotes,
    spaces as taggit reads them); a JSON list is taken item by item.
    """
    if isinstance(data, MultiDict):
        raw: Any = data.get("tags")
    elif isinstance(data, dict):
        raw = data.get("tags")
    else:
        raw = None
    if raw is None:
        return None
    if isinstance(raw, list):
        return [str(tag).strip() for tag in raw if str(tag).strip()]
    from taggit.utils import parse_tags  # type: ignore[import-untyped]

    return [tag for tag in parse_tags(str(raw)) if tag]


def save_tags(obj: Any, change: Callable[[Any], Any]) -> None:
    """Apply ``change(obj.tags)`` in a savepoint; a refusing database is a 400."""
    try:
        with transaction.atomic(using=obj._state.db):
            change(obj.tags)
    except DatabaseError as exc:
        raise AJAXError(
            400, "Could not save model.", errors={"tags": ["The tags could not be saved."]}
        ) from exc


def run_command(
    obj: Any,
    command: Any,
    data: Any,
    readable: Callable[[list[Any]], list[Any]] = list,
) -> Any:
    """Run taggit ``command`` on ``obj``'s tags; answer its tags (or the
    similar records ``readable`` keeps: those the user may read)."""
    if command not in COMMANDS:
        raise AJAXError(400, MISSING_COMMAND)
    if command == "similar":
        return encoder.encode(readable(list(obj.tags.similar_objects())))
    tags = parse(data)
    if command == "clear":
        # The original skipped clear when no ``tags`` were posted (it never sends any).
        save_tags(obj, lambda manager: manager.clear())
    elif tags is not None:
        save_tags(obj, _command(command, tags))
    return encoder.encode(list(obj.tags.all()))


def _command(command: str, tags: list[str]) -> Callable[[Any], Any]:
    if command == "set":
        return lambda manager: manager.set(tags)
    return lambda manager: getattr(manager, command)(*tags)
