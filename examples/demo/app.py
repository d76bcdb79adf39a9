"""The demo app: the ajaxkit endpoints and a static page, on Starlette.

``GET /`` is the page (plain HTML and ES modules, no build step, using the
mount's own ``ajaxkit.js``); ``/ajax/...`` is the ajaxkit mount.  The data is
SQLite unless a SQLAlchemy URL is given; live events go through the memory
broker unless a Redis URL is given, and then idempotency records are kept in
Redis too, as a deployment of several processes would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles
from starlette.types import Lifespan

import ajaxkit.starlette
from ajaxkit.live import Broker, make_broker
from examples.demo import users
from examples.demo.api import create_api
from examples.demo.database import DemoConfigError, open_database, sqlite_url

__all__ = ["DEFAULT_DATABASE", "DEFAULT_NAMESPACE", "STATIC", "DemoConfig", "create_app"]

STATIC = Path(__file__).with_name("static")
DEFAULT_DATABASE = Path(__file__).with_name("demo.sqlite3")
#: Prefix of the demo's Redis keys (live stream, idempotency records).
DEFAULT_NAMESPACE = "ajaxkit-demo"


@dataclass(frozen=True)
class DemoConfig:
    """Where the demo keeps its data and sends its live events.

    Attributes:
        database_url: a SQLAlchemy URL (default: the SQLite file beside the demo).
        redis_url: ``redis://host:port/db`` for the live log and idempotency
            records, or ``None`` for the in-process memory broker.
        namespace: prefix of every Redis key, so that several demos (or test
            runs) can share one Redis.
    """

    database_url: str = sqlite_url(DEFAULT_DATABASE)
    redis_url: str | None = None
    namespace: str = DEFAULT_NAMESPACE


def create_app(config: DemoConfig | Path = DEFAULT_DATABASE) -> Starlette:
    """The whole demo: the page at ``/``, ajaxkit at ``/ajax``.

    ``config`` may be a SQLite path (the rest default).  Raises
    :class:`DemoConfigError` when the database or Redis cannot be used.
    """
    if isinstance(config, Path):
        config = DemoConfig(database_url=sqlite_url(config))
    broker = make_broker("memory://") if config.redis_url is None else _redis(config)
    engine = open_database(config.database_url)
    users.create_database(engine)
    api = create_api(engine, broker)
    if config.redis_url is not None:
        from ajaxkit.stores.redis import RedisIdempotencyStore

        store = RedisIdempotencyStore.from_url(config.redis_url, prefix=f"{config.namespace}:idem:")
        api.configure(idempotency_store=store)
    app = Starlette(lifespan=_closing(engine, broker))
    app.mount("/ajax", ajaxkit.starlette.app(api))
    app.mount("/", StaticFiles(directory=STATIC, html=True))
    return app


def _redis(config: DemoConfig) -> Broker:
    """The Redis broker, once Redis has answered a PING."""
    import redis

    from ajaxkit.live.redis import RedisBroker

    url = str(config.redis_url)
    shown = re.sub(r"//[^@/]*@", "//***@", url)  # never print a password
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3) as client:
            client.ping()
    except ValueError as exc:  # redis-py's word for a malformed URL
        raise DemoConfigError(f"--redis {shown} is not a Redis URL ({exc}).") from exc
    except redis.RedisError as exc:
        raise DemoConfigError(f"cannot reach Redis at {shown}: {exc}") from exc
    return RedisBroker(url, namespace=config.namespace)


def _closing(engine: Engine, broker: Broker) -> Lifespan[Starlette]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await broker.aclose()
            engine.dispose()

    return lifespan
