"""The refusal of a body with too many parameters (rule N2), worded in one place.

Forms are counted before they are parsed (:mod:`ajaxkit.core.body`), JSON
objects after (:mod:`ajaxkit.core.limits`); both answer alike.
"""

from __future__ import annotations

from ajaxkit.exceptions import ClientError

__all__ = ["too_many_params"]


def too_many_params(count: int, limit: int) -> ClientError:
    """The 400 for a body of ``count`` parameters, over ``max_params`` (``limit``)."""
    return ClientError(f"The body has {count} parameters; at most {limit} (max_params).")
