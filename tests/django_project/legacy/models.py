"""Models of the django-ajax compatibility tests (issue 4, profile 2)."""

from __future__ import annotations

from typing import Any

from django.db import models
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase


class Kind(models.Model):
    title = models.CharField(max_length=50, unique=True)
    note = models.CharField(max_length=50, default="", blank=True)


class Part(models.Model):
    name = models.CharField(max_length=50)
    internal = models.CharField(max_length=50, default="", blank=True)


class Widget(models.Model):
    title = models.CharField(max_length=100)
    description = models.CharField(max_length=200, null=True, blank=True)
    active = models.BooleanField(default=True)
    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    kind = models.ForeignKey(Kind, null=True, blank=True, on_delete=models.SET_NULL)
    parts = models.ManyToManyField(Part, blank=True)
    happened_at = models.DateTimeField(null=True, blank=True)

    @property
    def extra_fields(self) -> dict[str, Any]:
        return {"label": f"Widget {self.title}", "title": "overridden by the field"}


class LegacyTag(TagBase):
    class Meta:
        constraints = [  # noqa: RUF012
            models.CheckConstraint(
                condition=~models.Q(name="explode"), name="legacy_tag_no_explode"
            )
        ]


class TaggedGadget(TaggedItemBase):
    content_object = models.ForeignKey("Gadget", on_delete=models.CASCADE)
    tag = models.ForeignKey(LegacyTag, on_delete=models.CASCADE, related_name="tagged_gadgets")


class Gadget(models.Model):
    name = models.CharField(max_length=100)
    tags = TaggableManager(through=TaggedGadget, blank=True)
