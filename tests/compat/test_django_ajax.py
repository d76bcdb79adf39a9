"""django-ajax behaviour through Django's test client (profile 2 of issue 4),
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings

from ajaxkit.compat import django_ajax as ajax
from ajaxkit.compat.django_ajax.decorators import allowed_methods
from ajaxkit.compat.django_ajax.endpoints import ModelEndpoint
from ajaxkit.compat.django_ajax.exceptions import AJAXError
from ajaxkit.compat.django_ajax.views import api
from tests.compat.conftest import POSTGRES_ROUTER
from tests.django_project.legacy.endpoints import GadgetEndpoint, PartEndpoint, WidgetEndpoint
from tests.django_project.legacy.models import Gadget, Kind, LegacyTag, Part, Widget

pytestmark = pytest.mark.django


URLS = "tests.compat.django_ajax_urls"
NO_ENDPOINT = "AJAX endpoint does not exist."
FORBIDDEN = "Access to endpoint is forbidden"


@pytest.fixture
def db(database: str) -> Iterator[str]:
    routers = [] if database == "default" else [POSTGRES_ROUTER]
    with override_settings(ROOT_URLCONF=URLS, DATABASE_ROUTERS=routers):
        assert Widget.objects.db == database  # the whole request runs on this database
        yield database
        for model in (Widget, Kind, Part, Gadget, LegacyTag, get_user_model()):
            model.objects.all().delete()


@pytest.fixture
def client(db: str) -> Client:
    return Client()


@pytest.fixture
def user(db: str) -> Any:
    return User.objects.create_user("legacy-alice", password="x")


@pytest.fixture
def alice(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def post(client: Client, path: str, data: Any = None, **kwargs: Any) -> tuple[int, Any]:
    response = client.post(f"/ajax/{path}", data or {}, **kwargs)
    return response.status_code, response.json()


def failure(code: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"success": False, "data": {"code": code, "message": message}, **extra}


def success(data: Any, **extra: Any) -> dict[str, Any]:
    return {**extra, "success": True, "data": data}


# -- ad-hoc endpoints -----------------------------------------------------------


def test_ad_hoc_echo_answers_the_form_in_the_envelope(alice: Client) -> None:
    status, body = post(alice, "legacy/echo.json", {"name": "Joe Stump", "age": 31})
    assert (status, body) == (200, success({"name": "Joe Stump", "age": "31"}))


def test_json_bodies_are_accepted_like_forms(alice: Client) -> None:
    status, body = post(
        alice,
        "legacy/echo.json",
        json.dumps({"name": "Joe", "ok": True}),
        content_type="application/json",
    )
    assert (status, body) == (200, success({"name": "Joe", "ok": "true"}))


def test_login_required_is_403_with_the_original_message(client: Client) -> None:
    assert post(client, "legacy/echo.json") == (403, failure(403, "User must be authenticated."))


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_only_post_is_accepted(alice: Client, method: str) -> None:
    response = getattr(alice, method)("/ajax/legacy/echo.json")
    assert response.status_code == 400
    assert response.json() == failure(400, "Invalid HTTP method used.")


@pytest.mark.parametrize(
    "path",
    [
        "nosuchapp/echo.json",  # not an installed app
        "legacy/nosuchname.json",  # original: 500 "Invalid model."
        "legacy/join.json",  # imported into endpoints.py
        "legacy/Helper.json",  # a class
        "legacy/_private.json",  # private
        "catalog/echo.json",  # another app's endpoints never leak
        "legacy/a/b/c/d/e.json",
        "elsewhere",
    ],
)
def test_only_functions_defined_in_an_apps_endpoints_are_routable(alice: Client, path: str) -> None:
    assert post(alice, path) == (404, failure(404, NO_ENDPOINT))


def test_callable_endpoint_objects_and_record_encoders(alice: Client) -> None:
    kind = Kind.objects.create(title="tools", note="not shown")
    assert post(alice, "legacy/counter.json") == (200, success([{"title": "tools", "pk": kind.pk}]))


def test_a_tuple_is_data_not_a_status(alice: Client) -> None:
    assert post(alice, "legacy/created.json") == (200, success([{"id": 7}, 201]))


def test_none_is_null_data(alice: Client) -> None:
    assert post(alice, "legacy/nothing.json") == (200, success(None))


def test_enveloped_response_merges_metadata(alice: Client) -> None:
    assert post(alice, "legacy/enveloped.json") == (200, success([1, 2], total=2))


@pytest.mark.parametrize("code", [400, 401, 403, 405, 409, 418, 422, 429, 500, 503])
def test_every_ajax_error_status_works(alice: Client, code: int) -> None:
    status, body = post(alice, "legacy/fail.json", {"code": code})
    assert (status, body) == (code, failure(code, "Custom failure.", hint="look here"))


def test_lazily_translated_messages_encode(alice: Client) -> None:
    status, body = post(alice, "legacy/lazy_fail.json")
    assert (status, body) == (409, failure(409, "Translated later.", reason="Lazy too."))


def test_permission_denied_is_403(alice: Client) -> None:
    assert post(alice, "legacy/denied.json") == (403, failure(403, "Not yours."))


def test_http404_keeps_its_message(alice: Client) -> None:
    assert post(alice, "legacy/missing.json") == (404, failure(404, "No such gizmo."))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        # The original answered AJAXError(404, str(exc)) for any Http404.
        ("legacy/bare_missing.json", ""),
        ("legacy/shortcut_missing.json", "No Widget matches the given query."),
    ],
)
def test_http404_message_is_shown_as_it_is(alice: Client, path: str, message: str) -> None:
    assert post(alice, path) == (404, failure(404, message))


def test_a_returned_ajax_error_is_answered_as_if_raised(alice: Client) -> None:
    # The original's json_response raised an AJAXError the endpoint returned.
    status, body = post(alice, "legacy/returned_error.json")
    assert (status, body) == (409, failure(409, "Returned, not raised.", slot=3))


def test_unhandled_exception_is_500_without_details(alice: Client, caplog: Any) -> None:
    with caplog.at_level(logging.CRITICAL, logger="ajaxkit"):
        status, body = post(alice, "legacy/boom.json")
    assert (status, body) == (500, failure(500, "Internal server error."))


def test_debug_500_shows_message_and_a_relative_traceback(alice: Client, caplog: Any) -> None:
    api.configure(debug=True)
    try:
        with caplog.at_level(logging.CRITICAL, logger="ajaxkit"):
            status, body = post(alice, "legacy/boom.json")
    finally:
        api.configure(debug=False)
    assert (status, body["data"]) == (500, {"code": 500, "message": "kaboom"})
    frames = body["traceback"]
    assert frames and all(set(f) == {"file", "line", "in", "code"} for f in frames)
    assert not any(os.path.isabs(f["file"]) for f in frames)
    assert frames[-1]["file"] == "tests/django_project/legacy/endpoints.py"
    assert frames[-1]["in"] == "boom"


def test_raw_responses_keep_their_content_type(alice: Client) -> None:
    response = alice.post("/ajax/legacy/raw.json")
    assert response["Content-Type"] == "text/csv"
    assert response.content == b"a,b\n"


def test_values_encode_as_djangos_json_encoder_does(alice: Client) -> None:
    assert post(alice, "legacy/values.json")[1]["data"] == {
        "aware": "2024-01-02T03:04:05.678Z",
        "naive": "2024-01-02T03:04:05.678",
        "day": "2024-01-02",
        "price": "9.90",
        "lazy": "Hello",
    }


def test_csrf_failure_is_a_json_403_in_the_envelope(user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/ajax/legacy/echo.json", {"a": "1"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["success"] is False and body["data"]["code"] == 403
    assert body["data"]["message"].startswith("CSRF verification failed")


# -- model endpoints --------------------------------------------------------------


def widget_record(widget: Widget, **changes: Any) -> dict[str, Any]:
    widget.refresh_from_db()
    record = {
        "label": f"Widget {widget.title}",
        "title": widget.title,
        "description": widget.description,
        "active": widget.active,
        "price": str(widget.price),
        "kind": widget.kind_id,
        "parts": sorted(p.pk for p in widget.parts.all()),
        "happened_at": None,
        "pk": widget.pk,
    }
    record.update(changes)
    return record


def test_create_writes_form_fields_and_answers_the_record(alice: Client, db: str) -> None:
    kind = Kind.objects.create(title="tools")
    parts = [Part.objects.create(name=n) for n in "ab"]
    status, body = post(
        alice,
        "legacy/widget.json",
        {
            "title": "Spanner",
            "price": "12.50",
            "kind": kind.pk,
            "parts": [p.pk for p in parts],
            "happened_at": "2024-05-06T07:08:09.123456Z",
            "id": 999,
            "csrfmiddlewaretoken": "ignored",
        },
    )
    assert status == 200, body
    widget = Widget.objects.get()
    assert widget.pk != 999
    assert body == success(
        widget_record(widget, happened_at="2024-05-06T07:08:09.123Z", price="12.50")
    )
    assert body["data"]["parts"] == sorted(p.pk for p in parts)


@pytest.mark.parametrize("atomic", [True, False])
def test_the_profile_serves_no_batches(alice: Client, atomic: bool) -> None:
    # django-ajax had no batch endpoint: _batch is just another unknown path,
    # so none of the profile's writes can run outside their own transaction.
    item = {"method": "POST", "path": "legacy/widget.json", "body": {"title": "Batched"}}
    body = json.dumps({"items": [item], "atomic": atomic})
    assert post(alice, "_batch", body, content_type="application/json") == (
        404,
        failure(404, NO_ENDPOINT),
    )
    assert not Widget.objects.exists()


def test_create_with_a_json_body(alice: Client) -> None:
    status, body = post(
        alice,
        "legacy/widget.json",
        json.dumps({"title": "Json", "active": False}),
        content_type="application/json",
    )
    assert status == 200 and body["data"]["active"] is False
    assert Widget.objects.get().title == "Json"


def test_validation_is_full_clean_in_djangos_words(alice: Client) -> None:
    status, body = post(alice, "legacy/widget.json", {"price": "not a number"})
    assert status == 400
    assert body["data"] == {"code": 400, "message": "Could not save model."}
    assert body["errors"] == {
        "title": ["This field cannot be blank."],
        "price": ["“not a number” value must be a decimal number."],
    }
    assert not Widget.objects.exists()
    widget = Widget.objects.create(title="kept")
    status, body = post(alice, f"legacy/widget/{widget.pk}/update.json", {"title": ""})
    assert (status, body["errors"]) == (400, {"title": ["This field cannot be blank."]})
    widget.refresh_from_db()
    assert widget.title == "kept"


def test_unreadable_values_are_400_could_not_save_not_a_500(alice: Client) -> None:
    body = json.dumps({"title": "x", "happened_at": {"a": 1}})
    status, answer = post(alice, "legacy/widget.json", body, content_type="application/json")
    assert (status, answer["errors"]) == (400, {"happened_at": ["Expected a single value."]})
    for kind in ("abc", "999999", str(2**63)):  # 2**63 overflowed the lookup
        status, answer = post(alice, "legacy/widget.json", {"title": "x", "kind": kind})
        assert (status, list(answer["errors"])) == (400, ["kind"])
    body = json.dumps({"title": "x", "parts": [2**63]})
    status, answer = post(alice, "legacy/widget.json", body, content_type="application/json")
    assert (status, list(answer["errors"])) == (400, ["parts"])
    for when in ("noon", "true"):  # "true" reads as True, which no date parser takes
        status, answer = post(alice, "legacy/widget.json", {"title": "x", "happened_at": when})
        assert (status, list(answer["errors"])) == (400, ["happened_at"])
    assert not Widget.objects.exists()


def test_unique_violation_is_also_could_not_save(alice: Client) -> None:
    Kind.objects.create(title="tools")
    status, body = post(alice, "legacy/kind.json", {"title": "tools"})
    assert (status, body["data"]["message"], body["errors"]) == (
        400,
        "Could not save model.",
        {"title": ["Kind with this Title already exists."]},
    )


class MockRequest:
    """The request the original's own tests called operations with."""

    def __init__(self, **kwargs: Any) -> None:
        self.POST = kwargs
        self.user = None


