"""What the binder accepts, the encoder writes: the walk over bound values."""

from __future__ import annotations

from typing import Any

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.testing import Client


def _client() -> Client:
    # Past orjson's own 1,024 levels; the default max_json_depth (64) would
    # refuse these bodies before binding, which is not what is tested here.
    api = Ajax(max_json_depth=2000)

    @api.endpoint("deep", methods=["POST"])
    def deep(request: AjaxRequest, items: list[Any]) -> dict[str, int]:
        node: Any = items
        depth = 0
        while isinstance(node, list):
            depth += 1
            node = node[0] if node else None
        return {"depth": depth}

    @api.endpoint("ints", methods=["POST"])
    def ints(request: AjaxRequest, ids: list[int]) -> dict[str, list[int]]:
        return {"ids": ids}

    return Client(api)


def _nested(depth: int, leaf: bytes) -> bytes:
    return b'{"items": ' + b"[" * depth + leaf + b"]" * depth + b"}"


def test_nesting_deeper_than_the_recursion_limit_binds() -> None:
    # orjson reads up to 1,024 levels; the walk must not recurse per level.
    body = _nested(1020, b"")
    headers = {"Content-Type": "application/json"}
    response = _client().post("/ajax/deep", content=body, headers=headers)
    assert response.json() == {"depth": 1020}


def test_a_huge_integer_in_a_list_is_located() -> None:
    response = _client().post("/ajax/ints", data=[("ids", "1"), ("ids", str(2**64))])
    assert response.status == 422
    assert response.json()["errors"][0]["pointer"] == "#/ids/1"
    # JSON bodies never carry one: orjson reads integers past 64 bits as floats.
    response = _client().post("/ajax/ints", json={"ids": [1, 2**63 - 1]})
    assert response.json() == {"ids": [1, 2**63 - 1]}
