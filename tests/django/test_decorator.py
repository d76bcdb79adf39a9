"""``@ajax`` on plain Django views, wired into a urlconf, through Django's test clients."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.test.utils import override_settings
from django.urls import path
from django.utils.decorators import method_decorator
from django.views import View

from ajaxkit.django import ajax
from ajaxkit.exceptions import RegistrationError
from tests.conformance.clients._django import csrf_token_view

pytestmark = pytest.mark.django


@ajax
def hello(request: HttpRequest) -> dict[str, Any]:
    return {"native": isinstance(request, HttpRequest), "path": request.path}


@ajax(methods=["GET"])
def note(request: HttpRequest, pk: int, q: str = "") -> dict[str, Any]:
    return {"pk": pk, "q": q}


@ajax(login_required=True)
def me(request: HttpRequest) -> dict[str, str]:
    return {"username": request.user.get_username()}


@ajax(methods=["POST"])
async def shout(request: HttpRequest, text: str) -> Any:
    await asyncio.sleep(0)
    return {"text": text.upper()}, 201


@ajax
def legacy(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain", content_type="text/plain", status=202)


@ajax(methods=["POST"])
def form(request: HttpRequest) -> dict[str, Any]:
    # Django's own parsing still works after ajaxkit has read the body.
    return {"a": request.POST.get("a"), "files": sorted(request.FILES)}


@ajax(methods=["POST"], csrf_exempt=True)
def webhook(request: HttpRequest) -> None:
    return None


@ajax
def missing(request: HttpRequest) -> None:
    raise Http404("No such thing.")


class NoteView(View):
    """A class-based view: Django's method_decorator applies @ajax to its method."""

    @method_decorator(ajax(methods=["GET"]))
    def get(self, request: HttpRequest, pk: int, q: str = "") -> dict[str, Any]:
        return {"pk": pk, "q": q, "view": type(self).__name__}


class EchoView(View):
    """Reads its own instance: each request must run on the instance Django made for it."""

    @method_decorator(ajax(methods=["GET"]))
    def get(self, request: HttpRequest, pk: int) -> dict[str, Any]:
        return {"pk": self.kwargs["pk"], "path": self.request.path}


class LimitedView(View):
    """A rate-limited class-based view: its counters must outlive one request."""

    @method_decorator(ajax(methods=["GET"], rate="1/minute"))
    def get(self, request: HttpRequest) -> dict[str, bool]:
        return {"ok": True}


@method_decorator(ajax(methods=["GET", "POST"]), name="dispatch")
class WholeView(View):
    """@ajax on dispatch: a method the view does not define is ajaxkit's 405 too."""

    def get(self, request: HttpRequest, pk: int) -> dict[str, Any]:
        return {"pk": pk}

    def post(self, request: HttpRequest, pk: int) -> dict[str, Any]:
        return {"posted": pk}


@method_decorator(ajax(rate="2/minute"), name="dispatch")
class DefaultedView(View):
    """@ajax naming no methods: the configured DEFAULT_METHODS decide."""

    def get(self, request: HttpRequest) -> dict[str, str]:
        return {"path": self.request.path}

    def post(self, request: HttpRequest) -> dict[str, bool]:
        return {"posted": True}


@ajax(idempotency="required")
def pay(request: HttpRequest) -> dict[str, bool]:
    return {"paid": True}


class AsyncEchoView(View):
    """The async twin of ``EchoView``."""

    @method_decorator(ajax(methods=["GET"]))
    async def get(self, request: HttpRequest, pk: int) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"pk": self.kwargs["pk"], "path": self.request.path}


# The ignores: @ajax is typed as returning the function it decorates, so a
# direct call keeps its types; what it returns is a Django view.
urlpatterns = [
    path("hello/", hello),  # type: ignore[arg-type]
    path("notes/<int:pk>/", note),  # type: ignore[arg-type]
    path("me/", me),  # type: ignore[arg-type]
    path("shout/", shout),
    path("legacy/", legacy),
    path("form/", form),  # type: ignore[arg-type]
    path("webhook/", webhook),  # type: ignore[arg-type]
    path("missing/", missing),  # type: ignore[arg-type]
    path("csrf-token/", csrf_token_view),
    path("class-notes/<int:pk>/", NoteView.as_view()),
    path("echo/<int:pk>/", EchoView.as_view()),
    path("async-echo/<int:pk>/", AsyncEchoView.as_view()),
    path("limited/", LimitedView.as_view()),
    path("whole/<int:pk>/", WholeView.as_view()),
    path("defaulted/", DefaultedView.as_view()),
    path("pay/", pay),  # type: ignore[arg-type]
]


@pytest.fixture(autouse=True)
def _urlconf() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


