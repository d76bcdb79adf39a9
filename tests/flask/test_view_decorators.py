"""Flask-Login's ``login_required`` under ``@api.endpoint`` is refused at registration.

It answered an anonymous ``fetch()`` with the login manager's redirect to
its ``login_view`` (or a 500 without a ``user_loader``), never the 401
problem ``login_required=True`` gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask_login  # type: ignore[import-untyped]  # ships no type information
import pytest

import ajaxkit.core.platform
import ajaxkit.flask
from ajaxkit import Ajax, AjaxRequest, RegistrationError

pytestmark = pytest.mark.flask

#: Flask-Login's login_required above @api.endpoint guarded nothing.
above = Ajax()


@flask_login.login_required  # type: ignore[untyped-decorator]  # untyped, see the import
@above.endpoint("secret")
def secret(request: AjaxRequest) -> dict[str, str]:
    return {"secret": "s3cr3t"}


DECORATORS: list[Callable[[Any], Any]] = [
    flask_login.login_required,
    flask_login.fresh_login_required,
]


@pytest.mark.parametrize("decorator", DECORATORS)
def test_flask_login_decorators_under_an_endpoint_are_refused(
    decorator: Callable[[Any], Any],
) -> None:
    api = Ajax()

    def notes(request: AjaxRequest) -> dict[str, int]:
        return {"count": 0}

    with pytest.raises(RegistrationError, match=r"notes \(notes\)'.*login_required=True"):
        api.endpoint(decorator(notes))
    assert "notes" not in {endpoint.route for endpoint in api.endpoints()}


def test_registered_before_ajaxkit_flask_was_imported_it_is_refused_at_mount(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declared = {k: v for k, v in ajaxkit.core.platform._DECLARED.items() if k != "flask"}
    monkeypatch.setattr(ajaxkit.core.platform, "_DECLARED", declared)
    api = Ajax()

    def notes(request: AjaxRequest) -> dict[str, int]:
        return {"count": 0}

    api.endpoint(flask_login.login_required(notes))
    monkeypatch.undo()
    with pytest.raises(RegistrationError, match=r"notes \(notes\)'.*login_required=True"):
        ajaxkit.flask.blueprint(api)


def test_flask_login_above_an_endpoint_is_refused_at_mount() -> None:
    with pytest.raises(RegistrationError, match=r"secret \(secret\)'.*above @api\.endpoint"):
        ajaxkit.flask.blueprint(above)
