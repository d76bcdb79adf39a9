"""Registration mistakes are RegistrationErrors naming the endpoint and the fix.

Each of these used to register quietly and surface later as a baffling
answer (a 405 listing ``P, O, S, T``; a 422 for a parameter called ``req``).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.exceptions import RegistrationError
from ajaxkit.testing import Client


class Opaque:
    """A type pydantic cannot build a schema for."""


def _opaque_handler(request: AjaxRequest, thing: Opaque) -> None: ...


def test_methods_given_as_a_string_is_refused() -> None:
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"create \(notes\)'.*methods=\['POST'\]"):

        @api.endpoint("notes", methods="POST")
        def create(request: AjaxRequest) -> None: ...


@pytest.mark.parametrize("methods", [["FETCH"], ["GET", "fetch"], [], [1]])
def test_unknown_or_no_methods_are_refused(methods: list[Any]) -> None:
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"<lambda> \(notes\)'.*use some of DELETE, GET"):
        api.add("notes", lambda request: None, methods=methods)


def test_methods_are_case_insensitive() -> None:
    api = Ajax()
    endpoint = api.add("notes", lambda request: None, methods=["post", "Get"])
    assert endpoint.methods == {"GET", "POST"}


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_login_required_must_be_a_bool(value: Any) -> None:
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"secret \(secret\)'.*login_required must be True"):

        @api.endpoint(login_required=value)
        def secret(request: AjaxRequest) -> None: ...


def test_route_capture_without_a_parameter_is_refused() -> None:
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"user \(users/\{pk\}\)'.*captures pk.*pk: str"):

        @api.endpoint("users/{pk}")
        def user(request: AjaxRequest, id: int) -> None: ...


def test_a_handler_taking_only_the_request_may_read_path_params_itself() -> None:
    api = Ajax()
    api.add("files/{name}", lambda request: request.path_params["name"])
    assert Client(api).get("/ajax/files/a").json() == "a"


@pytest.mark.parametrize(
    ("route", "instead"),
    [
        ("users/<int:pk>", "users/{pk:int}"),  # Flask's and Django's path()
        ("users/<pk>/", "users/{pk}"),  # Django's path()
        ("files/<path:rest>", "files/{rest:path}"),
        ("users/<slug:name>/posts/<uuid:post>", "users/{name}/posts/{post}"),
        (r"users/(?P<pk>[0-9]+)/", "users/{pk}"),  # Django's re_path()
    ],
)
def test_a_flask_or_django_route_segment_says_how_ajaxkit_writes_it(
    route: str, instead: str
) -> None:
    # Registered as it was, it matched only the literal text: every call a 404.
    api = Ajax()
    own = list(api.router)
    with pytest.raises(RegistrationError, match=re.escape(f"write {instead!r}")):
        api.add(route, lambda request, pk=1, rest="", name="", post="": None)
    assert list(api.router) == own


@pytest.mark.parametrize(
    ("route", "problem"),
    [
        ("users/{pk", r"'\{' that opens no \{name\}"),  # an unclosed segment
        ("users/pk}", r"'\}' that closes no \{name\}"),
        ("users/{user-id}", r"'\{' that opens no \{name\}"),  # names are identifiers
        ("users/{ pk }", r"'\{' that opens no \{name\}"),
        ("users/{}", r"'\{' that opens no \{name\}"),
        ("pairs/{pk}/{pk}", r"captures 'pk' twice"),
        ("search?q={q}", r"'\?'.*bind from the query string by name"),
        ("notes#top", r"'#'"),
    ],
)
def test_a_route_that_cannot_be_read_as_written_is_refused(route: str, problem: str) -> None:
    # Each used to register: a stray brace was matched as literal text (every
    # call a 404), a name captured twice was a bare re.error, and a query in
    # the route matched only a path holding an escaped '?'.
    api = Ajax()
    own = list(api.router)
    with pytest.raises(RegistrationError, match=rf"handler \({re.escape(route)}\)'.*{problem}"):

        @api.endpoint(route)
        def handler(request: AjaxRequest, pk: str = "", q: str = "") -> None: ...

    assert list(api.router) == own


@pytest.mark.parametrize("decorate", [lambda api: api.endpoint, lambda api: api.endpoint()])
def test_a_lambda_without_a_route_is_asked_for_one(decorate: Any) -> None:
    # The default route is the function's name, and a lambda's is "<lambda>".
    api = Ajax()
    own = list(api.router)
    asked = r"a lambda has no name.*api\.endpoint\('hello'\)\(handler\)"
    with pytest.raises(RegistrationError, match=asked):
        decorate(api)(lambda request: None)
    assert list(api.router) == own


def test_a_route_that_is_not_a_string_is_refused() -> None:
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"hello'.*route must be a string.*not 123"):

        @api.endpoint(123)  # type: ignore[call-overload, untyped-decorator]
        def hello(request: AjaxRequest) -> None: ...


def test_unsupported_parameter_type_names_endpoint_and_parameter() -> None:
    api = Ajax()
    message = r"find \(find\)': parameter 'thing' has type .*Opaque.*pydantic"
    with pytest.raises(RegistrationError, match=message) as raised:

        @api.endpoint
        def find(request: AjaxRequest, q: str, thing: Opaque) -> None: ...

    assert raised.value.__cause__ is not None  # pydantic's own error stays attached


def test_failed_registration_leaves_no_route() -> None:
    api = Ajax()
    # Every registry serves its own documents (_openapi.json, _types.d.ts).
    own = [r.pattern for r in api.router]
    with pytest.raises(RegistrationError):
        api.add("users/{pk}", lambda request, id: None)
    with pytest.raises(RegistrationError):
        api.add("things", lambda request, thing: None, csrf_exmpt=True)
    with pytest.raises(RegistrationError):
        api.add("opaque", _opaque_handler)
    api.add("fine", lambda request: None)
    assert [r.pattern for r in api.router] == [*own, "fine"]


# --- the request argument -----------------------------------------------------


def test_request_is_recognised_by_annotation() -> None:
    api = Ajax()

    @api.endpoint
    def echo(req: AjaxRequest, q: str) -> dict[str, str]:
        return {"route": req.route, "q": q}

    assert Client(api).get("/ajax/echo", params={"q": "x"}).json() == {"route": "/echo", "q": "x"}


def test_request_is_recognised_by_name() -> None:
    api = Ajax()

    @api.endpoint
    def echo(request, q: str):  # type: ignore[no-untyped-def]
        return {"route": request.route, "q": q}

    assert Client(api).get("/ajax/echo", params={"q": "x"}).json() == {"route": "/echo", "q": "x"}


def test_an_unannotated_first_parameter_not_named_request_binds() -> None:
    # Only the name ``request`` or a request annotation makes it the request.
    api = Ajax()

    @api.endpoint
    def double(n: int) -> int:
        return n * 2

    assert Client(api).get("/ajax/double", params={"n": "4"}).json() == 8


def test_a_request_parameter_that_is_not_first_is_refused() -> None:
    # It bound as an input named "request": every call a 422 for a missing "request".
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"find \(find\)'.*'request'.*first parameter"):

        @api.endpoint
        def find(q: str, request) -> str:  # type: ignore[no-untyped-def]
            return q


def test_positional_only_parameters_are_refused() -> None:
    # Binding passes parameters by name: each call was a 500 TypeError.
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"find \(find\)'.*'q'.*positional-only"):

        @api.endpoint
        def find(request: AjaxRequest, q: str, /) -> str:
            return q


def _keywords(request: AjaxRequest, **filters: str) -> None: ...


def _positionals(request: AjaxRequest, q: str = "", *rest: str) -> None: ...


@pytest.mark.parametrize(("handler", "name"), [(_keywords, "**filters"), (_positionals, "*rest")])
def test_a_catch_all_parameter_is_refused(handler: Any, name: str) -> None:
    # Binding fills named parameters only: **filters registered and was
    # always {}, whatever the query string held.
    api = Ajax()
    own = list(api.router)
    asked = rf"\(search\)'.*{re.escape(name)} would never receive anything.*request\.query"
    with pytest.raises(RegistrationError, match=asked):
        api.add("search", handler)
    assert list(api.router) == own


def _timed(handler: Any) -> Any:
    """A decorator of the app's own, written without functools.wraps."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return handler(*args, **kwargs)

    return wrapper


