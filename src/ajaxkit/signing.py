"""CSRF token signing with :mod:`itsdangerous`, for the Flask and Starlette mounts.

Flask depends on itsdangerous and Starlette's sessions use it, so the apps
that mount ajaxkit there have it already; the framework-free core signs with
the standard library instead (:class:`ajaxkit.core.csrf.HmacSigner`).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

__all__ = ["ItsdangerousSigner"]


class ItsdangerousSigner:
    """A :class:`~ajaxkit.core.csrf.Signer` over ``itsdangerous.Signer``.

    Args:
        secret_key: the app's secret (Flask's ``app.secret_key``), or its
            keys oldest first and the current one last (Flask's
            ``SECRET_KEY_FALLBACKS``, then ``SECRET_KEY``): signatures are
            made with the last and accepted from any.
        salt: keeps these signatures apart from the app's other uses of the key.
    """

    def __init__(
        self, secret_key: str | bytes | Sequence[str | bytes], salt: str = "ajaxkit.csrf"
    ) -> None:
        itsdangerous = importlib.import_module("itsdangerous")
        self._signer: Any = itsdangerous.Signer(secret_key, salt=salt)
        self._bad: type[Exception] = itsdangerous.BadSignature

    def sign(self, value: str) -> str:
        return str(self._signer.sign(value).decode())

    def unsign(self, signed: str) -> str | None:
        try:
            return str(self._signer.unsign(signed).decode())
        except self._bad:
            return None
