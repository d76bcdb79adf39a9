"""An ``AJAX_AUTHENTICATION`` class for the tests: everyone may use model endpoints."""

from __future__ import annotations

from typing import Any


class Everyone:
    def is_authenticated(self, request: Any, application: str, method: str) -> bool:
        return True