def test_plain_view_gets_django_request_and_json_response() -> None:
    response = Client().get("/hello/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"native": True, "path": "/hello/"}


def test_url_kwargs_and_typed_query_parameters() -> None:
    assert Client().get("/notes/7/", {"q": "x"}).json() == {"pk": 7, "q": "x"}


def test_method_decorator_serves_a_class_based_view() -> None:
    # It bound the method's ``self`` as an input: every call a 422 asking for "self".
    response = Client().get("/class-notes/7/", {"q": "x"})
    assert response.json() == {"pk": 7, "q": "x", "view": "NoteView"}


def test_each_request_to_a_class_based_view_runs_on_its_own_instance() -> None:
    # method_decorator decorates per call; what @ajax reuses must not keep a ``self``.
    client = Client()
    answers = [client.get(f"/echo/{pk}/").json() for pk in (1, 2)]
    assert answers == [{"pk": 1, "path": "/echo/1/"}, {"pk": 2, "path": "/echo/2/"}]


def test_each_request_to_an_async_class_based_view_runs_on_its_own_instance() -> None:
    async def both() -> list[Any]:
        client = AsyncClient()
        return [(await client.get(f"/async-echo/{pk}/")).json() for pk in (1, 2)]

    answers = async_to_sync(both)()
    assert answers == [{"pk": 1, "path": "/async-echo/1/"}, {"pk": 2, "path": "/async-echo/2/"}]


def test_a_class_based_view_keeps_its_rate_limit_counters_across_requests() -> None:
    # Decorated anew per request, the view got fresh settings, hence a fresh
    # counter store, every time: its limit never refused anything.
    client = Client()
    assert [client.get("/limited/").status_code for _ in range(2)] == [200, 429]


def test_a_class_based_view_naming_no_methods_answers_the_configured_ones() -> None:
    # Its methods were ajaxkit's defaults whatever DEFAULT_METHODS said; now
    # they are those of the configuration, on every request's own instance,
    # with its counters kept across requests.
    client = Client()
    with override_settings(AJAXKIT_DEFAULT_METHODS=["GET"]):
        refused = client.post("/defaulted/")
        assert (refused.status_code, refused["Allow"]) == (405, "GET, HEAD, OPTIONS")
        assert client.get("/defaulted/").json() == {"path": "/defaulted/"}
        assert client.get("/defaulted/").status_code == 200
        assert client.get("/defaulted/").status_code == 429
    assert client.post("/defaulted/").status_code != 405  # POST is a default again


def test_a_view_the_configured_methods_do_not_suit_is_an_error_naming_it() -> None:
    with (
        override_settings(AJAXKIT_DEFAULT_METHODS=["GET"]),
        pytest.raises(RegistrationError, match=r"'pay.*DEFAULT_METHODS.*methods="),
    ):
        Client().get("/pay/")


def test_ajax_on_a_method_says_to_use_method_decorator() -> None:
    # Applied straight to the method, @ajax took ``self`` for the request.
    with pytest.raises(RegistrationError, match=r"'self'.*method_decorator\(ajax\(\.\.\.\)\)"):

        class Broken(View):
            @ajax
            def get(self, request: HttpRequest) -> dict[str, Any]:
                return {}


def test_wrong_method_is_405_problem() -> None:
    response = Client().post("/notes/7/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.json()["code"] == "method_not_allowed"


def test_login_required_is_401_not_redirect() -> None:
    client = Client()
    response = client.get("/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert not response.has_header("Location")
    # LOGIN_URL, as a mounted registry's 401 carries it (rule A6).
    assert response.json()["login_url"] == settings.LOGIN_URL == "/accounts/login/"
    user, _ = get_user_model().objects.get_or_create(username="carol")
    client.force_login(user)
    assert client.get("/me/").json() == {"username": "carol"}


def test_async_view_under_sync_client() -> None:
    response = Client().post("/shout/", {"text": "hi"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json() == {"text": "HI"}


def test_async_view_under_async_client() -> None:
    client = AsyncClient()
    response = async_to_sync(client.post)(
        "/shout/", {"text": "yo"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json() == {"text": "YO"}


def test_django_response_passes_through() -> None:
    response = Client().get("/legacy/")
    assert response.status_code == 202
    assert response.content == b"plain"


def test_django_exception_becomes_problem() -> None:
    response = Client().get("/missing/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such thing."


def test_csrf_failure_is_problem_and_exempt_option_is_honoured() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/form/", {"a": "1"})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert client.post("/webhook/", {}, content_type="application/json").status_code == 204


def test_csrf_token_in_multipart_field_passes_and_body_stays_readable() -> None:
    client = Client(enforce_csrf_checks=True)
    token = client.get("/csrf-token/").json()["token"]
    upload = {"a": "1", "csrfmiddlewaretoken": token, "doc": _file()}
    response = client.post("/form/", upload)
    assert response.status_code == 200, response.content
    assert response.json() == {"a": "1", "files": ["doc"]}


def _file() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("d.txt", b"data", content_type="text/plain")


def test_ajax_on_dispatch_answers_every_method_of_a_class_based_view() -> None:
    # On one method only, a PUT reached Django's own empty text/html 405.
    client = Client()
    assert client.get("/whole/3/").json() == {"pk": 3}
    assert client.post("/whole/3/").json() == {"posted": 3}
    response = client.put("/whole/3/")
    assert (response.status_code, response["Content-Type"]) == (405, "application/problem+json")
    assert response["Allow"] == "GET, HEAD, OPTIONS, POST"
