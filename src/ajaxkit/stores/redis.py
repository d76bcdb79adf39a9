"""Idempotency records in Redis, for many processes: one round trip per operation.

``Ajax(idempotency_store=RedisIdempotencyStore.from_url("redis://..."))``.
Rate limits need no class here: give ``rate_limit_storage="redis://..."``
and the ``limits`` library's Redis storage counts them.

Each record is a hash ``{exp, val}``: ``exp`` is the expiry time by the
registry's injected clock (compared with the ``now`` the caller passes, so
tests move time without sleeping), ``val`` the opaque record.  Redis's own
TTL (real seconds) only collects what has expired.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis

__all__ = ["RedisIdempotencyStore"]

# KEYS[1] the record; ARGV: now, expires, record, ttl in ms.  Atomic: two
# processes reserving one key cannot both win.
_RESERVE = """
local found = redis.call('HMGET', KEYS[1], 'exp', 'val')
if found[1] and tonumber(found[1]) > tonumber(ARGV[1]) then
  return found[2]
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'exp', ARGV[2], 'val', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return false
"""

_SAVE = """
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'exp', ARGV[1], 'val', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


class RedisIdempotencyStore:
    """An :class:`~ajaxkit.core.idempotency.IdempotencyStore` in Redis.

    Args:
        client: a ``redis.Redis`` client (bytes responses).
        prefix: prepended to every key, to share a database safely.
    """

    blocks = True

    def __init__(self, client: redis.Redis, prefix: str = "ajaxkit:idem:") -> None:
        self.client = client
        self.prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._save = client.register_script(_SAVE)

    @classmethod
    def from_url(
        cls, url: str, prefix: str = "ajaxkit:idem:", **kwargs: Any
    ) -> RedisIdempotencyStore:
        """A store on a new client for ``url`` (``redis://host:6379/0``)."""
        import redis  # here: only those who use Redis need it installed

        return cls(redis.Redis.from_url(url, **kwargs), prefix)

    def reserve(self, key: str, record: bytes, now: float, expires: float) -> bytes | None:
        found = self._reserve(
            keys=[self.prefix + key], args=[repr(now), repr(expires), record, _ttl(expires - now)]
        )
        return bytes(found) if found is not None else None

    def save(self, key: str, record: bytes, now: float, expires: float) -> None:
        self._save(keys=[self.prefix + key], args=[repr(expires), record, _ttl(expires - now)])

    def release(self, key: str) -> None:
        self.client.delete(self.prefix + key)


def _ttl(seconds: float) -> int:
    # At least a second, so that a record never vanishes before it is read.
    return max(1000, math.ceil(seconds * 1000))
