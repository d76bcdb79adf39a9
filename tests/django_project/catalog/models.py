"""Models used by the model-endpoint tests (issue 3).

The same shapes exist as SQLAlchemy classes in ``tests/models/sa_models.py``;
the shared test bodies expect the same JSON from both.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.validators import validate_slug
from django.db import models


class Author(models.Model):
    name: models.CharField[str, str] = models.CharField(max_length=100)
    email: models.CharField[str, str] = models.CharField(max_length=200, unique=True)
    version: models.IntegerField[int, int] = models.IntegerField(default=1)


class Category(models.Model):
    name: models.CharField[str, str] = models.CharField(max_length=50, unique=True)


class Tag(models.Model):
    # The validator is the Django model's own rule: the model layer must
    # apply it (the SQLAlchemy twin has none).
    slug: models.CharField[str, str] = models.CharField(
        max_length=30, primary_key=True, validators=[validate_slug]
    )
    label: models.CharField[str, str] = models.CharField(max_length=50)


class Note(models.Model):
    STATUSES = (("draft", "Draft"), ("published", "Published"))

    title: models.CharField[str, str] = models.CharField(max_length=100)
    body: models.TextField[str, str] = models.TextField(default="", blank=True)
    status: models.CharField[str, str] = models.CharField(
        max_length=20, choices=STATUSES, default="draft"
    )
    priority: models.IntegerField[int, int] = models.IntegerField(default=0)
    owner: models.CharField[str, str] = models.CharField(max_length=150, default="")
    author: models.ForeignKey[Author | None, Author | None] = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    category: models.ForeignKey[Category | None, Category | None] = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="notes")
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(auto_now_add=True)


class Comment(models.Model):
    id: models.UUIDField[uuid.UUID, uuid.UUID] = models.UUIDField(
        primary_key=True, default=uuid.uuid4
    )
    note: models.ForeignKey[Note, Note] = models.ForeignKey(
        Note, on_delete=models.CASCADE, related_name="comments"
    )
    author: models.ForeignKey[Author | None, Author | None] = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    text: models.CharField[str, str] = models.CharField(max_length=500)