def test_operations_are_callable_directly_as_in_the_originals_tests(db: str) -> None:
    widgets = [Widget.objects.create(title=t) for t in "abc"]
    Widget.objects.create(title="off", active=False)  # outside get_queryset
    results = WidgetEndpoint("legacy", Widget, "list").list(MockRequest())
    assert [r["pk"] for r in results.data] == [w.pk for w in widgets]
    assert results.metadata == {"total": 3}
    capped = WidgetEndpoint("legacy", Widget, "list")
    capped.max_per_page = 1  # type: ignore[misc]  # as the original's tests did
    assert len(capped.list(MockRequest(items_per_page=2)).data) == 1
    assert WidgetEndpoint("legacy", Widget, "list").list(MockRequest(current_page=99)).data == []
    with pytest.raises(AJAXError):
        PartEndpoint("legacy", Part, "list").list(MockRequest())  # can_list is False
    allowed = PartEndpoint("legacy", Part, "list")
    allowed.can_list = lambda *args, **kwargs: True  # type: ignore[method-assign]
    Part.objects.create(name="bolt")
    assert allowed.list(MockRequest()).data == []  # get_queryset is empty by default
    one = WidgetEndpoint("legacy", Widget, "get", pk=widgets[0].pk).get(MockRequest())
    assert one["title"] == "a"


