"""Django integration (this minimal file only makes ``ajaxkit.django.repository`` importable)."""

from __future__ import annotations

__all__: list[str] = []
