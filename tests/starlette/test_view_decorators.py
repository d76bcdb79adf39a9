"""Starlette's ``requires()`` under ``@api.endpoint`` is refused at registration.

It checks the scopes of Starlette's request, so on ajaxkit's request every
call was a 500 (and with Starlette's request annotated, its own 403 or
redirect rather than the problem ``login_required``/``permission`` give).
"""

from __future__ import annotations

import pytest
from starlette.authentication import requires

import ajaxkit.core.platform
import ajaxkit.fastapi
import ajaxkit.starlette
from ajaxkit import Ajax, AjaxRequest, RegistrationError

pytestmark = pytest.mark.starlette

#: Starlette's requires() above @api.endpoint guarded nothing.
above = Ajax()


@requires("authenticated")
@above.endpoint("secret")
async def secret(request: AjaxRequest) -> dict[str, str]:
    return {"secret": "s3cr3t"}


def test_requires_under_an_endpoint_is_refused() -> None:
    api = Ajax()

    def notes(request: AjaxRequest) -> dict[str, int]:
        return {"count": 0}

    async def anotes(request: AjaxRequest) -> dict[str, int]:
        return {"count": 0}

    for handler in (notes, anotes):
        with pytest.raises(RegistrationError, match=r"\(notes\)'.*login_required=True"):
            api.endpoint("notes")(requires("authenticated")(handler))
    assert "notes" not in {endpoint.route for endpoint in api.endpoints()}


def test_registered_before_ajaxkit_starlette_was_imported_it_is_refused_at_mount(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unaware = {
        k: v
        for k, v in ajaxkit.core.platform._DECLARED.items()
        if k not in ("starlette", "fastapi")
    }
    monkeypatch.setattr(ajaxkit.core.platform, "_DECLARED", unaware)
    api = Ajax()

    @api.endpoint
    @requires("authenticated")
    async def notes(request: AjaxRequest) -> dict[str, int]:
        return {"count": 0}

    monkeypatch.undo()
    for mount in (ajaxkit.starlette.app, ajaxkit.fastapi.app):
        with pytest.raises(RegistrationError, match=r"notes \(notes\)'.*login_required=True"):
            mount(api)


def test_requires_above_an_endpoint_is_refused_at_mount() -> None:
    for mount in (ajaxkit.starlette.app, ajaxkit.fastapi.app):
        with pytest.raises(RegistrationError, match=r"secret \(secret\)'.*above @api\.endpoint"):
            mount(above)