def test_writes_are_callable_directly_with_a_django_request(user: Any) -> None:
    request = RequestFactory().post("/", {"title": "Direct", "price": "2.50"})
    request.user = user
    created = WidgetEndpoint("legacy", Widget, "create").create(request)
    assert (created["title"], created["price"]) == ("Direct", Decimal("2.50"))
    request = RequestFactory().post("/", {"title": ""})
    request.user = user
    with pytest.raises(AJAXError) as refused:
        WidgetEndpoint("legacy", Widget, "update", pk=created["pk"]).update(request)
    assert refused.value.extra["errors"] == {"title": ["This field cannot be blank."]}
    assert Widget.objects.get().title == "Direct"


class SavingWidgetEndpoint(WidgetEndpoint):
    saved: ClassVar[list[str]] = []

    def _save(self, record: Any) -> Any:
        self.saved.append(self.method)
        record.description = f"saved by {self.method}"
        return super()._save(record)


def test_a_subclass_save_is_honoured(alice: Client) -> None:
    SavingWidgetEndpoint.saved.clear()
    with serving(Widget, SavingWidgetEndpoint):
        status, body = post(alice, "legacy/widget.json", {"title": "Spanner"})
        assert (status, body["data"]["description"]) == (200, "saved by create")
        pk = body["data"]["pk"]
        unchanged = {"title": "Spanner", "price": "0", "active": "true"}
        assert post(alice, f"legacy/widget/{pk}/update.json", unchanged)[0] == 200
        status, body = post(alice, f"legacy/widget/{pk}/update.json", {"title": "Wrench"})
        assert (status, body["data"]["description"]) == (200, "saved by update")
    assert SavingWidgetEndpoint.saved == ["create", "update"]
    assert Widget.objects.get().description == "saved by update"


