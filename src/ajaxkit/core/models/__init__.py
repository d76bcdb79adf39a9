"""Model endpoints: CRUD, lists, expansion and preconditions over any ORM.

The pieces, each importing only those before it:

* :mod:`.repository` — the :class:`Repository` seam each ORM implements;
* :mod:`.query` — list query parameters → :class:`ListQuery`;
* :mod:`.etag` — ETags and ``If-Match``;
* :mod:`.validation` — pydantic models from field metadata;
* :mod:`.view` — exposed fields, expansion, serialization;
* :mod:`.endpoint` — :class:`ModelEndpoint`, the user's declaration;
* :mod:`.resource` — the operations; :mod:`.routes` — the modern routes.
"""

from __future__ import annotations

from ajaxkit.core.models.endpoint import ActionSpec, Change, ModelEndpoint, action
from ajaxkit.core.models.query import Filter, ListQuery, Order
from ajaxkit.core.models.repository import (
    ConstraintViolation,
    FieldInfo,
    LoadPlan,
    ModelInfo,
    Repository,
    Unit,
    register_repository,
    repository_for,
)
from ajaxkit.core.models.resource import ModelResource, Page, Record
from ajaxkit.core.models.routes import register_model

__all__ = [
    "ActionSpec",
    "Change",
    "ConstraintViolation",
    "FieldInfo",
    "Filter",
    "ListQuery",
    "LoadPlan",
    "ModelEndpoint",
    "ModelInfo",
    "ModelResource",
    "Order",
    "Page",
    "Record",
    "Repository",
    "Unit",
    "action",
    "register_model",
    "register_repository",
    "repository_for",
]
