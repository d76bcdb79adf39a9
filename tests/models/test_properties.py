"""Property: whatever a stranger sends to a model endpoint, the answer is never a 5xx,
errors are problem documents, and a refused write leaves every table as it was.

Hypothesis draws requests from hostile parts -- huge and Unicode-digit
numbers, NUL, CR/LF, oversized values, crafted cursors, unknown fields,
deep nesting -- against the shared model app on both ORMs and both
databases.  The model matrix is large, so the property runs on the
framework-free reference client only (every transport shares the model
layer it exercises); the example count is bounded to keep the suite fast.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.models.backends import Backend

WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
RESOURCES = ("notes", "authors", "tags", "comments", "categories")
FIELDS: tuple[str, ...] = (
    "title",
    "body",
    "status",
    "priority",
    "author",
    "category",
    "tags",
    "comments",
)
FIELDS += ("name", "email", "slug", "label", "note", "text", "id", "owner", "version")
PARAMS: tuple[str, ...] = ("limit", "offset", "cursor", "search", "ordering", "expand", "priority")
PARAMS += ("priority__in", "priority__gte", "title", "author", "author__in", "status")
PARAMS += ("category__isnull", "_", "colour")


@pytest.fixture
def combination(reference_combination: tuple[Backend, str]) -> tuple[Backend, str]:
    """The reference client only, on every backend."""
    return reference_combination


# -- hostile parts -------------------------------------------------------------------

NASTY_TEXT = st.sampled_from(
    [
        "",
        "²",
        "٣",
        "9" * 5000,
        "99999999999999999999",
        "9223372036854775808",
        "2147483648",
        "-9223372036854775809",
        "a\x00b",
        "\x00",
        "a\r\nSet-Cookie: x=1",
        "\ud800",
        "x" * 3000,
        "1,2,99999999999999999999",
        ",".join(["title"] * 50),
        "title,-title,title",
        "author.notes.author",
        "comments.note",
        "%",
        "_",
        "true",
        "null",
        "1e400",
        "NaN",
    ]
)
TEXT = st.one_of(NASTY_TEXT, st.text(max_size=40))
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**31, 2**63, -(2**63) - 1, 2**64, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
DEEP: Any = []
for _ in range(200):
    DEEP = [DEEP]
# Nesting by hand: st.recursive warns when an example happens not to recurse.
JSON_VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=8), st.one_of(SCALARS, st.lists(SCALARS)), max_size=4),
    st.just(DEEP),
)


def cursors() -> st.SearchStrategy[str]:
    def crafted(values: list[Any]) -> str:
        raw = json.dumps([["id"], values]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    forged = st.lists(SCALARS, max_size=3).map(crafted)
    return st.one_of(forged, forged.map(lambda c: c + ".AAAAAAAAAAAAAAAAAAAAAA"), TEXT)


PKS = st.one_of(
    st.sampled_from(["1", "a", "9223372036854775808", "a%00b", "%00", "²", "-1", "1.5"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
QUERY = st.dictionaries(
    st.sampled_from(PARAMS), st.one_of(TEXT, NUMBERS.map(str), cursors()), max_size=4
)
BODY = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=5),
    JSON_VALUES,
)


@st.composite
def requests(draw: Callable[..., Any]) -> tuple[str, str, dict[str, str], Any]:
    method = draw(st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE"]))
    path = f"/ajax/{draw(st.sampled_from(RESOURCES))}"
    # PATCH/PUT/DELETE address a record; GET and POST either (POST on a
    # record is an action).
    if method in {"PATCH", "PUT", "DELETE"} or draw(st.booleans()):
        path += f"/{draw(PKS)}"
    if method == "POST" and path.count("/") == 3 and draw(st.booleans()):
        path += "/publish"
    query = {k: str(v) for k, v in draw(QUERY).items()}
    body = draw(BODY) if method in WRITES else None
    return method, path, query, body


# -- the state of every table --------------------------------------------------------


def snapshot(backend: Backend) -> list[list[str]]:
    """Every row of every table, as sortable text."""
    if backend.name.startswith("sqlalchemy"):
        from sqlalchemy import select

        with backend.engine.connect() as conn:  # type: ignore[attr-defined]
            return [
                sorted(repr(tuple(row)) for row in conn.execute(select(table)))
                for table in backend.models.Base.metadata.sorted_tables
            ]
    m = backend.models
    tables = (m.Author, m.Category, m.Tag, m.Note, m.Note.tags.through, m.Comment)
    alias = backend.alias  # type: ignore[attr-defined]
    return [sorted(repr(row) for row in t.objects.using(alias).values()) for t in tables]


@pytest.fixture
def seeded(client: Any) -> Any:
    author = client.post("/ajax/authors", json={"name": "A", "email": "a@x"}).json()
    client.post("/ajax/tags", json={"slug": "a", "label": "A"})
    client.post("/ajax/categories", json={"name": "C"})
    for i in range(3):
        note = client.post(
            "/ajax/notes", json={"title": f"n{i}", "author": author["id"], "tags": ["a"]}
        ).json()
    client.post("/ajax/comments", json={"note": note["id"], "text": "c"})
    return client


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_model_endpoints_never_answer_5xx_and_refused_writes_change_nothing(
    seeded: Any, backend: Backend, request: tuple[str, str, dict[str, str], Any]
) -> None:
    method, path, query, body = request
    before = snapshot(backend) if method in WRITES else None
    # The stdlib encoder writes any integer (orjson stops at 64 bits).
    content = json.dumps(body).encode() if method in WRITES else None
    headers = {"Content-Type": "application/json"} if content is not None else None
    response = seeded.request(method, path, params=query or None, content=content, headers=headers)
    assert response.status < 500, (request, response.status, response.content[:500])
    if response.status >= 400:
        assert response.headers["Content-Type"] == "application/problem+json", request
        if before is not None:
            assert snapshot(backend) == before, request