class ReviewedWidgetEndpoint(WidgetEndpoint):
    seen: ClassVar[list[tuple[str, str, Any]]] = []

    # The original's modified= hook (no **kwargs), which the layer detects.
    def can_update(self, user: Any, record: Any, modified: Any = None) -> bool:  # type: ignore[override]
        self.seen.append((record.title, modified.title, modified.price))
        return bool(modified.title != "forbidden")


def test_can_update_gets_the_modified_record_as_the_original_passed_it(alice: Client) -> None:
    ReviewedWidgetEndpoint.seen.clear()
    widget = Widget.objects.create(title="Spanner")
    with serving(Widget, ReviewedWidgetEndpoint):
        url = f"legacy/widget/{widget.pk}/update.json"
        assert post(alice, url, {"title": "forbidden"}) == (403, failure(403, FORBIDDEN))
        assert post(alice, url, {"title": "Wrench", "price": "2.5"})[0] == 200
    assert ReviewedWidgetEndpoint.seen == [
        ("Spanner", "forbidden", Decimal("0.00")),
        ("Spanner", "Wrench", Decimal("2.5")),
    ]
    widget.refresh_from_db()
    assert widget.title == "Wrench"


def test_authenticate_runs_first_user_is_not_authorized(client: Client) -> None:
    assert post(client, "legacy/widget.json", {"title": "x"}) == (
        403,
        failure(403, "User is not authorized."),
    )
    assert not Widget.objects.exists()


def test_ajax_authentication_setting(client: Client) -> None:
    widget = Widget.objects.create(title="open")
    with override_settings(
        AJAX_AUTHENTICATION="tests.django_project.legacy.authentication.Everyone"
    ):
        status, body = post(client, f"legacy/widget/{widget.pk}/get.json")
    assert (status, body["data"]["title"]) == (200, "open")


def test_get_and_missing_records(alice: Client) -> None:
    widget = Widget.objects.create(title="Spanner")
    assert post(alice, f"legacy/widget/{widget.pk}/get.json") == (
        200,
        success(widget_record(widget)),
    )
    for pk in ("999999", "abc"):
        assert post(alice, f"legacy/widget/{pk}/get.json") == (
            404,
            failure(404, f'Widget with id of "{pk}" not found.'),
        )


