"""django-ajaxutils compatibility: ``from ajaxkit.compat.ajaxutils import ajax, json``.

The ``ajax`` decorator (Django and Flask views) arrives with the integrations;
the wire format lives in :class:`AjaxUtilsProfile`.
"""

from __future__ import annotations

import json

from ajaxkit.compat.ajaxutils.profile import MESSAGES, AjaxUtilsProfile

__all__ = ["MESSAGES", "AjaxUtilsProfile", "json"]
