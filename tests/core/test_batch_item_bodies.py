"""A batch item's body is its answer's bytes, whatever they are (K1).

A handler's bytes and its ``Content-Type`` are its own, and anything may be
in them: an image, a PDF, text in another charset, JSON that does not
parse.  Whatever they are, the item's answer must give them back exactly:
parsed JSON, UTF-8 text, or base64 with ``"encoding": "base64"``, never
text with replacement characters in place of the bytes that were not UTF-8.
Text is read as ``fetch()`` reads it (K12): a leading byte order mark
dropped, no body at all an empty string.
"""

from __future__ import annotations

import base64
import codecs
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit import Ajax
from ajaxkit.testing import Client
from ajaxkit.types import AjaxResponse

#: What the next call of ``answer`` returns: (body, Content-Type or "").
_NEXT: list[tuple[bytes, str]] = [(b"", "")]

_TYPES = st.sampled_from(
    [
        "",
        "image/png",
        "application/octet-stream",
        "application/pdf",
        "text/plain",
        "text/plain; charset=iso-8859-1",
        "text/html; charset=utf-8",
        "application/json",
        "application/problem+json",
        "application/vnd.api+json",
        "application/xml",
        "application/pdf; charset=utf-8",
    ]
)
_UNMARKED = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=32).map(str.encode),
    st.builds(
        orjson.dumps,
        st.dictionaries(st.text(max_size=4), st.integers(-(2**53), 2**53), max_size=3),
    ),
)
#: Some start with the UTF-8 byte order mark a tool may write (K12).
_BODIES = st.one_of(_UNMARKED, _UNMARKED.map(lambda body: codecs.BOM_UTF8 + body))


def _client() -> Client:
    api = Ajax()

    @api.endpoint
    def answer() -> AjaxResponse:
        body, content_type = _NEXT[0]
        headers = {"Content-Type": content_type} if content_type else {}
        return AjaxResponse(body=body, headers=headers)

    api.batch()
    return Client(api)


CLIENT = _client()


def _parsed(body: bytes, content_type: str) -> Any:
    """``body`` as JSON, when it is labelled JSON and parses (else ``None``),
    its byte order mark dropped as ``fetch()`` drops it (K12)."""
    if not content_type.endswith("json"):
        return None
    try:
        return orjson.loads(body.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError:
        return None


@settings(max_examples=200, deadline=None)
@given(body=_BODIES, content_type=_TYPES)
def test_K1_an_item_body_gives_back_its_bytes_exactly(body: bytes, content_type: str) -> None:
    _NEXT[0] = (body, content_type)
    assert CLIENT.get("/ajax/answer").content == body
    response = CLIENT.post("/ajax/_batch", json={"items": [{"path": "answer"}]})
    assert response.status == 200
    item = response.json()["items"][0]
    parsed = _parsed(body, content_type)
    if item.get("encoding") == "base64":
        assert base64.b64decode(item["body"], validate=True) == body
    elif not body:
        assert item["body"] == ""  # K12: as fetch() reads no body
    elif parsed is not None:
        assert item["body"] == parsed
    else:
        assert isinstance(item["body"], str)
        assert item["body"].encode("utf-8") == body.removeprefix(codecs.BOM_UTF8)


def test_K1_an_image_is_given_in_base64_and_text_is_not() -> None:
    _NEXT[0] = (b"\x89PNG\r\n\x1a\n\xff", "image/png")
    items = [{"path": "answer"}]
    image = CLIENT.post("/ajax/_batch", json={"items": items}).json()["items"][0]
    assert (image["body"], image["encoding"]) == ("iVBORw0KGgr/", "base64")
    _NEXT[0] = ("café".encode(), "text/plain")
    text = CLIENT.post("/ajax/_batch", json={"items": items}).json()["items"][0]
    assert (text["body"], "encoding" in text) == ("café", False)
