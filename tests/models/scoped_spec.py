"""A model app where every endpoint is scoped to its user (the row-scoping suite).

The same models as :mod:`tests.models.spec`, seen through endpoints that each
narrow ``get_queryset``: notes by owner (or published), authors by e-mail
domain (``ann@alice`` is alice's), tags by label prefix (``alice:``),
comments by their author's domain.  They are related every way a row can be
reached: foreign keys (note → author, comment → note), many-to-many
(note ↔ tags) and reverse relations (note → comments, author → notes).
"""

from __future__ import annotations

from typing import Any

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.models import ModelEndpoint
from tests.models.backends import Backend


def build_scoped_api(backend: Backend) -> Ajax:
    """Register the scoped endpoints on a new registry."""
    api = Ajax()
    m = backend.models

    class Owned(ModelEndpoint):
        scope_name = ""
        max_expand_depth = 3

        def get_queryset(self, request: AjaxRequest) -> Any:
            username = getattr(request.user, "username", "")
            return backend.owned(self.scope_name, super().get_queryset(request), username)

    class AuthorEndpoint(Owned):
        scope_name = "authors"
        fields = ("id", "name", "email", "notes")

    class TagEndpoint(Owned):
        scope_name = "tags"
        fields = ("slug", "label")

    class NoteEndpoint(Owned):
        scope_name = "notes"
        fields = ("id", "title", "status", "priority", "owner", "author", "tags", "comments")
        read_only = ("owner",)
        search_fields = ("title",)
        filter_fields = ("title", "priority", "author", "status")
        ordering_fields = ("title", "priority")

        def prepare(self, request: AjaxRequest, values: dict[str, Any], obj: Any) -> dict[str, Any]:
            if obj is None:
                values["owner"] = request.user.username
            return values

        def can_update(self, user: Any, obj: Any) -> bool:
            return bool(obj.owner == user.username)

    class CommentEndpoint(Owned):
        scope_name = "comments"
        fields = ("id", "note", "author", "text")
        filter_fields = ("note",)

    options = backend.options()
    api.model(m.Author, AuthorEndpoint, resource="authors", **options)
    api.model(m.Tag, TagEndpoint, resource="tags", **options)
    api.model(m.Note, NoteEndpoint, resource="notes", **options)
    api.model(m.Comment, CommentEndpoint, resource="comments", **options)
    return api
