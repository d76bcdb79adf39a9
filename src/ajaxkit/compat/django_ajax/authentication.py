"""``AJAX_AUTHENTICATION``: who may use model endpoints at all."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings as django_settings
from django.utils.module_loading import import_string

__all__ = ["DEFAULT_AUTHENTICATION", "BaseAuthentication", "authentication"]

DEFAULT_AUTHENTICATION = "ajaxkit.compat.django_ajax.authentication.BaseAuthentication"
# Settings written for the original package name its default class.
_ORIGINAL_DEFAULT = "ajax.authentication.BaseAuthentication"


class BaseAuthentication:
    """The default: a logged-in user is required."""

    def is_authenticated(self, request: Any, application: str, method: str) -> bool:
        """Whether ``request`` may call ``method`` on a model of ``application``."""
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)


def authentication() -> Any:
    """The instance named by ``AJAX_AUTHENTICATION`` (read on use, not import)."""
    path = getattr(django_settings, "AJAX_AUTHENTICATION", DEFAULT_AUTHENTICATION)
    return _load(DEFAULT_AUTHENTICATION if path == _ORIGINAL_DEFAULT else path)


@functools.cache
def _load(path: str) -> Any:
    return import_string(path)()