def test_can_get_refusal(alice: Client) -> None:
    widget = Widget.objects.create(title="hidden")
    assert post(alice, f"legacy/widget/{widget.pk}/get.json") == (403, failure(403, FORBIDDEN))


def test_record_operation_without_pk_is_400(alice: Client) -> None:
    status, body = post(alice, "legacy/widget/get.json")
    assert (status, body) == (400, failure(400, "Invalid request for record."))


def test_update_foreign_keys_and_many_to_many(alice: Client) -> None:
    kind = Kind.objects.create(title="tools")
    parts = [Part.objects.create(name=n) for n in "abc"]
    widget = Widget.objects.create(title="Spanner")
    status, body = post(
        alice,
        f"legacy/widget/{widget.pk}/update.json",
        {"kind": kind.pk, "parts": [parts[0].pk, parts[2].pk], "description": "new"},
    )
    assert status == 200, body
    widget.refresh_from_db()
    assert (widget.kind_id, widget.description) == (kind.pk, "new")
    assert body["data"]["parts"] == [parts[0].pk, parts[2].pk]


@pytest.mark.parametrize("empty", ["", "null", "false", "False"])
def test_nullable_foreign_key_is_cleared_by_empty_values(alice: Client, empty: str) -> None:
    widget = Widget.objects.create(title="Spanner", kind=Kind.objects.create(title="tools"))
    status, body = post(alice, f"legacy/widget/{widget.pk}/update.json", {"kind": empty})
    assert (status, body["data"]["kind"]) == (200, None)
    widget.refresh_from_db()
    assert widget.kind_id is None


def test_update_with_unchanged_values_writes_nothing(alice: Client, db: str) -> None:
    widget = Widget.objects.create(title="Spanner", active=True)
    with CaptureQueriesContext(connections[db]) as queries:
        status, _ = post(
            alice, f"legacy/widget/{widget.pk}/update.json", {"title": "Spanner", "active": "true"}
        )
    assert status == 200
    assert _widget_writes(queries) == []
    with CaptureQueriesContext(connections[db]) as queries:
        post(alice, f"legacy/widget/{widget.pk}/update.json", {"title": "Changed"})
    assert len(_widget_writes(queries)) == 1  # the capture sees the writes it must


def _widget_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "legacy_widget" in q["sql"]
    ]


def test_update_with_an_id_field_never_copies_or_moves_the_row(alice: Client) -> None:
    widget = Widget.objects.create(title="Spanner")
    status, body = post(
        alice, f"legacy/widget/{widget.pk}/update.json", {"id": widget.pk + 100, "title": "Moved?"}
    )
    assert (status, body["data"]["pk"]) == (200, widget.pk)
    assert list(Widget.objects.values_list("pk", "title")) == [(widget.pk, "Moved?")]


def test_delete_answers_the_pk_and_signals(alice: Client) -> None:
    widget = Widget.objects.create(title="Spanner")
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append({"sender": sender, **kwargs})

    ajax.ajax_deleted.connect(receiver)
    try:
        status, body = post(alice, f"legacy/widget/{widget.pk}/delete.json")
    finally:
        ajax.ajax_deleted.disconnect(receiver)
    assert (status, body) == (200, success({"pk": widget.pk}))
    assert not Widget.objects.exists()
    assert seen[0]["sender"] is Widget and seen[0]["payload"] == {"pk": widget.pk}


def test_can_delete_refusal(alice: Client) -> None:
    widget = Widget.objects.create(title="keep")
    assert post(alice, f"legacy/widget/{widget.pk}/delete.json") == (403, failure(403, FORBIDDEN))
    assert Widget.objects.filter(pk=widget.pk).exists()


def test_created_and_updated_signals(alice: Client) -> None:
    seen: list[tuple[str, Any]] = []
    receivers = {
        "created": lambda sender, instance, **kw: seen.append(("created", instance.title)),
        "updated": lambda sender, instance, **kw: seen.append(("updated", instance.title)),
    }
    ajax.ajax_created.connect(receivers["created"])
    ajax.ajax_updated.connect(receivers["updated"])
    try:
        pk = post(alice, "legacy/widget.json", {"title": "one"})[1]["data"]["pk"]
        post(alice, f"legacy/widget/{pk}/update.json", {"title": "two"})
    finally:
        ajax.ajax_created.disconnect(receivers["created"])
        ajax.ajax_updated.disconnect(receivers["updated"])
    assert seen == [("created", "one"), ("updated", "two")]


