"""Models of the django-ajax compatibility tests (issue 4, profile 2)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from taggit.managers import TaggableManager  # type: ignore[import-untyped]  # no types shipped
from taggit.models import TagBase, TaggedItemBase  # type: ignore[import-untyped]


class Kind(models.Model):
    title: models.CharField[str, str] = models.CharField(max_length=50, unique=True)
    note: models.CharField[str, str] = models.CharField(max_length=50, default="", blank=True)


class Part(models.Model):
    name: models.CharField[str, str] = models.CharField(max_length=50)
    internal: models.CharField[str, str] = models.CharField(max_length=50, default="", blank=True)


class Widget(models.Model):
    title: models.CharField[str, str] = models.CharField(max_length=100)
    description: models.CharField[str | None, str | None] = models.CharField(
        max_length=200, null=True, blank=True
    )
    active: models.BooleanField[bool, bool] = models.BooleanField(default=True)
    price: models.DecimalField[Decimal, Decimal] = models.DecimalField(
        max_digits=8, decimal_places=2, default=0
    )
    kind: models.ForeignKey[Kind | None, Kind | None] = models.ForeignKey(
        Kind, null=True, blank=True, on_delete=models.SET_NULL
    )
    parts = models.ManyToManyField(Part, blank=True)
    happened_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    kind_id: int | None  # the column behind ``kind``, which Django adds

    @property
    def extra_fields(self) -> dict[str, Any]:
        return {"label": f"Widget {self.title}", "title": "overridden by the field"}


class LegacyTag(TagBase):  # type: ignore[misc]  # taggit ships no type information
    class Meta:
        constraints = [  # noqa: RUF012
            models.CheckConstraint(
                condition=~models.Q(name="explode"), name="legacy_tag_no_explode"
            )
        ]


class TaggedGadget(TaggedItemBase):  # type: ignore[misc]  # taggit ships no type information
    content_object: models.ForeignKey[Gadget, Gadget] = models.ForeignKey(
        "Gadget", on_delete=models.CASCADE
    )
    tag: models.ForeignKey[LegacyTag, LegacyTag] = models.ForeignKey(
        LegacyTag, on_delete=models.CASCADE, related_name="tagged_gadgets"
    )


class Gadget(models.Model):
    name: models.CharField[str, str] = models.CharField(max_length=100)
    tags = TaggableManager(through=TaggedGadget, blank=True)
