"""A framework's own object where ajaxkit wants its own says what to use instead.

``app.register_blueprint(blueprint(app), ...)`` is one letter away from
``blueprint(api)``; it failed with ``'Flask' object has no attribute
'apply_config'``, naming neither the call nor the fix.  A parameter
annotated with the framework's upload class is the same slip in a handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
import pytest
from django.core.files.uploadedfile import UploadedFile as DjangoUploadedFile
from fastapi import FastAPI
from fastapi import UploadFile as FastAPIUploadFile
from starlette.applications import Starlette
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.testclient import TestClient
from werkzeug.datastructures import FileStorage

import ajaxkit.django
import ajaxkit.fastapi
import ajaxkit.flask
import ajaxkit.starlette
from ajaxkit import Ajax, ConfigurationError, RegistrationError

pytestmark = [pytest.mark.django, pytest.mark.flask, pytest.mark.starlette, pytest.mark.fastapi]

MOUNTS: dict[str, Callable[[Any], object]] = {
    "ajaxkit.flask.blueprint": ajaxkit.flask.blueprint,
    "ajaxkit.flask.AjaxKit": lambda api: ajaxkit.flask.AjaxKit(api=api),
    "ajaxkit.django.urls": ajaxkit.django.urls,
    "ajaxkit.django.asgi": lambda api: ajaxkit.django.asgi(Starlette(), api),
    "ajaxkit.starlette.app": ajaxkit.starlette.app,
    "ajaxkit.starlette.mount": lambda api: ajaxkit.starlette.mount("/ajax", api),
    "ajaxkit.starlette.front": lambda api: ajaxkit.starlette.front(api, Starlette()),
    "ajaxkit.fastapi.app": ajaxkit.fastapi.app,
    "ajaxkit.fastapi.mount": lambda api: ajaxkit.fastapi.mount("/ajax", api),
    "ajaxkit.fastapi.front": lambda api: ajaxkit.fastapi.front(api, FastAPI()),
}


@pytest.mark.parametrize("call", sorted(MOUNTS))
@pytest.mark.parametrize("wrong", [flask.Flask(__name__), FastAPI(), Starlette(), None], ids=type)
def test_a_mount_given_the_app_names_the_registry(call: str, wrong: object) -> None:
    what = "None" if wrong is None else f"a {type(wrong).__name__} object"
    with pytest.raises(
        ConfigurationError, match=rf"^{call}\(\) takes .*api = Ajax\(\).*not {what}"
    ):
        MOUNTS[call](wrong)


@pytest.mark.parametrize("call", sorted(MOUNTS))
def test_a_mount_given_the_registry_mounts(call: str) -> None:
    assert MOUNTS[call](Ajax()) is not None


def _upload_handler(annotation: Any) -> Callable[..., Any]:
    def upload(request: Any, photo: Any) -> None: ...

    upload.__annotations__["photo"] = annotation
    return upload


@pytest.mark.parametrize(
    "annotation",
    [
        FastAPIUploadFile,
        StarletteUploadFile,
        list[FastAPIUploadFile],
        FastAPIUploadFile | None,
        FileStorage,
        DjangoUploadedFile,
    ],
    ids=str,
)
def test_a_framework_upload_class_says_to_use_uploaded_file(annotation: Any) -> None:
    # FastAPI's UploadFile registered and then answered every upload with a
    # 422 "photo: Field required"; the others named no alternative.
    with pytest.raises(RegistrationError, match=r"parameter 'photo'.*ajaxkit\.UploadedFile"):
        Ajax().add("photos", _upload_handler(annotation), methods=["POST"])


def _registry() -> Ajax:
    api = Ajax()

    @api.endpoint
    def hello() -> dict[str, str]:
        return {"message": "hi"}

    return api


@pytest.mark.parametrize("make", [FastAPI, Starlette], ids=["fastapi", "starlette"])
def test_the_registry_mounted_as_an_asgi_app_names_the_app_to_mount(make: Any) -> None:
    # app.mount("/ajax", api), the integration's app(api) left out: every
    # request failed with "'Ajax' object is not callable".
    app = make()
    app.mount("/ajax", _registry())
    with pytest.raises(TypeError, match=r"ajaxkit\.fastapi\.app\(api\).*ajaxkit\.starlette"):
        TestClient(app).get("/ajax/hello")


def test_the_registry_given_to_register_blueprint_names_the_blueprint() -> None:
    # Failed with "'Ajax' object has no attribute 'register'".
    with pytest.raises(AttributeError, match=r"ajaxkit\.flask\.blueprint\(api\)"):
        flask.Flask(__name__).register_blueprint(_registry(), url_prefix="/ajax")  # type: ignore[arg-type]


def test_the_registry_given_to_include_router_says_to_mount_it() -> None:
    # Failed with "'Ajax' object has no attribute '_contains_router'".
    mount = r'app\.mount\("/ajax", ajaxkit\.fastapi\.app\(api\)\)'
    with pytest.raises(AttributeError, match=mount):
        FastAPI().include_router(_registry())  # type: ignore[arg-type]


def test_api_urls_as_django_admin_is_written_names_the_include() -> None:
    # path("ajax/", api.urls), as path("admin/", admin.site.urls) is written.
    with pytest.raises(AttributeError, match=r"include\(ajaxkit\.django\.urls\(api\)\)"):
        _registry().urls  # type: ignore[attr-defined]