def test_a_wrapper_without_functools_wraps_is_told_to_use_it() -> None:
    # Told to name each input as a parameter, which the handler beneath
    # already did: with functools.wraps its parameters are the ones read.
    def add(request: AjaxRequest, a: int) -> dict[str, int]:
        return {"a": a}

    asked = r"\(add\)'.*\*args would never receive.*@functools\.wraps\(handler\)"
    with pytest.raises(RegistrationError, match=asked):
        Ajax().endpoint("add")(_timed(add))
    api = Ajax()
    api.endpoint("add")(functools.wraps(add)(_timed(add)))
    assert Client(api).get("/ajax/add?a=2").json() == {"a": 2}


def test_a_permission_that_is_not_callable_is_refused() -> None:
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"orders\)'.*permission must be a callable"):
        api.endpoint("orders", permission="is_staff")(lambda: {})  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("options", "called_as"),
    [
        ({"permission": lambda: True}, r"permission is called as permission\(request\)"),
        (
            {"rate": "5/minute", "rate_key": lambda request, kind: "k"},
            r"rate_key is called as rate_key\(request\)",
        ),
    ],
)
def test_a_callback_that_cannot_take_its_arguments_is_refused(
    options: dict[str, Any], called_as: str
) -> None:
    # It registered, and every call to the endpoint was a 500 (a TypeError).
    api = Ajax()
    with pytest.raises(RegistrationError, match=rf"secret \(secret\)'.*{called_as}.*<lambda>"):

        @api.endpoint(**options)
        def secret(request: AjaxRequest) -> None: ...


