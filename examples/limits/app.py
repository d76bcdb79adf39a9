"""Rate limits and Idempotency-Key on one registry (docs/limits.md).

Served by any integration; ``tests/test_docs_limits.py`` drives it.
"""

from __future__ import annotations

import itertools
from typing import Any

from ajaxkit import Ajax, AjaxRequest

# --8<-- [start:settings]
api = Ajax(
    # Shared by every process; the default counts in this process only.
    rate_limit_storage="memory://",  # e.g. "redis://127.0.0.1:6379/0"
    trusted_proxies=1,  # one reverse proxy appends to X-Forwarded-For
)
# For many processes, keep idempotency records in Redis too:
#   from ajaxkit.stores.redis import RedisIdempotencyStore
#   api.configure(idempotency_store=RedisIdempotencyStore.from_url("redis://..."))
# --8<-- [end:settings]

_ids = itertools.count(1)


# --8<-- [start:endpoints]
@api.endpoint("search", rate=["5/second", "100/minute"])
def search(request: AjaxRequest, q: str) -> dict[str, Any]:
    return {"q": q, "hits": []}


@api.endpoint("signup", methods=["POST"], rate="5/hour", rate_key="ip")
def signup(request: AjaxRequest, email: str) -> dict[str, str]:
    return {"email": email}


@api.endpoint("payments", methods=["POST"], login_required=True, idempotency="required")
def pay(request: AjaxRequest, amount: int) -> tuple[dict[str, Any], int]:
    return {"id": next(_ids), "amount": amount}, 201


# --8<-- [end:endpoints]
