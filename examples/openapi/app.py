"""ajaxkit endpoints in FastAPI's /docs.  Run: ``uvicorn examples.openapi.app:app``."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

import ajaxkit.fastapi
from ajaxkit import Ajax

api = Ajax()


class User(BaseModel):
    id: int
    name: str


# --8<-- [start:endpoint]
@api.endpoint("users/search", methods=["GET"])
def search(request, q: str, limit: int = 10) -> list[User]:
    """Users whose name contains ``q``."""
    users = [User(id=1, name="Ada"), User(id=2, name="Grace")]
    return [u for u in users if q.lower() in u.name.lower()][:limit]


# --8<-- [end:endpoint]

app = FastAPI()


@app.get("/health")
def health() -> dict[str, bool]:
    return {"ok": True}


# app=app: the registry's endpoints join app.openapi(), so /docs lists them.
app.router.routes.append(ajaxkit.fastapi.mount("/ajax", api, app=app))