def test_list_pages_with_total(alice: Client) -> None:
    widgets = [Widget.objects.create(title=f"w{i}") for i in range(5)]
    Widget.objects.create(title="inactive", active=False)  # outside get_queryset
    status, body = post(alice, "legacy/widget/list.json", {"items_per_page": 2, "current_page": 2})
    assert status == 200
    assert body["total"] == 5
    assert [r["pk"] for r in body["data"]] == [w.pk for w in widgets[2:4]]
    assert post(alice, "legacy/widget/list.json", {"current_page": 99})[1]["data"] == []
    assert len(post(alice, "legacy/widget/list.json", {"current_page": "x"})[1]["data"]) == 5


def test_list_is_capped_by_max_per_page_and_the_setting(alice: Client) -> None:
    for i in range(4):
        Kind.objects.create(title=f"k{i}")
        Widget.objects.create(title=f"w{i}")
    assert len(post(alice, "legacy/kind/list.json", {"items_per_page": 50})[1]["data"]) == 2
    with override_settings(AJAX_MAX_PER_PAGE=3):
        assert len(post(alice, "legacy/widget/list.json", {"items_per_page": 50})[1]["data"]) == 3


def test_list_is_refused_by_default(alice: Client) -> None:
    assert post(alice, "legacy/part/list.json") == (
        403,
        failure(403, "Access to this endpoint is forbidden"),
    )


@pytest.mark.parametrize(
    "operation", ["explode", "_secret", "authenticate", "can_delete", "_get_record"]
)
def test_unknown_and_private_operations_are_invalid_methods(alice: Client, operation: str) -> None:
    widget = Widget.objects.create(title="Spanner")
    assert post(alice, f"legacy/widget/{widget.pk}/{operation}.json") == (
        404,
        failure(404, "Invalid method."),
    )


def test_custom_operations(alice: Client) -> None:
    widget = Widget.objects.create(title="Spanner", active=False)
    assert post(alice, f"legacy/widget/{widget.pk}/activate.json") == (
        200,
        success({"activated": widget.pk}),
    )
    widget.refresh_from_db()
    assert widget.active
    assert post(alice, "legacy/widget/stats.json") == (200, success({"widgets": 1}))


def test_allowed_methods_refuses_with_access_denied(alice: Client) -> None:
    assert post(alice, "legacy/widget/put_only.json") == (403, failure(403, "Access denied."))


class GuardedPartEndpoint(ModelEndpoint):
    """The original's documented use: operations allowed by name."""

    @allowed_methods("get", "list")
    def authenticate(self, request: Any, application: str, method: str) -> bool:
        return True

    def can_list(self, user: Any) -> bool:
        return True

    def get_queryset(self, request: Any, **kwargs: Any) -> Any:
        return Part.objects.all()


@contextmanager
def serving(model: Any, endpoint_class: type[ModelEndpoint]) -> Iterator[None]:
    """``model`` served by ``endpoint_class`` for the block."""
    original = ajax.endpoint._registry[model]
    ajax.endpoint.unregister(model)
    ajax.endpoint.register(model, endpoint_class)
    try:
        yield
    finally:
        ajax.endpoint.unregister(model)
        ajax.endpoint.register(model, original)


@pytest.fixture
def guarded_parts() -> Iterator[None]:
    with serving(Part, GuardedPartEndpoint):
        yield


def test_allowed_methods_on_authenticate_names_operations(
    alice: Client, guarded_parts: None
) -> None:
    part = Part.objects.create(name="bolt")
    assert post(alice, f"legacy/part/{part.pk}/get.json")[0] == 200
    assert post(alice, "legacy/part/list.json")[1]["total"] == 1
    denied = (403, failure(403, "Access denied."))
    assert post(alice, "legacy/part.json", {"name": "nut"}) == denied
    assert post(alice, f"legacy/part/{part.pk}/delete.json") == denied
    assert list(Part.objects.values_list("name", flat=True)) == ["bolt"]


def test_allowed_methods_on_a_view_compares_the_http_method_as_written(alice: Client) -> None:
    assert post(alice, "legacy/post_only.json") == (200, success({"reached": True}))
    assert post(alice, "legacy/get_only.json") == (403, failure(403, "Access denied."))


