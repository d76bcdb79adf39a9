"""Property: whatever a stranger posts to a django-ajax model endpoint, the
answer is the original's envelope with 200 or 400 "Could not save model.",
never a 5xx, and a refused write leaves the table as it was.

Values reach the model as posted there (``full_clean()`` reads them), so
this covers the inputs a form never sends: JSON numbers, booleans and
nesting in every field, and text Django cannot parse.  The example count is
bounded to keep the suite fast; SQLite only, as the compat suite's
PostgreSQL run covers the same code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.django_project.legacy.models import Kind, Part, Widget

pytestmark = pytest.mark.django

FIELDS = ("title", "description", "active", "price", "kind", "parts", "happened_at", "id")
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", "true", "null", "1e999", "NaN", "2024-13-40", "0", "-1", "²"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=3), SCALARS, max_size=2),
)
BODIES = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6)
CHECKS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def alice() -> Iterator[Client]:
    with override_settings(ROOT_URLCONF="tests.compat.django_ajax_urls", DATABASE_ROUTERS=[]):
        users: Any = get_user_model().objects  # UserManager, which the stubs do not see
        user = users.create_user("legacy-prop", password="x")
        client = Client()
        client.force_login(user)
        yield client
        for model in (Widget, Kind, Part, get_user_model()):
            model.objects.all().delete()


def _answer(client: Client, path: str, body: dict[str, Any], as_json: bool) -> tuple[int, Any]:
    if as_json:
        response = client.post(path, json.dumps(body), content_type="application/json")
    else:
        form = {k: v for k, v in body.items() if isinstance(v, str) and "\x00" not in v}
        response = client.post(path, form)
    return response.status_code, response.json()


def _assert_refused_or_saved(status: int, answer: Any) -> None:
    if status == 422:
        # A JSON integer past 64 bits is refused with the body, before the
        # widget's form sees it (rule U13), as a parameter failing validation.
        assert {e["code"] for e in answer["errors"]} == {"int_out_of_range"}, answer
        assert answer["success"] is False
        return
    assert status in (200, 400), (status, answer)
    assert answer["success"] is (status == 200)
    if status == 400:
        assert answer["data"]["code"] == 400


@CHECKS
@given(body=BODIES, as_json=st.booleans())
def test_creates_never_5xx(alice: Client, body: dict[str, Any], as_json: bool) -> None:
    before = Widget.objects.count()
    status, answer = _answer(alice, "/ajax/legacy/widget.json", body, as_json)
    _assert_refused_or_saved(status, answer)
    assert Widget.objects.count() == before + (status == 200)


@CHECKS
@given(body=BODIES, as_json=st.booleans())
def test_updates_never_5xx(alice: Client, body: dict[str, Any], as_json: bool) -> None:
    widget = Widget.objects.create(title="kept")
    status, answer = _answer(alice, f"/ajax/legacy/widget/{widget.pk}/update.json", body, as_json)
    _assert_refused_or_saved(status, answer)
    if status != 200:
        assert Widget.objects.get(pk=widget.pk).title == "kept"
