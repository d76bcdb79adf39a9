"""Entity tags for records and the ``If-Match`` precondition (RFC 9110 §8.8.3, §13.1.1).

A record's ETag comes from its version field when the endpoint names one
(``"v7"``), otherwise from a hash of its serialized, unexpanded state, so it
changes exactly when what a client could have read changes.  Tags are
strong: the same state always encodes to the same bytes.

A representation with related rows expanded (``?expand=``) shows more than
the record, so it has a tag of its own (RFC 9110 §8.8.3): the record's tag
with a hash of the whole representation after a ``+`` (``"v7+3f2a..."``).
A change to an expanded row changes that tag, so a conditional GET never
answers 304 over related data that changed.  ``If-Match`` guards the record
being written, so it takes the tag of any representation of the record's
current version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ajaxkit.core.encoding import JSONEncoder
from ajaxkit.exceptions import PreconditionFailed, PreconditionRequired

__all__ = ["check_if_match", "record_etag", "representation_etag"]


def record_etag(record: Mapping[str, Any], encoder: JSONEncoder, version_field: str | None) -> str:
    """The quoted strong ETag of ``record``."""
    if version_field is not None:
        return f'"v{record[version_field]}"'
    return f'"{_digest(record, encoder)}"'


def representation_etag(record_tag: str, shown: Mapping[str, Any], encoder: JSONEncoder) -> str:
    """The quoted strong ETag of ``shown``, a representation of the record
    tagged ``record_tag`` with related rows expanded in it."""
    return f'{record_tag[:-1]}{_EXPANDED}{_digest(shown, encoder)}"'


def _digest(data: Mapping[str, Any], encoder: JSONEncoder) -> str:
    return hashlib.sha256(encoder.dumps(dict(data))).hexdigest()[:_DIGEST_LENGTH]


def _names(tag: str, current: str) -> bool:
    """Whether ``tag`` is the tag of a representation of the record tagged
    ``current``: that tag itself, or one :func:`representation_etag` made."""
    if tag == current:
        return True
    head = current[:-1] + _EXPANDED
    digest = tag[len(head) : -1]
    return (
        tag.startswith(head)
        and tag.endswith('"')
        and len(digest) == _DIGEST_LENGTH
        and all(c in _HEX for c in digest)
    )


#: Between a record's tag and the hash of an expanded representation of it;
#: no character of a hash, and not in a version number.
_EXPANDED = "+"
_DIGEST_LENGTH = 32
_HEX = frozenset("0123456789abcdef")

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
    tags = [t for t in (t.strip() for t in header.split(",")) if t]
    if not tags and required:
        # Empty, or only commas: it names no version, which is what the
        # endpoint requires (not required, an empty list matches nothing: 412).
        raise PreconditionRequired(_UNNAMED_VERSION)
    if "*" in tags:
        if required:
            raise PreconditionRequired(_UNNAMED_VERSION)
        return
    if any(_names(tag, current) for tag in tags):
        return
    raise PreconditionFailed(headers={"ETag": current})