def test_app_segment_must_match_the_models_app(alice: Client) -> None:
    widget = Widget.objects.create(title="Spanner")
    assert post(alice, f"catalog/widget/{widget.pk}/get.json") == (404, failure(404, NO_ENDPOINT))


def test_immutable_fields_and_exclude_encoder(alice: Client) -> None:
    status, body = post(alice, "legacy/part.json", {"name": "bolt", "internal": "secret"})
    assert (status, body["data"]) == (200, {"name": "bolt", "pk": Part.objects.get().pk})
    assert Part.objects.get().internal == ""


def test_pk_attribute_name_setting(alice: Client) -> None:
    part = Part.objects.create(name="bolt")
    with override_settings(AJAX_PK_ATTR_NAME="id"):
        assert post(alice, f"legacy/part/{part.pk}/get.json")[1]["data"] == {
            "name": "bolt",
            "id": part.pk,
        }


# -- django-taggit ------------------------------------------------------------------


def tag_names(gadget: Gadget) -> list[str]:
    return sorted(gadget.tags.names())


def test_create_with_tags_parsed_like_taggit(alice: Client) -> None:
    status, body = post(alice, "legacy/gadget.json", {"name": "g", "tags": 'red, "big blue"'})
    assert status == 200, body
    assert tag_names(Gadget.objects.get()) == ["big blue", "red"]


def test_create_and_tags_are_one_transaction(alice: Client) -> None:
    seen: list[Any] = []
    receiver = lambda sender, **kw: seen.append(kw)  # noqa: E731
    ajax.ajax_created.connect(receiver)
    try:
        status, body = post(alice, "legacy/gadget.json", {"name": "g", "tags": "fine, explode"})
    finally:
        ajax.ajax_created.disconnect(receiver)
    assert (status, body["data"]["message"], list(body["errors"])) == (
        400,
        "Could not save model.",
        ["tags"],
    )
    assert not Gadget.objects.exists()
    assert seen == []


def test_tag_commands(alice: Client) -> None:
    gadget = Gadget.objects.create(name="g")
    status, body = post(alice, f"legacy/gadget/{gadget.pk}/tags/add.json", {"tags": "a b"})
    assert status == 200 and sorted(t["name"] for t in body["data"]) == ["a", "b"]
    assert set(body["data"][0]) == {"name", "slug", "pk"}
    post(alice, f"legacy/gadget/{gadget.pk}/tags/remove.json", {"tags": "a"})
    assert tag_names(gadget) == ["b"]
    post(alice, f"legacy/gadget/{gadget.pk}/tags/set.json", {"tags": "x,y"})
    assert tag_names(gadget) == ["x", "y"]


def test_tags_clear_needs_no_tags_parameter(alice: Client) -> None:
    gadget = Gadget.objects.create(name="g")
    gadget.tags.add("a", "b")
    assert post(alice, f"legacy/gadget/{gadget.pk}/tags/clear.json") == (200, success([]))
    assert tag_names(gadget) == []


def test_similar_objects(alice: Client) -> None:
    gadget = Gadget.objects.create(name="g")
    other = Gadget.objects.create(name="other")
    gadget.tags.add("a")
    other.tags.add("a")
    status, body = post(alice, f"legacy/gadget/{gadget.pk}/tags/similar.json")
    assert (status, [r["pk"] for r in body["data"]]) == (200, [other.pk])


def test_missing_or_unknown_taggit_command(alice: Client) -> None:
    gadget = Gadget.objects.create(name="g")
    message = failure(400, "Invalid or missing taggit command.")
    assert post(alice, f"legacy/gadget/{gadget.pk}/tags.json") == (400, message)
    assert post(alice, f"legacy/gadget/{gadget.pk}/tags/explode.json") == (400, message)


def test_tags_on_a_model_without_taggit_is_invalid_method(alice: Client) -> None:
    widget = Widget.objects.create(title="Spanner")
    assert post(alice, f"legacy/widget/{widget.pk}/tags/add.json", {"tags": "a"}) == (
        404,
        failure(404, "Invalid method."),
    )


def test_tag_changes_need_can_update(alice: Client) -> None:
    gadget = Gadget.objects.create(name="frozen")
    assert post(alice, f"legacy/gadget/{gadget.pk}/tags/add.json", {"tags": "a"}) == (
        403,
        failure(403, FORBIDDEN),
    )
    assert tag_names(gadget) == []


