"""The ONE model-endpoint app spec, registered on every backend.

Endpoint classes are the same for both ORMs; only row scoping
(``get_queryset``) goes through the backend, since it is written in the
ORM's own words.
"""

from __future__ import annotations

from typing import Any

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import Change, ModelEndpoint, action
from tests.models.backends import Backend


def build_api(backend: Backend, events: list[Change]) -> Ajax:
    api = Ajax()
    m = backend.models

    class Recording(ModelEndpoint):
        def created(self, request: AjaxRequest, change: Change) -> None:
            events.append(change)

        def updated(self, request: AjaxRequest, change: Change) -> None:
            events.append(change)

        def deleted(self, request: AjaxRequest, change: Change) -> None:
            events.append(change)

    class AuthorEndpoint(Recording):
        fields = ("id", "name", "email", "version")
        version_field = "version"
        require_if_match = True
        search_fields = ("name",)
        filter_fields = ("name", "email")
        ordering_fields = ("name",)

    class CategoryEndpoint(ModelEndpoint):
        fields = ("id", "name")
        allow_anonymous = True
        operations = ("list", "get", "create")

    class TagEndpoint(ModelEndpoint):
        fields = ("slug", "label")

    class NoteEndpoint(Recording):
        fields = (
            "id",
            "title",
            "body",
            "status",
            "priority",
            "owner",
            "author",
            "category",
            "tags",
            "comments",
            "created_at",
        )
        read_only = ("owner", "created_at")
        search_fields = ("title", "body")
        filter_fields = ("status", "priority", "author", "category", "title")
        ordering_fields = ("priority", "title", "created_at")
        max_limit = 200
        allow_anonymous = True

        def get_queryset(self, request: AjaxRequest) -> Any:
            username = getattr(request.user, "username", None)
            return backend.visible(super().get_queryset(request), username)

        def can_create(self, user: Any, obj: Any) -> bool:
            return user is not None and obj.title != "forbidden"

        def can_update(self, user: Any, obj: Any) -> bool:
            return user is not None and obj.owner == user.username

        can_delete = can_update

        def prepare(self, request: AjaxRequest, values: dict[str, Any], obj: Any) -> dict[str, Any]:
            if obj is None:
                values["owner"] = getattr(request.user, "username", "")
            return values

        @action
        def publish(self, request: AjaxRequest, obj: Any) -> None:
            self.write(request, obj, {"status": "published"})

        @action(permission="get", methods=["GET"])
        def summary(self, request: AjaxRequest, obj: Any) -> dict[str, Any]:
            return {"title": obj.title, "length": len(obj.body)}

        def _secret(self, request: AjaxRequest, obj: Any) -> None:  # never routable
            raise AssertionError("private method reached")

    class CommentEndpoint(ModelEndpoint):
        fields = ("id", "note", "author", "text")
        filter_fields = ("note",)

    options = backend.options()
    api.model(m.Author, AuthorEndpoint, resource="authors", **options)
    api.model(m.Category, CategoryEndpoint, resource="categories", **options)
    api.model(m.Tag, TagEndpoint, resource="tags", **options)
    api.model(m.Note, NoteEndpoint, resource="notes", **options)
    api.model(m.Comment, CommentEndpoint, resource="comments", **options)
    return api
