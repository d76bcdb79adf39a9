"""The framework-neutral core: registry, pipeline, binding, encoding, errors."""

from __future__ import annotations

from ajaxkit.core.clock import Clock, ManualClock, SystemClock
from ajaxkit.core.encoding import JSONEncoder
from ajaxkit.core.endpoint import Endpoint
from ajaxkit.core.platform import Platform
from ajaxkit.core.profile import ErrorContext, ProblemDocument, ProblemProfile, Profile
from ajaxkit.core.registry import Ajax
from ajaxkit.core.settings import Settings

__all__ = [
    "Ajax",
    "Clock",
    "Endpoint",
    "ErrorContext",
    "JSONEncoder",
    "ManualClock",
    "Platform",
    "ProblemDocument",
    "ProblemProfile",
    "Profile",
    "Settings",
    "SystemClock",
]
