"""django-ajax's signals, sent once a model endpoint's write has committed.

``ajax_created`` and ``ajax_updated`` send ``sender=<model>, instance=<record>``;
``ajax_deleted`` also sends ``payload={"pk": <pk>}``.
"""

from __future__ import annotations

import django.dispatch

__all__ = ["ajax_created", "ajax_deleted", "ajax_updated"]

ajax_created = django.dispatch.Signal()
ajax_updated = django.dispatch.Signal()
ajax_deleted = django.dispatch.Signal()
