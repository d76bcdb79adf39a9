"""Two models, one foreign key: the shape of most "list with its owner" pages."""

from __future__ import annotations

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=200, unique=True)


class Note(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField()
    priority = models.IntegerField(default=0)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="notes")
    created_at = models.DateTimeField()
