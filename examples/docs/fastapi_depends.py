"""docs/fastapi.md: what to write instead of ``Depends(...)`` in an ajaxkit handler."""

from __future__ import annotations

from fastapi import FastAPI, Request

import ajaxkit.fastapi
from ajaxkit import Ajax, Forbidden


# --8<-- [start:depends]
def current_team(request: Request) -> str:
    """A dependency your FastAPI routes already use with Depends(current_team)."""
    team = request.headers.get("X-Team")
    if not team:
        raise Forbidden("Send X-Team.")
    return team


api = Ajax()


@api.endpoint("team/members")
def members(request: Request, limit: int = 10) -> dict[str, object]:
    # Annotated with FastAPI's Request, so it receives it; call the dependency.
    team = current_team(request)
    return {"team": team, "limit": limit}


app = FastAPI()
app.mount("/ajax", ajaxkit.fastapi.app(api))  # mount: include_router cannot take it
# --8<-- [end:depends]
