"""Rules U13 and U14: a value sent is the value a handler sees, or a 4xx naming it.

Each way JSON text (or a form) can be read as something else than what was
sent, tried on every client: the answer is the exact value or a problem
pointing at it, never a value quietly changed.
"""

from __future__ import annotations

import json
import logging

import pytest

from tests.conformance.clients.base import Client
from tests.conformance.test_protocol import assert_problem

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (b'{"id": 123456789012345678901234567890}', "#/id"),
        (b'{"ids": [1, -9223372036854775809]}', "#/ids/1"),
        (b'{"a": {"b/c": 18446744073709551616}}', "#/a/b~1c"),
        (b"[0, 99999999999999999999999]", "#/1"),
        (b"123456789012345678901234567890", "#"),
    ],
)
def test_U13_an_integer_past_64_bits_is_422_never_a_rounded_float(
    client: Client, body: bytes, pointer: str
) -> None:
    # orjson read it as the nearest float: the handler saw 1.2345678901234568e+29.
    problem = assert_problem(
        client.post("/ajax/echo", content=body, headers=JSON), 422, "validation_failed"
    )
    assert problem["errors"] == [
        {"pointer": pointer, "detail": problem["errors"][0]["detail"], "code": "int_out_of_range"}
    ]
    assert "9223372036854775807" in problem["errors"][0]["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"phone": "1234567890123456789012345", "n": 1}',
        b'{"max": 18446744073709551615, "min": -9223372036854775808}',
        b'{"x": 123456789012345678901234567890.5, "y": 1e30}',
        b'{"digits": "12345678901234567890", "key12345678901234567890": 2}',
    ],
)
def test_U13_long_digit_runs_that_are_no_wide_integer_pass_exactly(
    client: Client, body: bytes
) -> None:
    response = client.post("/ajax/echo", content=body, headers=JSON)
    assert response.status == 200, response.content
    assert response.json() == json.loads(body)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TWICE_MULTIPART = (
    b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\na\r\n'
    b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nb\r\n'
    b'--b\r\nContent-Disposition: form-data; name="count"\r\n\r\n1\r\n--b--\r\n'
)


@pytest.mark.parametrize("kind", ["form", "multipart", "query"])
def test_U14_a_scalar_parameter_sent_twice_is_422_naming_it(client: Client, kind: str) -> None:
    # The last value was bound and the first dropped unsaid: title "b".
    if kind == "query":
        response = client.get("/ajax/params/required?title=a&count=1&title=b")
        where = {"parameter": "title"}
    else:
        body, headers = (
            (b"title=a&count=1&title=b", FORM)
            if kind == "form"
            else (TWICE_MULTIPART, {"Content-Type": "multipart/form-data; boundary=b"})
        )
        response = client.post("/ajax/params/required", content=body, headers=headers)
        where = {"pointer": "#/title"}
    problem = assert_problem(response, 422, "validation_failed")
    [error] = problem["errors"]
    assert {k: error[k] for k in where} == where
    assert error["code"] == "multiple_values"
    assert "2 times" in error["detail"]


def test_U14_repeats_of_list_parameters_and_of_other_names_still_bind(client: Client) -> None:
    response = client.get("/ajax/params/lists?ids=1&ids=2&_=1&_=2&other=a&other=b")
    assert response.json()["ids"] == [1, 2]
    response = client.post(
        "/ajax/params/required", content=b"title=a&count=1&x=1&x=2", headers=FORM
    )
    assert response.json() == {"title": "a", "count": 1}


def test_a_repeated_key_keeps_its_last_value_as_json_parse_does(client: Client) -> None:
    response = client.post(
        "/ajax/echo", content=b'{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}', headers=JSON
    )
    assert response.json() == {"a": 3, "b": {"c": 2}}


def test_nan_and_infinities_in_a_result_are_null_as_json_stringify_writes_them(
    client: Client,
) -> None:
    assert client.get("/ajax/encode/edges/non-finite").json() == {"x": [1.5, None, None, None]}


def test_E5_an_integer_past_64_bits_in_a_result_is_a_logged_500_never_rounded(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ajaxkit"):
        response = client.get("/ajax/encode/edges/wide")
    problem = assert_problem(response, 500, "encoding_failed")
    assert problem["instance"].startswith("urn:uuid:")
    messages = [r.getMessage() for r in caplog.records if r.name == "ajaxkit"]
    assert any("edges" in m and problem["instance"][9:] in m for m in messages), messages
    assert any("64 bits" in m for m in messages), messages
