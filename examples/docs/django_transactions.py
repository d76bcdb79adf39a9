"""docs/django.md, "Transactions": ``ATOMIC_REQUESTS`` and views that opt out of it."""

from __future__ import annotations

from django.db import connection, transaction
from django.urls import include, path

import ajaxkit.django
from ajaxkit import Ajax

api = Ajax()


@api.endpoint
def state(request):
    # With ATOMIC_REQUESTS on, the request's transaction is open here.
    return {"atomic": connection.in_atomic_block}


# --8<-- [start:non_atomic]
@transaction.non_atomic_requests
@ajaxkit.django.ajax
def progress(request):
    # Autocommit, as in any Django view marked so.
    return {"atomic": connection.in_atomic_block}


# One view serves every route of a mount: marking it marks them all.
polling = ajaxkit.django.urls(api)
for pattern in polling:
    transaction.non_atomic_requests(pattern.callback)

urlpatterns = [
    path("ajax/", include(ajaxkit.django.urls(api))),
    path("poll/", include(polling)),
    path("progress/", progress),
]
# --8<-- [end:non_atomic]
