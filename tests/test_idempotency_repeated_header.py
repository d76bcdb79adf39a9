"""Two ``Idempotency-Key`` header lines, as each framework's own test client sends them.

The conformance suite sends the value a framework makes of them (joined
with ``", "``); here the two lines go over each framework's own request
path, so a framework that kept only one of them would be noticed.
"""

from __future__ import annotations

from typing import Any

import pytest

from ajaxkit import Ajax

KEYS = [("Idempotency-Key", '"a"'), ("Idempotency-Key", '"b"'), ("Sec-Fetch-Site", "same-origin")]


def _api(calls: list[str]) -> Ajax:
    api = Ajax()

    @api.endpoint("notes", methods=["POST"])
    def create(title: str) -> dict[str, str]:
        calls.append(title)
        return {"title": title}

    return api


def _refused(status: int, body: Any, calls: list[str]) -> None:
    assert status == 400
    assert body["code"] == "idempotency_key_invalid"
    assert "one Idempotency-Key" in body["detail"]
    assert calls == []


@pytest.mark.starlette
def test_starlette_two_header_lines_are_400() -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    import ajaxkit.starlette

    calls: list[str] = []
    app = Starlette(routes=[ajaxkit.starlette.mount("/ajax", _api(calls))])
    with TestClient(app) as client:
        response = client.post("/ajax/notes", json={"title": "t"}, headers=KEYS)
    _refused(response.status_code, response.json(), calls)


@pytest.mark.flask
def test_flask_two_header_lines_are_400() -> None:
    import flask

    from ajaxkit.flask import AjaxKit

    calls: list[str] = []
    app = flask.Flask(__name__)
    app.config["SECRET_KEY"] = "test"
    AjaxKit(app, api=_api(calls))
    response = app.test_client().post("/ajax/notes", json={"title": "t"}, headers=KEYS)
    _refused(response.status_code, response.get_json(), calls)
