"""A model app where every endpoint is scoped to its user (the row-scoping suite).

The same models as :mod:`tests.models.spec`, seen through endpoints that each
narrow ``get_queryset``: notes by owner (or published), authors by e-mail
domain (``ann@alice`` is alice's), tags by label prefix (``alice:``),
comments by their author's domain.  They are related every way a row can be
reached: foreign keys (note → author, comment → note), many-to-many
(note ↔ tags) and reverse relations (note → comments, author → notes).
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass
class World:
    alice: Any
    bob: Any
    ann: int  # alice's author
    bo: int  # bob's author
    moved: int  # bob's author, moved into alice's scope after use
    alice_note: int
    bob_note: int  # a draft now; alice commented on it while it was published
    published: int  # bob's, still published
    alice_comment: str  # on bob_note
    alice_comment_on_published: str
    bob_comment: str  # on bob_note


def created(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/ajax/{path}", json=body)
    assert response.status == 201, response.json()
    return response.json()  # type: ignore[no-any-return]


def changed(client: Any, path: str, body: dict[str, Any]) -> None:
    response = client.patch(f"/ajax/{path}", json=body)
    assert response.status == 200, response.json()


def build_world(alice: Any, bob: Any) -> World:
    """alice's and bob's rows, related every way, some moved out of bob's
    scope after he linked them; everything of alice's says ``SECRET``."""
    ann = created(alice, "authors", {"name": "Ann SECRET", "email": "ann@alice"})["id"]
    bo = created(bob, "authors", {"name": "Bo", "email": "bo@bob"})["id"]
    moved = created(bob, "authors", {"name": "Mo", "email": "mo@bob"})["id"]
    created(alice, "tags", {"slug": "a1", "label": "alice: SECRET"})
    created(bob, "tags", {"slug": "b1", "label": "bob: mine"})
    created(bob, "tags", {"slug": "b2", "label": "bob: moving"})
    alice_note = created(
        alice, "notes", {"title": "SECRET plan", "author": ann, "tags": ["a1"], "priority": 5}
    )["id"]
    bob_note = created(
        bob,
        "notes",
        {"title": "bob note", "author": moved, "tags": ["b1", "b2"], "status": "published"},
    )["id"]
    published = created(
        bob, "notes", {"title": "bob public", "tags": ["b1"], "status": "published"}
    )["id"]
    alice_comment = created(
        alice, "comments", {"note": bob_note, "author": ann, "text": "SECRET remark"}
    )["id"]
    on_published = created(
        alice, "comments", {"note": published, "author": ann, "text": "SECRET again"}
    )["id"]
    bob_comment = created(bob, "comments", {"note": bob_note, "author": bo, "text": "mine"})["id"]
    created(bob, "comments", {"note": published, "author": bo, "text": "public remark"})
    # Rows leave bob's scope after he linked them: his note goes back to
    # draft (alice's comment on it stays), his tag and author move to alice.
    changed(bob, f"notes/{bob_note}", {"status": "draft"})
    changed(bob, "tags/b2", {"label": "alice: moved"})
    changed(bob, f"authors/{moved}", {"email": "mo@alice"})
    return World(
        alice,
        bob,
        ann,
        bo,
        moved,
        alice_note,
        bob_note,
        published,
        alice_comment,
        on_published,
        bob_comment,
    )
