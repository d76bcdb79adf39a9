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


#: Why a required ``If-Match`` of ``*`` is refused: it matches whatever is
#: stored, so it cannot tell the client's copy from a newer one.
_UNNAMED_VERSION = (
    "This request must name the version it read: send If-Match with the ETag "
    'of the record it changes ("*" names no version).'
)


def check_if_match(header: str | None, current: str, *, required: bool) -> None:
    """Raise 428 when ``If-Match`` is required and absent, 412 when it names
    no current tag.  Weak tags never match (strong comparison).

    ``*`` matches any current record (RFC 9110 §13.1.1), unless ``If-Match``
    is ``required``: the endpoint then asks for lost-update protection,
    which ``*`` (alone or in a list) would give up, so it is 428 too.
    """
    if header is None:
        if required:
            raise PreconditionRequired()
        return
    tags = [t.strip() for t in header.split(",")]
    if "*" in tags:
        if required:
            raise PreconditionRequired(_UNNAMED_VERSION)
        return
    if current in tags:
        return
    raise PreconditionFailed(headers={"ETag": current})
