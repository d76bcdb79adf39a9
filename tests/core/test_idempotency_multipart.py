"""A multipart body's retry is the same request whatever its boundary (rule I2).

A browser makes up a new boundary each time it sends a ``FormData`` body,
so ajaxkit.js retrying an upload under its ``Idempotency-Key`` sends bytes
that differ from the first try's in the boundary alone.  Whatever the
parts and the two boundaries, the retry must get the stored answer; a body
whose parts differ must still be another request.
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.testing import Client, Response

#: A part: its field name, its file name (``None`` for a plain field), its content.
Part = tuple[str, "str | None", bytes]

# RFC 2046 boundary characters (less the space, which may not end one).
_boundary = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=?",
    min_size=1,
    max_size=70,
)
_name = st.text("abcdefghijklmnopqrstuvwxyz_[]", min_size=1, max_size=8)
_part = st.tuples(_name, st.none() | _name.map(lambda name: f"{name}.bin"), st.binary(max_size=40))
_parts = st.lists(_part, min_size=1, max_size=4)


def _body(parts: list[Part], boundary: str) -> bytes:
    chunks = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n"
        chunks.append(head.encode() + content + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


def _fits(parts: list[Part], boundary: str) -> bool:
    """Whether ``boundary`` can frame ``parts``: no content holds a delimiter."""
    return all(f"\n--{boundary}".encode() not in b"\n" + content for _, _, content in parts)


def _client() -> tuple[Client, list[int]]:
    api, calls = Ajax(), []

    @api.endpoint("uploads", methods=["POST"])
    def upload(request: AjaxRequest) -> dict[str, Any]:
        calls.append(1)
        return {"call": len(calls)}

    return Client(api), calls


def _post(client: Client, parts: list[Part], boundary: str) -> Response:
    return client.post(
        "/ajax/uploads",
        content=_body(parts, boundary),
        headers={
            "Content-Type": f'multipart/form-data; boundary="{boundary}"',
            "Idempotency-Key": '"upload-1"',
        },
    )


@settings(max_examples=150, deadline=None)
@given(parts=_parts, first=_boundary, retry=_boundary)
def test_a_retry_under_another_boundary_is_replayed(
    parts: list[Part], first: str, retry: str
) -> None:
    assume(_fits(parts, first) and _fits(parts, retry))
    client, calls = _client()
    answer = _post(client, parts, first)
    again = _post(client, parts, retry)
    assert again.headers["idempotent-replayed"] == "true"
    assert (again.status, again.content) == (answer.status, answer.content)
    assert len(calls) <= 1


@settings(max_examples=150, deadline=None)
@given(parts=_parts, others=_parts, first=_boundary, retry=_boundary)
def test_other_parts_are_another_request_under_any_boundary(
    parts: list[Part], others: list[Part], first: str, retry: str
) -> None:
    assume(parts != others and _fits(parts, first) and _fits(others, retry))
    client, _ = _client()
    _post(client, parts, first)
    again = _post(client, others, retry)
    assert again.status == 422
    assert again.json()["code"] == "idempotency_key_reused"
