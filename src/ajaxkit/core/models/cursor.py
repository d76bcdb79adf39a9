"""Signed, bounded list cursors.

A cursor names the last row of a page by its ordering values, so the next
page is a keyset query.  Unsigned, a client could craft one -- with as many
values as ordering terms, each a keyset condition -- and make one request
cost minutes.  So cursors are signed: ``<payload>.<mac>``, both base64url,
the MAC an HMAC-SHA256 (truncated to 128 bits) keyed by
:attr:`Settings.secret_key <ajaxkit.core.settings.Settings.secret_key>` and
bound to the resource, so a cursor of another endpoint or another
application is refused like a tampered one (400 ``malformed_cursor``).

Cursors signed with one of ``Settings.secret_key_fallbacks`` are accepted
too, so rotating the key does not break a list a page is paging through;
new cursors are signed with ``secret_key`` alone.

Without a ``secret_key`` a random key is made per process: cursors then
only work within one process, so deployments with several workers must set
the secret (Django's ``SECRET_KEY`` or Flask's ``app.secret_key`` will do).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from ajaxkit.exceptions import ClientError, FieldError

__all__ = ["MAX_CURSOR_LENGTH", "CursorCodec", "SecretSource"]

#: The longest cursor accepted (characters); longer is refused unread.
MAX_CURSOR_LENGTH = 4096
#: Bytes of the HMAC kept: 128 bits, as much as forgery needs to be hopeless.
_MAC_SIZE = 16
#: The key used when the application configured none (one per process).
_PROCESS_KEY = secrets.token_bytes(32)

SecretSource = Callable[[], "str | bytes | Sequence[str | bytes] | None"]


class CursorCodec:
    """Encodes and checks the cursors of one resource.

    Args:
        namespace: what the cursor is bound to (the resource name).
        secret: returns the application's secret key, or its keys oldest
            first and the signing one last (read on each use, so settings
            changed after registration apply); ``None``: the per-process key.
        max_length: the longest cursor accepted.
    """

    def __init__(
        self,
        namespace: str = "",
        secret: SecretSource | None = None,
        max_length: int = MAX_CURSOR_LENGTH,
    ) -> None:
        self.namespace = namespace
        self.secret = secret
        self.max_length = max_length

    def encode(self, ordering: Sequence[str], values: Sequence[Any]) -> str:
        """A cursor for the row with ``values`` under ``ordering`` (its terms)."""
        payload = orjson.dumps([list(ordering), list(values)], default=str)
        return f"{_b64(payload)}.{_b64(self._mac(payload, self._keys()[0]))}"

    def decode(self, raw: str) -> tuple[list[str], list[Any]]:
        """``(ordering terms, values)`` of a cursor this codec made, or 400."""
        if len(raw) > self.max_length:
            raise _malformed("The cursor is too long.")
        body, _, mac = raw.partition(".")
        try:
            payload, signature = _unb64(body), _unb64(mac)
        except (ValueError, binascii.Error) as exc:
            raise _malformed("The cursor is malformed.") from exc
        if not any(hmac.compare_digest(signature, self._mac(payload, k)) for k in self._keys()):
            raise _malformed("The cursor is not valid here (tampered or from elsewhere).")
        try:
            spec, values = orjson.loads(payload)
        except (ValueError, TypeError) as exc:
            raise _malformed("The cursor is malformed.") from exc
        if not isinstance(spec, list) or not isinstance(values, list):
            raise _malformed("The cursor is malformed.")
        if any(isinstance(v, str) and "\x00" in v for v in values):
            raise _malformed("The cursor is malformed.")
        return spec, values

    def _mac(self, payload: bytes, key: bytes) -> bytes:
        message = self.namespace.encode() + b"\x00" + payload
        return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_SIZE]

    def _keys(self) -> list[bytes]:
        """The keys cursors are checked with, the signing one first."""
        secret = self.secret() if self.secret is not None else None
        if not secret:
            return [_PROCESS_KEY]
        given = [secret] if isinstance(secret, (str, bytes)) else list(secret)
        return [_derived(key) for key in reversed(given)]


def _derived(secret: str | bytes) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    # Derived, so the cursor MAC never equals any other use of the secret.
    return hashlib.sha256(b"ajaxkit.cursor\x00" + raw).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _malformed(detail: str) -> ClientError:
    error: FieldError = {"parameter": "cursor", "detail": detail, "code": "malformed_cursor"}
    return ClientError(detail, errors=[error])
