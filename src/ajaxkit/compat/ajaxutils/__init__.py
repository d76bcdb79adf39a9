"""django-ajaxutils compatibility: ``from ajaxkit.compat.ajaxutils import ajax, json``.

Switching is one import: ``from ajaxutils.decorators import ajax`` becomes
``from ajaxkit.compat.ajaxutils import ajax``.  ``json`` is the standard
library's, as the original re-exported it when simplejson was absent.
"""

from __future__ import annotations

import json

from ajaxkit.compat.ajaxutils.decorator import ajax, iso_values, model_values
from ajaxkit.compat.ajaxutils.profile import MESSAGES, AjaxUtilsProfile

__all__ = ["MESSAGES", "AjaxUtilsProfile", "ajax", "iso_values", "json", "model_values"]
