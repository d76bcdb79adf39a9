"""docs/fastapi.md, "Testing": the example through ajaxkit's client and FastAPI's."""

from __future__ import annotations

# --8<-- [start:testing]
from fastapi.testclient import TestClient

from examples.docs.fastapi_depends import app


def test_through_fastapi() -> None:
    client = TestClient(app)
    response = client.get("/ajax/team/members?limit=2", headers={"X-Team": "red"})
    assert response.json() == {"team": "red", "limit": 2}
    assert client.get("/ajax/team/members").json()["code"] == "forbidden"


# --8<-- [end:testing]
