"""Django's own view decorators under ``@api.endpoint`` are refused at registration.

They expect Django's request and answer in Django's words: ``login_required``
redirected an anonymous ``fetch()`` to the login page (or failed with a 500
on ajaxkit's request), ``require_POST`` answered Django's empty HTML 405, and
``csrf_exempt`` exempted nothing, since the middleware never sees the handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.decorators import login_required, permission_required
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

import ajaxkit.core.platform
import ajaxkit.django
from ajaxkit import Ajax, AjaxRequest, RegistrationError

pytestmark = pytest.mark.django

#: A registry whose one handler has Django's login_required above
#: @api.endpoint, at module level as views are written: the endpoint serves
#: the function beneath it, so the decorator guarded nothing.
above = Ajax()


@login_required  # type: ignore[type-var]  # typed for HttpRequest views
@above.endpoint("secret")
def secret(request: AjaxRequest) -> dict[str, str]:
    return {"secret": "s3cr3t"}


DECORATORS: list[tuple[Callable[[Any], Any], str]] = [
    (login_required, r"login_required=True"),
    (permission_required("auth.view_user"), r"permission=lambda request"),
    (require_POST, r"methods=\[\.\.\.\]"),
    (require_http_methods(["GET"]), r"methods=\[\.\.\.\]"),
    (csrf_exempt, r"csrf_exempt=True"),
]


@pytest.mark.parametrize(("decorator", "advice"), DECORATORS)
def test_a_django_view_decorator_under_an_endpoint_is_refused(
    decorator: Callable[[Any], Any], advice: str
) -> None:
    api = Ajax()

    def notes(request: AjaxRequest) -> dict[str, int]:
        return {"count": 0}

    async def anotes(request: AjaxRequest) -> dict[str, int]:
        return {"count": 0}

    for handler in (notes, anotes):
        with pytest.raises(RegistrationError, match=rf"\.{handler.__name__} \(notes\)'.*{advice}"):
            api.endpoint("notes", methods=["POST"])(decorator(handler))
    assert "notes" not in {endpoint.route for endpoint in api.endpoints()}


def test_a_decorator_of_ones_own_is_not_refused() -> None:
    api = Ajax()

    def logged(func: Callable[..., Any]) -> Callable[..., Any]:
        import functools

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        return wrapper

    @api.endpoint
    @logged
    def hello(request: AjaxRequest) -> dict[str, str]:
        return {"message": "hi"}

    assert "hello" in {endpoint.route for endpoint in api.endpoints()}


def test_registered_before_ajaxkit_django_was_imported_it_is_refused_at_mount(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declared = {k: v for k, v in ajaxkit.core.platform._DECLARED.items() if k != "django"}
    monkeypatch.setattr(ajaxkit.core.platform, "_DECLARED", declared)
    api = Ajax()

    def notes(request: AjaxRequest) -> dict[str, int]:
        return {"count": 0}

    redirecting: Callable[[Any], Any] = login_required  # typed for HttpRequest views
    api.endpoint(redirecting(notes))
    monkeypatch.undo()
    with pytest.raises(RegistrationError, match=r"notes \(notes\)'.*login_required=True"):
        ajaxkit.django.urls(api)


def test_a_django_view_decorator_above_an_endpoint_is_refused_at_mount() -> None:
    with pytest.raises(RegistrationError, match=r"secret \(secret\)'.*above @api\.endpoint"):
        ajaxkit.django.urls(above)