def test_messages_say_what_to_write_instead() -> None:
    api = Ajax()
    with pytest.raises(RegistrationError) as raised:
        api.add("x", lambda request, thing: None, methods="GET")
    assert re.search(r"methods=\['GET'\]", str(raised.value))


def test_unknown_fields_must_be_ignore_or_reject() -> None:
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"unknown_fields must be 'ignore' or 'reject'"):
        api.add("x", lambda request, q: None, unknown_fields="forbid")


def test_unknown_fields_reject_applies_to_a_handler_with_no_parameters() -> None:
    api = Ajax()
    api.add("ping", lambda request: "pong", unknown_fields="reject")
    assert Client(api).get("/ajax/ping").json() == "pong"
    response = Client(api).get("/ajax/ping", params={"x": "1"})
    assert response.status == 422
    assert response.json()["errors"][0] == {
        "parameter": "x",
        "detail": "'x' is not a parameter of this endpoint.",
        "code": "unknown_field",
    }


def _strangers_api() -> Ajax:
    api = Ajax()
    api.add("strict", lambda request, title: title, methods=["POST"], unknown_fields="reject")
    api.add("lenient", lambda request, title: title, methods=["POST"])
    return api


STRANGERS = Client(_strangers_api())


@settings(max_examples=50, deadline=None)
@given(
    names=st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda n: n not in {"title", "count"}),
        st.text(max_size=8),
        min_size=1,
        max_size=4,
    )
)
def test_unknown_names_from_strangers_are_a_422_naming_each(names: dict[str, str]) -> None:
    body = {"title": "t", **names}
    refused = STRANGERS.post("/ajax/strict", json=body)
    assert refused.status == 422
    assert {e["pointer"] for e in refused.json()["errors"]} == {
        "#/" + n.replace("~", "~0").replace("/", "~1") for n in names
    }
    assert STRANGERS.post("/ajax/lenient", json=body).json() == "t"


def test_an_annotation_that_cannot_be_resolved_is_explained() -> None:
    api = Ajax()

    def find(request: AjaxRequest, thing: NotImportedHere) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(RegistrationError, match=r"find \(find\)'.*NotImportedHere.*module level"):
        api.add("find", find)


@pytest.mark.parametrize(
    ("option", "value", "advice"),
    [
        ("status_code", 201, r"return body, 201"),
        ("response_model", dict, r"return annotation"),
        ("method", "POST", r"methods=\['POST'\]"),
        ("csrf", False, r"csrf_exempt=True"),
        ("summary", "Notes", r"docstring"),
        ("permission_classes", [], r"permission="),
        ("dependencies", [], r"permission="),
    ],
)
def test_another_frameworks_option_says_what_to_write_instead(
    option: str, value: Any, advice: str
) -> None:
    # FastAPI's and Flask's route options, as their users write them.
    api = Ajax()
    with pytest.raises(RegistrationError, match=rf"notes \(notes\)'.*{option}=.*{advice}"):

        @api.endpoint("notes", **{option: value})
        def notes(request: AjaxRequest) -> None: ...

    assert "notes" not in [route.pattern for route in api.router]


