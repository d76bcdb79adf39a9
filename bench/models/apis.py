"""The same two endpoints written three ways, each as its documentation shows.

* ``GET <prefix>/notes?limit=50`` — a page of notes with its author nested
  and the total count, ordered by id;
* ``GET <prefix>/notes/<pk>`` — one note with its author nested.

Every version loads the author with ``select_related`` (one query per page
plus the count; one query per note) and nobody authenticates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Router, Schema
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffset
from ninja.pagination import paginate
from rest_framework import pagination, routers, serializers, viewsets

from ajaxkit import Ajax
from ajaxkit.core.models import ModelEndpoint
from bench.models.notes.models import Author, Note

__all__ = ["ajax_api", "drf_router", "ninja_api"]

MAX_LIMIT = 100

# -- ajaxkit -----------------------------------------------------------------


class AuthorEndpoint(ModelEndpoint):
    """Registered so that notes can expand their author with these fields."""

    fields = ("id", "name", "email")
    allow_anonymous = True
    operations = ("get",)


class NoteEndpoint(ModelEndpoint):
    fields = ("id", "title", "body", "priority", "author", "created_at")
    allow_anonymous = True
    max_limit = MAX_LIMIT
    operations = ("list", "get")


ajax_api = Ajax()
ajax_api.model(Author, AuthorEndpoint, resource="authors")
ajax_api.model(Note, NoteEndpoint, resource="notes")

# -- Django REST framework -----------------------------------------------------


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ("id", "name", "email")


class NoteSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)

    class Meta:
        model = Note
        fields = ("id", "title", "body", "priority", "author", "created_at")


class NotePagination(pagination.LimitOffsetPagination):
    max_limit = MAX_LIMIT


class NoteViewSet(viewsets.ModelViewSet):
    queryset = Note.objects.select_related("author").order_by("id")
    serializer_class = NoteSerializer
    pagination_class = NotePagination


drf_router = routers.SimpleRouter(trailing_slash=False)
drf_router.register("notes", NoteViewSet)

# -- django-ninja ----------------------------------------------------------------


class AuthorOut(Schema):
    id: int
    name: str
    email: str


class NoteOut(Schema):
    id: int
    title: str
    body: str
    priority: int
    author: AuthorOut
    created_at: dt.datetime


ninja_router = Router()


@ninja_router.get("/notes", response=list[NoteOut])
@paginate(NinjaLimitOffset, max_limit=MAX_LIMIT)
def list_notes(request: HttpRequest, **kwargs: Any) -> Any:
    return Note.objects.select_related("author").order_by("id")


@ninja_router.get("/notes/{pk}", response=NoteOut)
def get_note(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(Note.objects.select_related("author"), pk=pk)


ninja_api = NinjaAPI(urls_namespace="bench-ninja", docs_url=None, openapi_url=None)
ninja_api.add_router("", ninja_router)
