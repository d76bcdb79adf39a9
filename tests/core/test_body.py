from __future__ import annotations

import pytest

from ajaxkit import MalformedBody, MalformedJSON, PayloadTooLarge, UnsupportedMediaType
from ajaxkit.core.body import check_declared_length, parse_body
from ajaxkit.exceptions import ClientError
from ajaxkit.testing import encode_body
from ajaxkit.types import AjaxRequest, Headers, MultiDict


def make(content_type: str | None, length: str | None = None) -> AjaxRequest:
    headers = []
    if content_type:
        headers.append(("Content-Type", content_type))
    if length is not None:
        headers.append(("Content-Length", length))
    return AjaxRequest(
        method="POST", path="/", route="", headers=Headers(headers), query=MultiDict()
    )


def test_declared_length_over_limit_refused_before_reading() -> None:
    with pytest.raises(PayloadTooLarge):
        check_declared_length(make("application/json", "11"), 10)
    check_declared_length(make("application/json", "10"), 10)


def test_non_numeric_content_length_is_400() -> None:
    with pytest.raises(ClientError):
        check_declared_length(make("application/json", "-1"), 10)


def test_json_with_charset_parameter_parses() -> None:
    request = make("application/json; charset=utf-8")
    parse_body(request, b'{"a": 1}', 100)
    assert request.data == {"a": 1}


def test_problem_json_suffix_types_parse_as_json() -> None:
    request = make("application/merge-patch+json")
    parse_body(request, b'{"a": null}', 100)
    assert request.data == {"a": None}


def test_invalid_utf8_json_is_malformed() -> None:
    with pytest.raises(MalformedJSON):
        parse_body(make("application/json"), b'{"a": "\xff"}', 100)


def test_invalid_utf8_form_is_malformed() -> None:
    with pytest.raises(MalformedBody):
        parse_body(make("application/x-www-form-urlencoded"), b"a=%ff\xff", 100)


def test_empty_body_without_type_is_no_data() -> None:
    request = make(None)
    parse_body(request, b"", 100)
    assert request.data is None


def test_body_without_type_is_415() -> None:
    with pytest.raises(UnsupportedMediaType) as info:
        parse_body(make(None), b"hello", 100)
    assert "application/json" in info.value.headers["Accept-Post"]


def test_multipart_fields_and_files() -> None:
    body, content_type = encode_body(
        data=[("a", "1"), ("a", "2"), ("name", "zoë")],
        files={"f": ("x.bin", b"\x00\x01\xff", "application/octet-stream")},
    )
    assert content_type is not None
    request = make(content_type)
    parse_body(request, body, 10_000)
    assert request.data.getlist("a") == ["1", "2"]
    assert request.data["name"] == "zoë"
    upload = request.files["f"][0]
    assert (upload.filename, upload.data, upload.content_type) == (
        "x.bin",
        b"\x00\x01\xff",
        "application/octet-stream",
    )


def test_multipart_without_boundary_is_malformed() -> None:
    with pytest.raises(MalformedBody):
        parse_body(make("multipart/form-data"), b"--x\r\n", 100)


def test_body_read_over_limit_is_413_even_without_declared_length() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_body(make("application/json"), b"[" + b"1," * 10 + b"1]", 10)


def test_multipart_without_parts_is_an_empty_form() -> None:
    from ajaxkit.core.body import parse_body
    from ajaxkit.types import AjaxRequest, Headers, MultiDict

    request = AjaxRequest(
        method="POST",
        path="/x",
        route="x",
        headers=Headers([("content-type", "multipart/form-data; boundary=BoUnDaRy")]),
        query=MultiDict(),
    )
    parse_body(request, b"--BoUnDaRy--\r\n", 1000)
    assert (dict(request.data), request.files) == ({}, {})


def test_lazy_headers_build_once_on_first_use() -> None:
    from ajaxkit.types import LazyHeaders

    calls: list[int] = []

    def factory() -> list[tuple[str, str]]:
        calls.append(1)
        return [("Content-Type", "application/json"), ("X-A", "1"), ("x-a", "2")]

    headers = LazyHeaders(factory)
    assert calls == []
    assert headers["content-type"] == "application/json"
    assert headers["X-A"] == "1, 2"
    assert "x-a" in headers and len(headers) == 2
    assert calls == [1]
