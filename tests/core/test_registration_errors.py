"""Route and batch mistakes are RegistrationErrors naming the endpoint.

They used to be bare ``ValueError``s (``"['GET'] 'notes' is already
registered."``) that named neither the handler being registered nor the one
already there.  RegistrationError still is a ValueError (and a TypeError), so
code written against the old exceptions keeps working.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.exceptions import ConfigurationError, RegistrationError


def list_notes(request: AjaxRequest) -> None: ...


def other_notes(request: AjaxRequest) -> None: ...


def test_registration_error_stays_a_value_and_type_error() -> None:
    # Callers that caught ValueError (routes) or TypeError (options) before.
    assert issubclass(RegistrationError, ConfigurationError)
    assert issubclass(RegistrationError, ValueError)
    assert issubclass(RegistrationError, TypeError)


def test_unknown_converter_names_the_endpoint_and_the_known_ones() -> None:
    api = Ajax()
    with pytest.raises(RegistrationError) as info:
        api.add("notes/{pk:float}", list_notes)
    message = str(info.value)
    assert "list_notes (notes/{pk:float})" in message
    assert "'float'" in message
    assert "int, path, str" in message


def test_unknown_converter_leaves_no_route_behind() -> None:
    api = Ajax()
    with pytest.raises(RegistrationError):
        api.add("notes/{pk:float}", list_notes)
    assert "notes/{pk:float}" not in [route.pattern for route in api.router]


def test_a_clash_names_both_endpoints() -> None:
    api = Ajax()
    api.add("notes", list_notes, methods=["GET"])
    with pytest.raises(RegistrationError) as info:
        api.add("/notes/", other_notes, methods=["get", "post"])
    message = str(info.value)
    assert "other_notes (notes)" in message
    assert "GET" in message and "POST" not in message
    assert "list_notes (notes)" in message


def test_a_clash_by_decorator_is_a_registration_error_too() -> None:
    api = Ajax()

    @api.endpoint("notes")
    def first(request: AjaxRequest) -> None: ...

    with pytest.raises(RegistrationError, match=r"second \(notes\).*first \(notes\)"):

        @api.endpoint("notes")
        def second(request: AjaxRequest) -> None: ...


def test_a_websocket_clash_is_a_registration_error() -> None:
    api = Ajax()

    @api.websocket("chat")
    async def room(ws: object) -> None: ...

    with pytest.raises(RegistrationError, match=r"again \(chat\).*WEBSOCKET.*room \(chat\)"):

        @api.websocket("chat")
        async def again(ws: object) -> None: ...


def test_a_failed_clash_keeps_the_first_endpoint() -> None:
    api = Ajax()
    first = api.add("notes", list_notes, methods=["GET"])
    with pytest.raises(RegistrationError):
        api.add("notes", other_notes, methods=["GET"])
    route, _ = api.router.match("notes")
    assert route.endpoints["GET"] is first


@pytest.mark.parametrize("max_items", [0, -3, "20", 2.5, True])
def test_batch_max_items_must_be_a_whole_number_above_zero(max_items: object) -> None:
    with pytest.raises(RegistrationError, match=r"batch \(_batch\).*max_items.*1 or more"):
        Ajax().batch(max_items=max_items)  # type: ignore[arg-type]


def test_a_second_batch_route_clash_names_the_batch_endpoint() -> None:
    api = Ajax()
    api.batch()
    with pytest.raises(RegistrationError, match=r"batch \(_batch\)"):
        api.batch()


class _Secret:
    """A type pydantic has no schema for."""


class Profile(BaseModel):
    name: str


def test_a_return_annotation_pydantic_cannot_validate_names_the_endpoint() -> None:
    # -> Profile should leave fields out of what is sent (rule S8); skipping
    # it silently would send them.
    def profiles(request: AjaxRequest) -> list[Profile] | _Secret:
        raise NotImplementedError

    api = Ajax()
    with pytest.raises(RegistrationError) as info:
        api.add("profiles", profiles)
    message = str(info.value)
    assert "profiles (profiles)" in message
    assert "return annotation" in message
    assert "-> Any" in message
    assert "profiles" not in [route.pattern for route in api.router]


@pytest.mark.parametrize("name", ["req", "rq", "http_request"])
def test_a_request_spelt_otherwise_and_unannotated_is_refused(name: str) -> None:
    # def hello(req): a Django habit. Bound from the query string by name,
    # every call answered 422 "req: Field required".
    namespace: dict[str, object] = {}
    exec(f"def hello({name}):\n    return {{}}", namespace)
    with pytest.raises(RegistrationError) as info:
        Ajax().add("hello", namespace["hello"])  # type: ignore[arg-type]
    message = str(info.value)
    assert "hello (hello)" in message
    assert f"first parameter {name!r}" in message
    assert "name it 'request'" in message


def test_a_parameter_named_req_with_a_type_or_later_is_a_parameter() -> None:
    api = Ajax()

    def typed(req: str) -> dict[str, str]:
        return {"req": req}

    def later(request: AjaxRequest, req: int = 1) -> int:
        return req

    def defaulted(req="x"):  # type: ignore[no-untyped-def]
        return req

    api.add("typed", typed)
    api.add("later", later)
    api.add("defaulted", defaulted)
    assert {e.route for e in api.endpoints()} >= {"typed", "later", "defaulted"}


def test_a_websocket_handlers_first_parameter_is_its_socket_whatever_its_name() -> None:
    api = Ajax()

    async def chat(req):  # type: ignore[no-untyped-def]
        await req.accept()

    api.websocket("chat")(chat)
    assert "chat" in {e.route for e in api.endpoints()}