def test_public_names() -> None:
    public = {name for name in vars(ajax) if not name.startswith("_")}
    modules = {"authentication", "bridge", "decorators", "encoders", "endpoints", "exceptions"}
    modules |= {"operations", "profile", "signals", "taggit", "views", "annotations", "urls"}
    assert set(ajax.__all__) == public - modules
    assert ajax.__all__ == sorted(ajax.__all__)


# -- related rows out of scope ------------------------------------------------------


class PrivatePartEndpoint(PartEndpoint):
    """Parts named "secret" are nobody's to read (``get.json`` is 403)."""

    def can_get(self, user: Any, record: Part) -> bool:
        return record.name != "secret"


class StaffKindEndpoint(ModelEndpoint):
    """Kinds only staff may use at all."""

    def authenticate(self, request: Any, application: str, method: str) -> bool:
        return bool(request.user.is_staff)


@pytest.fixture
def private_parts() -> Iterator[None]:
    with serving(Part, PrivatePartEndpoint):
        yield


def test_a_related_row_the_user_may_not_read_is_not_shown(
    alice: Client, private_parts: None
) -> None:
    shown, secret = Part.objects.create(name="bolt"), Part.objects.create(name="secret")
    widget = Widget.objects.create(title="Spanner")
    widget.parts.set([shown, secret])
    assert post(alice, f"legacy/part/{secret.pk}/get.json") == (403, failure(403, FORBIDDEN))
    expected = widget_record(widget, parts=[shown.pk])
    assert post(alice, f"legacy/widget/{widget.pk}/get.json") == (200, success(expected))
    assert post(alice, "legacy/widget/list.json")[1]["data"] == [expected]
    status, body = post(alice, f"legacy/widget/{widget.pk}/update.json", {"title": "Wrench"})
    assert (status, body["data"]["parts"]) == (200, [shown.pk])
    # Hidden from the answer, kept in the row: nothing was written but the title.
    assert sorted(widget.parts.values_list("pk", flat=True)) == sorted([shown.pk, secret.pk])


def _same_but_pk(hidden: tuple[int, Any], missing: tuple[int, Any], pk: Any) -> None:
    assert hidden[0] == missing[0] == 400
    assert json.dumps(hidden[1]).replace(str(pk), "PK") == json.dumps(missing[1]).replace(
        "999999", "PK"
    )


def test_writing_a_related_row_the_user_may_not_read_is_like_a_missing_one(
    alice: Client, private_parts: None
) -> None:
    secret = Part.objects.create(name="secret")
    hidden = post(alice, "legacy/widget.json", {"title": "x", "parts": [secret.pk]})
    _same_but_pk(
        hidden, post(alice, "legacy/widget.json", {"title": "x", "parts": [999999]}), secret.pk
    )
    assert not Widget.objects.exists()
    widget = Widget.objects.create(title="Spanner")
    path = f"legacy/widget/{widget.pk}/update.json"
    _same_but_pk(
        post(alice, path, {"parts": [secret.pk]}), post(alice, path, {"parts": [999999]}), secret.pk
    )
    assert not widget.parts.exists()


def test_a_related_endpoint_refusing_the_user_hides_its_rows_from_writes(alice: Client) -> None:
    kind = Kind.objects.create(title="tools")
    with serving(Kind, StaffKindEndpoint):
        assert post(alice, f"legacy/kind/{kind.pk}/get.json")[0] == 403
        hidden = post(alice, "legacy/widget.json", {"title": "x", "kind": kind.pk})
        missing = post(alice, "legacy/widget.json", {"title": "x", "kind": 999999})
        _same_but_pk(hidden, missing, kind.pk)
    assert not Widget.objects.exists()


class PrivateGadgetEndpoint(GadgetEndpoint):
    def can_get(self, user: Any, record: Gadget) -> bool:
        return record.name != "secret"


def test_similar_objects_leave_out_the_rows_the_user_may_not_read(alice: Client) -> None:
    gadget, shown = Gadget.objects.create(name="g"), Gadget.objects.create(name="other")
    secret = Gadget.objects.create(name="secret")
    for each in (gadget, shown, secret):
        each.tags.add("a")
    with serving(Gadget, PrivateGadgetEndpoint):
        assert post(alice, f"legacy/gadget/{secret.pk}/get.json")[0] == 403
        status, body = post(alice, f"legacy/gadget/{gadget.pk}/tags/similar.json")
    assert (status, [r["pk"] for r in body["data"]]) == (200, [shown.pk])