@pytest.mark.parametrize("name", ["get", "post", "put", "patch", "delete", "route", "api_route"])
def test_a_route_decorator_of_another_framework_names_the_ajaxkit_one(name: str) -> None:
    # @app.get("/items") in FastAPI, @app.route("/items") in Flask.
    with pytest.raises(AttributeError, match=r"@api\.endpoint\(\"items\", methods=\["):
        getattr(Ajax(), name)
    assert not hasattr(Ajax(), "routes")  # other names stay plain AttributeErrors


def test_a_callable_object_as_handler_is_refused_naming_the_endpoint() -> None:
    class Search:
        def __call__(self, q: str = "") -> dict[str, str]:
            return {"q": q}

    # It failed inside typing.get_type_hints, naming neither the endpoint nor the fix.
    with pytest.raises(RegistrationError, match=r"'search'.*Search.*__call__"):
        Ajax().endpoint("search")(Search())


class UndeclaredRequest:
    """A framework's request class whose ajaxkit integration is not imported yet."""


def test_a_request_annotated_with_a_class_no_integration_declares_is_refused() -> None:
    # FastAPI's `request: Request` in a module registered before ajaxkit.fastapi
    # was imported: the handler got ajaxkit's AjaxRequest, and its
    # `await request.json()` was a 500 on every call.
    async def body(request: UndeclaredRequest) -> dict[str, str]:
        return {}

    refusal = r"body \(body\)'.*'request' is annotated .*UndeclaredRequest.*import the"
    with pytest.raises(RegistrationError, match=refusal):
        Ajax().endpoint("body")(body)


def test_a_request_annotation_the_request_satisfies_is_taken() -> None:
    def plain(request: AjaxRequest) -> None: ...

    def anything(request: Any) -> None: ...

    def base(request: object) -> None: ...

    def bare(request) -> None:  # type: ignore[no-untyped-def]
        ...

    api = Ajax()
    for handler in (plain, anything, base, bare):
        api.endpoint(handler.__name__)(handler)
    assert Client(api).get("/ajax/base").status == 204


def test_a_partial_as_handler_is_refused_naming_the_endpoint() -> None:
    def search(request: AjaxRequest, kind: str, q: str = "") -> dict[str, str]:
        return {"kind": kind, "q": q}

    # It failed inside typing.get_type_hints with a TypeError naming neither
    # the endpoint nor the fix; read as its signature, ?kind= would have
    # replaced the value the partial fixes.
    with pytest.raises(RegistrationError, match=r"'people'.*functools.partial.*def "):
        Ajax().endpoint("people")(functools.partial(search, kind="person"))


class NoteView:
    """A class-based view, as Flask's MethodView or Django's View is written."""

    def get(self, request: AjaxRequest) -> dict[str, str]:
        return {}


class NoteBuilder:
    def __init__(self, request: AjaxRequest, title: str = "") -> None:
        self.title = title


@pytest.mark.parametrize("cls", [NoteView, NoteBuilder])
def test_a_class_as_handler_is_refused_naming_the_endpoint(cls: type) -> None:
    # It registered, and every call was a 500: the instance the class made
    # (or the TypeError making it) was the answer.
    api = Ajax()
    refusal = rf"'notes'.*not the class {cls.__name__}.*methods="
    with pytest.raises(RegistrationError, match=refusal):
        api.endpoint("notes")(cls)
    assert "notes" not in [route.pattern for route in api.router]


@pytest.mark.parametrize("methods", [["GET"], ["PUT", "DELETE"]])
def test_a_required_idempotency_key_on_an_endpoint_that_never_asks_is_refused(
    methods: list[str],
) -> None:
    # Keys are asked of POST and PATCH only: on these it did nothing, and
    # the author believed retries were guarded.
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"orders.*idempotency='required'.*POST"):
        api.endpoint("orders", methods=methods, idempotency="required")(lambda: {})
    api.endpoint("orders", methods=[*methods, "POST"], idempotency="required")(lambda: {})
