"""Entity tags for records and the ``If-Match`` precondition (RFC 9110 §8.8.3, §13.1.1).

A record's ETag comes from its version field when the endpoint names one
(``"v7"``), otherwise from a hash of its serialized, unexpanded state, so it
changes exactly when what a client could have read changes.  Tags are
strong: the same state always encodes to the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ajaxkit.core.encoding import JSONEncoder
from ajaxkit.exceptions import PreconditionFailed, PreconditionRequired

__all__ = ["check_if_match", "record_etag"]


def record_etag(record: Mapping[str, Any], encoder: JSONEncoder, version_field: str | None) -> str:
    """The quoted strong ETag of ``record``."""
    if version_field is not None:
        return f'"v{record[version_field]}"'
    digest = hashlib.sha256(encoder.dumps(dict(record))).hexdigest()[:32]
    return f'"{digest}"'


def check_if_match(header: str | None, current: str, *, required: bool) -> None:
    """Raise 428 when ``If-Match`` is required and absent, 412 when it names
    no current tag.  Weak tags never match (strong comparison)."""
    if header is None:
        if required:
            raise PreconditionRequired()
        return
    tags = [t.strip() for t in header.split(",")]
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed(headers={"ETag": current})
