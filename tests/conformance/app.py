"""The ONE app spec every integration mounts for the conformance suite.

Nothing here names a framework.  What differs per framework (how to build a
native response or raise a native exception) is passed in by the client as
a :class:`Natives`.
"""

from __future__ import annotations

import asyncio
import codecs
import dataclasses
import datetime as dt
import enum
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict

from ajaxkit import (
    Ajax,
    AjaxRequest,
    AjaxResponse,
    Conflict,
    NotFound,
    Stream,
    Unauthorized,
    UploadedFile,
    WebSocket,
)
from ajaxkit.core.auth import is_authenticated
from ajaxkit.core.csrf import CsrfPolicy
from ajaxkit.core.streams import served_by_sync_server
from ajaxkit.core.transactions import HookFailed, joined
from ajaxkit.live import Live, LiveSettings
from tests.conformance.live_models import live_model_endpoints


def _no_native_stream(chunks: Iterator[bytes], content_type: str) -> Any:
    raise AssertionError("this spec's natives build no stream")


@dataclasses.dataclass(frozen=True)
class Natives:
    """Framework-specific pieces the spec needs, supplied by each client.

    ``response(status, body, content_type, headers)`` builds a native
    response, ``headers`` a list of pairs where a name may repeat (a
    framework that holds one value a name joins the repeats, as its users
    must); ``raise_exception(kind, detail)`` raises the framework's own
    exception for ``kind`` in {"not_found", "forbidden", "bad_request"},
    with no message of the raising code's when ``detail`` is ``None``;
    ``stream(chunks, content_type)`` builds the framework's own streamed
    response over an iterator of byte chunks.
    ``find_missing()`` looks up a row that does not exist with the
    framework's own helper (Django's ``get_object_or_404``), whose message
    is the framework's, not the raising code's; ``None`` where there is no
    such helper (a bare not-found stands in for it).
    """

    response: Callable[[int, bytes, str, list[tuple[str, str]]], Any]
    raise_exception: Callable[[str, str | None], None]
    stream: Callable[[Iterator[bytes], str], Any] = _no_native_stream
    find_missing: Callable[[], Any] | None = None


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Model(BaseModel):
    name: str
    when: dt.date


class Profile(BaseModel):
    """A model with camelCase aliases, the wire names of a JavaScript client."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)
    user_name: str


class Money:
    """A type the encoder does not know until the spec registers it."""

    def __init__(self, cents: int) -> None:
        self.cents = cents


class NoteIn(BaseModel):
    title: str = Field(max_length=20)
    priority: int = 1


class NoteFilter(BaseModel):
    """Query parameters as one model, with lists (FastAPI's query models)."""

    tags: list[str] = []
    ids: list[int] | None = None
    page: int = 1


class PublicUser(BaseModel):
    """What a user's endpoints declare they answer."""

    id: int
    name: str


class StoredUser(PublicUser):
    """A user as stored: more than the endpoints may send."""

    password_hash: str


class Badge(TypedDict):
    label: str


STORED: dict[str, Any] = {"id": 7, "name": "Ada", "password_hash": "pbkdf2$secret"}


class UserRow:
    """An ORM row: attributes, not a mapping."""

    def __init__(self) -> None:
        self.id, self.name, self.password_hash = 7, "Ada", "pbkdf2$secret"


SAMPLE_DATETIME = dt.datetime(2024, 5, 17, 13, 45, 30, 123000, tzinfo=dt.timezone.utc)
SAMPLE_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")
MAIN_THREAD_LOOP_THREADS: set[int] = set()

#: What ``native/binary`` answers: a PNG's signature, then bytes no UTF-8 text holds.
BINARY_BODY = b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x80"
#: Cookie attributes a handler may give ``set_cookie`` (and its value, under
#: ``"value"``; else ``"1"``), by case: the first ones no Set-Cookie line can
#: carry alike on every framework, the last ones spelt loosely or quoted.
COOKIE_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "path-line-break": {"path": "/\r\nX-Injected: 1"},
    "path-semicolon": {"path": "/; Domain=evil.example"},
    "domain-semicolon": {"domain": "example.com; Secure"},
    "path-past-ascii": {"path": "/caf\u00e9"},
    "value-latin-1": {"value": "caf\u00e9"},
    "value-past-latin-1": {"value": "\u65e5\u672c"},
    "max-age-fraction": {"max_age": 1.5},
    "max-age-text": {"max_age": "60"},
    "samesite-unknown": {"samesite": "Bogus"},
    "samesite-lower-case": {"samesite": "strict"},
    "expires-naive": {"expires": dt.datetime(2030, 1, 1)},
    "path-none": {"path": None},
    "path-empty": {"path": ""},
    "value-quoted": {"value": 'a b, "c"; \\d'},
    # Names a browser keeps only with Secure (and __Host- on / for the host).
    "secure-prefix-insecure": {"name": "__Secure-pref"},
    "host-prefix-insecure": {"name": "__Host-pref"},
    "host-prefix-domain": {"name": "__Host-pref", "secure": True, "domain": "testserver"},
    "host-prefix-path": {"name": "__Host-pref", "secure": True, "path": "/ajax"},
    "host-prefix": {"name": "__Host-pref", "secure": True},
    # SameSite=None: a browser keeps it only with Secure.
    "samesite-none-insecure": {"samesite": "None"},
    "samesite-none-lower-case-insecure": {"samesite": "none"},
    "samesite-none": {"samesite": "None", "secure": True},
}
#: Text a handler puts in an AjaxResponse as a str, past ASCII and past Latin-1.
TEXT_BODY = "caf\u00e9 \u65e5\u672c"
#: The UTF-8 byte order mark, which fetch() drops from the start of a text body.
BOM = codecs.BOM_UTF8


#: Headers reverse proxies write about the caller (address, host, scheme).
PROXY_HEADERS = (
    "forwarded",
    "x-real-ip",
    "x-forwarded-host",
    "x-forwarded-proto",
    "cf-connecting-ip",
    "true-client-ip",
)


def is_admin(request: AjaxRequest) -> bool:
    return getattr(request.user, "username", None) == "admin"


def conformance_apis(natives: Natives) -> dict[str, Ajax]:
    """The mounts every client serves by default: ``/ajax`` and a debug copy."""
    return {"/ajax": build_api(natives), "/ajax-debug": build_api(natives, debug=True)}


#: Each client class's default mounts, built on its first use (see default_apis).
_DEFAULT_APIS: dict[type, dict[str, Ajax]] = {}


def default_apis(
    owner: type, natives: Natives, config: Mapping[str, Any] | None
) -> dict[str, Ajax]:
    """The mounts a client class serves when a test gives it none.

    Built once per client class and kept: building them takes longer than
    most tests do, and the Django clients have always served one copy for
    the whole session (their urlconf is a module), so every test already
    copes with a registry that earlier tests used.  One copy per class, so
    no two frameworks mount the same registry.  A ``config`` resolves the
    registries' settings when they are mounted, so with one they are fresh.
    """
    if config is not None:
        return conformance_apis(natives)
    if owner not in _DEFAULT_APIS:
        _DEFAULT_APIS[owner] = conformance_apis(natives)
    return _DEFAULT_APIS[owner]


#: Where 401 problems send the user.
LOGIN_URL = "/login/"
#: The one origin besides its own the conformance app trusts for unsafe requests.
TRUSTED_ORIGIN = "http://trusted.example"


def build_api(
    natives: Natives,
    *,
    debug: bool = False,
    batch_options: Mapping[str, Any] | None = None,
    **settings: Any,
) -> Ajax:
    """A fresh registry with every endpoint the conformance tests call.

    ``batch_options`` are the batch endpoint's own options (``csrf_exempt``).
    """
    settings.setdefault("csrf", CsrfPolicy(trusted_origins=(TRUSTED_ORIGIN,)))
    settings.setdefault("login_url", LOGIN_URL)
    api = Ajax(debug=debug, **settings)
    api.settings.encoder.register(Money, lambda m: f"{m.cents / 100:.2f} EUR")
    _success_endpoints(api, natives)
    _encoding_endpoints(api)
    _error_endpoints(api, natives)
    _binding_endpoints(api)
    _auth_endpoints(api)
    _concurrency_endpoints(api)
    _cookie_endpoints(api)
    _stream_endpoints(api)
    # The debug mount's streams end when the test says so (live/revoke-me),
    # with a long fallback: the live-delivery test must not race a timer.
    _live_endpoints(api, stream_seconds=10.0 if debug else LIVE_STREAM_SECONDS)
    _websocket_endpoints(api)
    _ledger_endpoints(api, natives)
    api.batch(max_items=5, **(batch_options or {}))
    return api


class Ledger:
    """An in-memory database with transactions (a transaction source of
    :mod:`ajaxkit.core.transactions`): what atomic batches are tested on
    with every client, none of which needs an ORM for it.

    Like a deferred constraint, "no amount below zero" is checked at
    commit, not when the row is written: what a commit failure is tested with.
    """

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.lock = threading.Lock()

    @property
    def key(self) -> Any:
        return ("ledger", id(self))

    def begin(self) -> LedgerTransaction:
        return LedgerTransaction(self)


class LedgerTransaction:
    """The rows as one atomic batch sees them; the ledger's only on commit."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        with ledger.lock:
            self.rows = dict(ledger.rows)
        self.written: set[str] = set()

    def commit(self, hook_failed: HookFailed) -> None:
        written = {name: self.rows[name] for name in self.written}
        if any(amount < 0 for amount in written.values()):
            raise LedgerRefused("An amount below zero broke a constraint checked at commit.")
        with self.ledger.lock:
            self.ledger.rows.update(written)

    def rollback(self) -> None:
        self.written.clear()


class LedgerRefused(Exception):
    """The ledger's own (foreign) error: a commit it refused."""


def _ledger_endpoints(api: Ajax, natives: Natives) -> None:
    ledger = Ledger()
    _vault_endpoints(api, Ledger())

    def store(request: AjaxRequest, name: str, amount: int) -> None:
        held = joined(request, ledger)
        if held is None:
            with ledger.lock:
                ledger.rows[name] = amount
        else:
            held.rows[name] = amount
            held.written.add(name)

    @api.endpoint("ledger/{name}", methods=["POST"], transactions=[ledger])
    def write(request: AjaxRequest, name: str, amount: int) -> Any:
        store(request, name, amount)
        return {"name": name, "amount": amount}, 201

    @api.endpoint("ledger/{name}/cookie", methods=["POST"], transactions=[ledger])
    def write_with_cookie(request: AjaxRequest, name: str, amount: int) -> AjaxResponse:
        store(request, name, amount)
        response = AjaxResponse(
            status=201, body=b"{}", headers={"Content-Type": "application/json"}
        )
        response.set_cookie(f"ledger_{name}", "written")
        return response

    @api.endpoint("ledger/{name}/native-cookie", methods=["POST"], transactions=[ledger])
    def write_with_native_cookie(request: AjaxRequest, name: str, amount: int) -> Any:
        store(request, name, amount)
        response = natives.response(201, b"{}", "application/json", [])
        response.set_cookie(f"ledger_{name}", "written")
        return response

    @api.endpoint("ledger/{name}", methods=["GET"], transactions=[ledger])
    def read(request: AjaxRequest, name: str) -> dict[str, Any]:
        held = joined(request, ledger)
        rows = held.rows if held is not None else ledger.rows
        return {"name": name, "amount": rows.get(name)}


def _vault_endpoints(api: Ajax, vault: Ledger) -> None:
    """A second database: an atomic batch may not span it and the ledger."""

    @api.endpoint("vault/{name}", methods=["POST"], transactions=[vault])
    def deposit(request: AjaxRequest, name: str, amount: int) -> Any:
        held = joined(request, vault)
        (held.rows if held is not None else vault.rows)[name] = amount
        if held is not None:
            held.written.add(name)
        return {"name": name, "amount": amount}, 201


def _success_endpoints(api: Ajax, natives: Natives) -> None:
    @api.endpoint
    def hello(request: AjaxRequest) -> dict[str, str]:
        return {"message": "Hello, World!"}

    @api.endpoint("status/created", methods=["POST"])
    def created(request: AjaxRequest) -> Any:
        return {"id": 1}, 201

    @api.endpoint("status/headers")
    def with_headers(request: AjaxRequest) -> Any:
        return {"ok": True}, 202, {"X-Custom": "yes"}

    @api.endpoint("status/headers-only")
    def headers_only(request: AjaxRequest) -> Any:
        return {"ok": True}, {"X-Custom": "only"}

    @api.endpoint("status/cached")
    def cached(request: AjaxRequest) -> Any:
        return {"ok": True}, {"Cache-Control": "public, max-age=60"}

    @api.endpoint("status/response")
    def ajax_response(request: AjaxRequest) -> AjaxResponse:
        return AjaxResponse(body=b'{"built": "by hand"}', headers={"Content-Type": "text/json"})

    @api.endpoint("status/not-json")
    def not_json(request: AjaxRequest) -> AjaxResponse:
        # Labelled JSON by a handler that wrote it by hand, and not JSON.
        return AjaxResponse(body=b"{not: json", headers={"Content-Type": "application/json"})

    @api.endpoint("status/empty")
    def empty(request: AjaxRequest) -> AjaxResponse:
        # A 200 with no body: fetch() reads it as "".
        return AjaxResponse(body=b"", headers={"Content-Type": "text/plain"})

    @api.endpoint("status/bom/{kind}")
    def with_bom(request: AjaxRequest, kind: str) -> AjaxResponse:
        # Text written by a tool that starts UTF-8 with a byte order mark.
        media = "application/json" if kind == "json" else "text/plain; charset=utf-8"
        return AjaxResponse(body=BOM + b'{"ok": true}', headers={"Content-Type": media})

    @api.endpoint
    def nothing(request: AjaxRequest) -> None:
        return None

    @api.endpoint
    def native(request: AjaxRequest) -> Any:
        return natives.response(418, b"I'm a teapot", "text/plain", [("X-Native", "1")])

    @api.endpoint("status/native")
    def native_with_status(request: AjaxRequest) -> Any:
        # Flask's habit: return jsonify(...), 201.
        made = natives.response(200, b"made", "text/plain", [("X-Native", "1")])
        return made, 201, {"X-Custom": "yes"}

    @api.endpoint("status/native-headers")
    def native_with_headers(request: AjaxRequest) -> Any:
        return natives.response(202, b"made", "text/plain", []), {"X-Custom": "only"}

    @api.endpoint("status/enum/{kind}")
    def enum_status(request: AjaxRequest, kind: str) -> Any:
        # http.HTTPStatus, as Django, Flask and FastAPI code writes statuses.
        if kind == "response":
            return AjaxResponse(status=HTTPStatus.CREATED, body=b'{"id":1}')
        if kind == "native":
            return natives.response(200, b"made", "text/plain", []), HTTPStatus.CREATED
        return {"id": 1}, HTTPStatus.CREATED

    @api.endpoint("native/binary")
    def native_binary(request: AjaxRequest) -> Any:
        # An image's bytes: not text, and not UTF-8 (0x89, 0xff).
        return natives.response(200, BINARY_BODY, "image/png", [("X-Native", "1")])

    @api.endpoint("native/latin1")
    def native_latin1(request: AjaxRequest) -> Any:
        # Labelled text, in bytes that are not UTF-8.
        return natives.response(200, "café".encode("latin-1"), "text/plain", [])

    @api.endpoint("native/stream")
    def native_stream(request: AjaxRequest) -> Any:
        # StreamingHttpResponse, Response(generator), StreamingResponse.
        return natives.stream(iter([b"a\n", b"b\n"]), "text/plain")

    @api.endpoint("native/cookies")
    def native_cookies(request: AjaxRequest) -> Any:
        # A repeated field and two cookies, set the framework's own way:
        # every framework's response has set_cookie(key, value, max_age=, httponly=).
        links = [("Link", "</a>; rel=preload"), ("Link", "</b>; rel=preload")]
        made = natives.response(
            200, b'{"native": true}', "application/json", [*links, ("X-Native", "1")]
        )
        made.set_cookie("native_session", "s3cret", httponly=True)
        made.set_cookie("native_seen", "1", max_age=60)
        return made

    @api.endpoint("results/user")
    def user_from_dict(request: AjaxRequest) -> PublicUser:
        return STORED  # type: ignore[return-value]  # what FastAPI users write

    @api.endpoint("results/users")
    def users_as_subclass(request: AjaxRequest) -> list[PublicUser]:
        return [StoredUser(**STORED)]

    @api.endpoint("results/row")
    def user_from_row(request: AjaxRequest) -> PublicUser:
        return UserRow()  # type: ignore[return-value]

    @api.endpoint("results/created", methods=["POST"])
    def created_user(request: AjaxRequest) -> tuple[PublicUser, int]:
        return STORED, 201  # type: ignore[return-value]

    @api.endpoint("results/badges")
    def badges(request: AjaxRequest) -> dict[str, Badge]:
        return {"gold": {"label": "Gold", "secret": "x"}}  # type: ignore[typeddict-unknown-key]

    @api.endpoint("results/mismatch")
    def mismatch(request: AjaxRequest) -> PublicUser:
        return {"id": "seven"}  # type: ignore[return-value]

    @api.endpoint("status/invalid")
    def invalid_status(request: AjaxRequest, status: int = 1000) -> Any:
        return {"ok": True}, status

    @api.endpoint("status/body/{kind}")
    def body_of_kind(request: AjaxRequest, kind: str) -> AjaxResponse:
        # Built by hand with text, or with bytes in a mutable buffer.
        bodies: dict[str, Any] = {
            "text": TEXT_BODY,
            "bytearray": bytearray(TEXT_BODY.encode()),
            "memoryview": memoryview(TEXT_BODY.encode()),
            "number": 7,
        }
        if kind not in bodies:
            raise NotFound()
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        return AjaxResponse(body=bodies[kind], headers=headers)

    @api.endpoint("status/fractional")
    def fractional_status(request: AjaxRequest) -> AjaxResponse:
        # A status computed with "/" (a float), which no status line holds.
        return AjaxResponse(status=402 / 2, body=b"{}")  # type: ignore[arg-type]


def _encoding_endpoints(api: Ajax) -> None:
    @api.endpoint("encode/types")
    def types(request: AjaxRequest) -> dict[str, Any]:
        return {
            "datetime": SAMPLE_DATETIME,
            "naive": dt.datetime(2024, 5, 17, 13, 45),
            "date": dt.date(2024, 5, 17),
            "time": dt.time(13, 45, 30),
            "decimal": Decimal("12.30"),
            "big_decimal": Decimal("12345678901234567890.123456789"),
            "uuid": SAMPLE_UUID,
            "enum": Color.RED,
            "set": {3, 1, 2},
            "dataclass": Point(1, 2),
            "model": Model(name="x", when=dt.date(2024, 1, 2)),
        }

    @api.endpoint("encode/durations")
    def durations(request: AjaxRequest) -> dict[str, dt.timedelta]:
        return {
            "day": dt.timedelta(days=1, hours=2),
            "short": dt.timedelta(seconds=90),
            "zero": dt.timedelta(0),
        }

    @api.endpoint("encode/aliased")
    def aliased(request: AjaxRequest) -> dict[str, Any]:
        return {"profile": Profile(user_name="ada")}

    @api.endpoint("encode/aliased-result", methods=["POST"])
    def aliased_result(request: AjaxRequest, profile: Profile) -> Profile:
        return profile

    @api.endpoint("encode/custom")
    def custom(request: AjaxRequest) -> dict[str, Any]:
        return {"price": Money(1250)}

    @api.endpoint("encode/bad")
    def bad(request: AjaxRequest) -> dict[str, Any]:
        return {"thing": threading.Lock()}

    @api.endpoint("encode/edges/{kind}")
    def edges(request: AjaxRequest, kind: str) -> Any:
        values: dict[str, Any] = {
            "wide": {"x": 2**64},
            "non-finite": {"x": [1.5, float("nan"), float("inf"), -float("inf")]},
        }
        return values[kind]


def _error_endpoints(api: Ajax, natives: Natives) -> None:
    @api.endpoint("errors/boom")
    def boom(request: AjaxRequest) -> None:
        raise RuntimeError("secret at /etc/ajaxkit/config.py")

    @api.endpoint("errors/conflict")
    def conflict(request: AjaxRequest) -> None:
        raise Conflict("That name is taken.", headers={"X-Why": "duplicate"})

    @api.endpoint("errors/unauthorized")
    def unauthorized(request: AjaxRequest) -> None:
        raise Unauthorized("Log in to see this.")

    @api.endpoint("errors/native/{kind}")
    def native_error(request: AjaxRequest, kind: str) -> None:
        natives.raise_exception(kind, f"native {kind}")

    @api.endpoint("errors/native-bare/{kind}")
    def bare_native_error(request: AjaxRequest, kind: str) -> None:
        natives.raise_exception(kind, None)  # abort(404), HTTPException(404), Http404()

    @api.endpoint("errors/native-missing")
    def missing_row(request: AjaxRequest) -> Any:
        if natives.find_missing is None:
            natives.raise_exception("not_found", None)
        return natives.find_missing()  # type: ignore[misc]  # None is handled above

    @api.endpoint("only-post", methods=["POST"])
    def only_post(request: AjaxRequest) -> dict[str, bool]:
        return {"ok": True}


def _binding_endpoints(api: Ajax) -> None:
    @api.endpoint("users/search", methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
    def search(request: AjaxRequest, q: str = "", limit: int = 10) -> dict[str, Any]:
        return {"q": q, "limit": limit}

    @api.endpoint("params/required", methods=["GET", "POST"])
    def required(request: AjaxRequest, title: str, count: int) -> dict[str, Any]:
        return {"title": title, "count": count}

    @api.endpoint("params/lists", methods=["GET", "POST"])
    def lists(request: AjaxRequest, ids: list[int], tags: list[str] = []) -> dict[str, Any]:
        return {"ids": ids, "tags": tags}

    @api.endpoint("params/photos", methods=["POST"])
    def photos(request: AjaxRequest, photos: list[UploadedFile]) -> list[str]:
        return [photo.filename for photo in photos]

    @api.endpoint("params/strict", methods=["GET", "POST"], unknown_fields="reject")
    def strict(request: AjaxRequest, title: str, count: int = 1) -> dict[str, Any]:
        return {"title": title, "count": count}

    @api.endpoint("params/model", methods=["POST", "GET"])
    def model(request: AjaxRequest, note: NoteIn) -> dict[str, Any]:
        return {"title": note.title, "priority": note.priority}

    @api.endpoint("params/notes", methods=["POST"])
    def notes(request: AjaxRequest, notes: list[NoteIn]) -> list[list[Any]]:
        return [[note.title, note.priority] for note in notes]

    @api.endpoint("params/boards/{board}/notes", methods=["POST"])
    def board_notes(request: AjaxRequest, board: int, notes: list[NoteIn]) -> dict[str, Any]:
        return {"board": board, "titles": [note.title for note in notes]}

    @api.endpoint("params/model-lists", methods=["GET", "POST"])
    def model_lists(request: AjaxRequest, query: NoteFilter) -> NoteFilter:
        return query

    @api.endpoint("params/upload", methods=["POST"])
    def upload(request: AjaxRequest, name: str, file: UploadedFile) -> dict[str, Any]:
        return {"name": name, "filename": file.filename, "size": file.size}

    @api.endpoint("params/attachment", methods=["POST"])
    def attachment(
        request: AjaxRequest, title: str, file: UploadedFile | None = None
    ) -> dict[str, Any]:
        return {"title": title, "file": None if file is None else [file.filename, file.size]}

    @api.endpoint("params/blanks", methods=["GET", "POST"])
    def blanks(
        request: AjaxRequest,
        page: int | None = None,
        limit: int = 10,
        when: dt.date | None = None,
        ids: list[int] = [],
        note: str = "x",
        label: str | None = None,
    ) -> dict[str, Any]:
        return {
            "page": page,
            "limit": limit,
            "when": when,
            "ids": ids,
            "note": note,
            "label": label,
        }

    @api.endpoint("params/blank-model", methods=["POST"])
    def blank_model(request: AjaxRequest, note: NoteIn) -> dict[str, Any]:
        return {"title": note.title, "priority": note.priority}

    @api.endpoint("params/number", methods=["GET", "POST"])
    def number(request: AjaxRequest, x: float) -> dict[str, float]:
        return {"x": x}

    @api.endpoint("params/fields", methods=["GET", "POST"])
    def fields(
        request: AjaxRequest,
        title: str = Field(min_length=2),
        limit: int = Field(10, ge=1, le=50),
        tags: list[str] = Field(default_factory=list, max_length=2),
    ) -> dict[str, Any]:
        tags.append("seen")  # a fresh list per request, as the factory makes
        return {"title": title, "limit": limit, "tags": tags}

    @api.endpoint("notes/{pk}", methods=["GET"])
    def note(request: AjaxRequest, pk: int) -> dict[str, int]:
        return {"pk": pk}

    @api.endpoint("echo", methods=["POST"])
    def echo(request: AjaxRequest) -> Any:
        return request.data


def _auth_endpoints(api: Ajax) -> None:
    @api.endpoint(login_required=True)
    def whoami(request: AjaxRequest) -> dict[str, Any]:
        return {"username": request.user.username}

    @api.endpoint("admin-only", permission=is_admin)
    def admin_only(request: AjaxRequest) -> dict[str, bool]:
        return {"admin": True}

    @api.endpoint("is-authenticated")
    def authenticated(request: AjaxRequest) -> dict[str, bool]:
        return {"authenticated": is_authenticated(request.user)}

    @api.endpoint("submit", methods=["POST"])
    def submit(request: AjaxRequest) -> dict[str, bool]:
        return {"submitted": True}

    @api.endpoint("proxy-headers")
    def proxy_headers(request: AjaxRequest) -> dict[str, str | None]:
        # What a reverse proxy writes about the caller, which code behind it
        # trusts (a rate_key, an address allow-list in a permission).
        return {name: request.headers.get(name) for name in PROXY_HEADERS}

    @api.endpoint("whoami-cached", login_required=True)
    def whoami_cached(request: AjaxRequest) -> Any:
        return {"username": request.user.username}, {"Cache-Control": "private, max-age=60"}

    @api.endpoint("submit-exempt", methods=["POST"], csrf_exempt=True)
    def submit_exempt(request: AjaxRequest) -> dict[str, bool]:
        return {"submitted": True}


def _concurrency_endpoints(api: Ajax) -> None:
    @api.endpoint("async-hello")
    async def async_hello(request: AjaxRequest, name: str = "async") -> dict[str, str]:
        await asyncio.sleep(0)
        return {"message": f"Hello, {name}!"}

    @api.endpoint("sync-loop")
    def sync_loop(request: AjaxRequest) -> dict[str, bool]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return {"loop_running_here": False}
        return {"loop_running_here": True}


def _cookie_endpoints(api: Ajax) -> None:
    @api.endpoint("cookies/set", methods=["POST"])
    def set_cookies(request: AjaxRequest) -> AjaxResponse:
        response = AjaxResponse(
            status=200, body=b"{}", headers={"Content-Type": "application/json"}
        )
        response.headers.add("Link", "</a>; rel=preload")
        response.headers.add("Link", "</b>; rel=preload")
        response.set_cookie("theme", "dark", max_age=3600, httponly=True, secure=True)
        response.set_cookie("lang", "fr", samesite="Strict", path="/ajax")
        response.delete_cookie("old")
        return response

    @api.endpoint("cookies/raw", methods=["POST"])
    def raw_cookies(request: AjaxRequest) -> AjaxResponse:
        # Set-Cookie headers written by hand, as code ported from elsewhere does.
        response = AjaxResponse(body=b"{}", headers={"Content-Type": "application/json"})
        # Not "session": that is Flask's own session cookie, which a later
        # request from the same jar would carry as credentials (rule Y2).
        response.headers.add("Set-Cookie", "sid=s3cret; HttpOnly; Path=/")
        response.headers.add("Set-Cookie", "seen=1; Max-Age=60; Path=/ajax; SameSite=Lax")
        return response

    @api.endpoint("cookies/moved", methods=["POST"])
    def moved_cookie(request: AjaxRequest) -> AjaxResponse:
        # One name on two paths: the old site-wide cookie forgotten, a new
        # one kept for the mount alone.
        response = AjaxResponse(body=b"{}", headers={"Content-Type": "application/json"})
        response.delete_cookie("pref")
        response.set_cookie("pref", "2", path="/ajax")
        response.headers.add("Set-Cookie", "sid=; Max-Age=0; Path=/")
        response.headers.add("Set-Cookie", "sid=3; Path=/ajax")
        return response

    @api.endpoint("cookies/forget-prefixed", methods=["POST"])
    def forget_prefixed(request: AjaxRequest) -> AjaxResponse:
        response = AjaxResponse(body=b"{}", headers={"Content-Type": "application/json"})
        response.delete_cookie("__Host-sid")
        response.delete_cookie("__Secure-pref", path="/ajax")
        return response

    @api.endpoint("cookies/echo")
    def echo_cookies(request: AjaxRequest) -> dict[str, str]:
        return dict(request.cookies)

    @api.endpoint("cookies/attributes/{case}", methods=["POST"])
    def cookie_attributes(request: AjaxRequest, case: str) -> AjaxResponse:
        response = AjaxResponse(body=b"{}", headers={"Content-Type": "application/json"})
        if case not in COOKIE_ATTRIBUTES:
            raise NotFound()
        attributes = dict(COOKIE_ATTRIBUTES[case])
        name = attributes.pop("name", "pref")
        response.set_cookie(name, attributes.pop("value", "1"), **attributes)
        return response

    _header_endpoints(api)


def _header_endpoints(api: Ajax) -> None:
    @api.endpoint("headers/echo/{shape}")
    def echo_header(request: AjaxRequest, shape: str, name: str, value: str) -> Any:
        # A header written from the request, as a download's file name is.
        if shape == "response":
            headers = {"Content-Type": "application/json", name: value}
            return AjaxResponse(body=b"{}", headers=headers)
        if shape == "stream":
            return Stream(iter([b"a"]), media_type="text/plain", headers={name: value})
        if shape == "error":
            raise Conflict("Written from the request.", headers={name: value})
        return {"ok": True}, 200, {name: value}

    @api.endpoint("headers/seen")
    def seen_headers(request: AjaxRequest, names: list[str]) -> dict[str, str | None]:
        return {name: request.headers.get(name) for name in names}

    @api.endpoint("headers/count")
    def count_header(request: AjaxRequest) -> Any:
        return [1, 2, 3], {"X-Total-Count": 3}


#: What the stream endpoints' ``finally`` blocks saw, by run id.
STREAM_CLOSED: dict[str, bool] = {}

#: The generators the stream/generator endpoint returned, by run id.
STREAM_GENERATORS: dict[str, Any] = {}


class HeldChunks:
    """Chunks holding a resource, released by ``close()`` (recorded by run id)."""

    def __init__(self, run: str) -> None:
        self.run, self.left = run, [b"a", b"b"]

    def __iter__(self) -> HeldChunks:
        return self

    def __next__(self) -> bytes:
        if not self.left:
            raise StopIteration
        return self.left.pop(0)

    def close(self) -> None:
        STREAM_CLOSED[self.run] = True


class AsyncHeldChunks:
    """:class:`HeldChunks` made asynchronously, released by ``aclose()``."""

    def __init__(self, run: str) -> None:
        self.held = HeldChunks(run)

    def __aiter__(self) -> AsyncHeldChunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            return next(self.held)
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self.held.close()


def _stream_endpoints(api: Ajax) -> None:
    @api.endpoint("stream/sync")
    def sync_stream(request: AjaxRequest, n: int = 3) -> Any:
        return ({"i": i} for i in range(n))

    @api.endpoint("stream/async")
    async def async_stream(request: AjaxRequest, n: int = 3) -> Any:
        async def items() -> Any:
            for i in range(n):
                await asyncio.sleep(0)
                yield {"i": i}

        return items()

    @api.endpoint("stream/raw")
    def raw_stream(request: AjaxRequest) -> Stream:
        return Stream(iter([b"data: 1\n\n", "data: 2\n\n"]), media_type="text/event-stream")

    @api.endpoint("stream/held")
    def held_stream(request: AjaxRequest, run: str = "", kind: str = "sync") -> Stream:
        # What a handler streaming a file or a cursor returns: chunks that
        # hold something until they are closed.
        chunks = HeldChunks(run) if kind == "sync" else AsyncHeldChunks(run)
        return Stream(chunks, media_type="text/plain")

    @api.endpoint("stream/generator")
    def generator_stream(request: AjaxRequest, run: str = "", kind: str = "sync") -> Any:
        def items() -> Any:
            yield {"i": 0}

        async def aitems() -> Any:
            yield {"i": 0}

        STREAM_GENERATORS[run] = items() if kind == "sync" else aitems()
        return STREAM_GENERATORS[run]

    @api.endpoint("stream/tuple")
    def tuple_stream(request: AjaxRequest, run: str = "", kind: str = "sync") -> Any:
        # A stream with the status and headers of a (body, status, headers) tuple.
        def items() -> Any:
            yield {"i": 0}
            yield {"i": 1}

        async def aitems() -> Any:
            yield {"i": 0}
            yield {"i": 1}

        if kind == "raw":
            return Stream(iter([b"a", b"b"]), media_type="text/plain"), 202, {"X-Count": "2"}
        STREAM_GENERATORS[run] = items() if kind == "sync" else aitems()
        return STREAM_GENERATORS[run], 201, {"X-Count": "2"}

    @api.endpoint("stream/fails")
    def failing_stream(request: AjaxRequest, run: str = "") -> Any:
        def items() -> Any:
            try:
                yield {"i": 0}
                raise RuntimeError("secret mid-stream failure")
            finally:
                STREAM_CLOSED[run] = True

        return items()


#: How long a conformance SSE response lasts: test clients read whole bodies,
#: so streams must end by themselves (as they do under WSGI in production).
#: Every SSE test waits this long, some fifty times a run; what a stream here
#: sends (at most the three-page backlog of L2) is out within a few
#: milliseconds of its start, even under coverage.
LIVE_STREAM_SECONDS = 0.1


def _live_endpoints(api: Ajax, stream_seconds: float) -> None:
    live = Live(
        api, settings=LiveSettings(stream_seconds=stream_seconds, max_topics=3, heartbeat=0)
    )
    live.topic("news")
    live.topic("chat/{room}", authorize=lambda request, topic, action: topic != "chat/closed")
    live.topic("staff", authorize=lambda request, topic, action: is_admin(request))
    live.topic("members", login_required=True)
    live_model_endpoints(api, live)

    @api.endpoint("live/server-kind")
    async def server_kind(request: AjaxRequest) -> Any:
        async def flag() -> Any:
            yield {"sync_server": served_by_sync_server()}

        return flag()

    @api.endpoint("live/publish", methods=["POST"], csrf_exempt=True)
    def publish(request: AjaxRequest, topic: str, n: list[int]) -> dict[str, str]:
        return {"cursor": [live.publish(topic, {"n": each}) for each in n][-1]}

    @api.endpoint("live/revoke-me", methods=["POST"], csrf_exempt=True, login_required=True)
    def revoke_me(request: AjaxRequest) -> None:
        live.revoke(request.user)

    @api.endpoint("live/subscribers")
    def subscribers(request: AjaxRequest) -> dict[str, int]:
        """How many subscriptions listen: what is published from now on reaches them.

        A subscription is registered before it reads where it starts (the
        head, without a cursor), so an event published in between comes
        before its start and is not sent to it.  It has a cursor once that
        read is done.
        """
        listening = [s for s in live.broker.fanout.subscriptions() if s.cursor]
        return {"listening": len(listening)}


#: What the WebSocket endpoints' ``finally`` blocks saw, by run id.
WEBSOCKET_ENDED: dict[str, bool] = {}


def _websocket_endpoints(api: Ajax) -> None:
    @api.websocket("ws/echo")
    async def ws_echo(ws: WebSocket, prefix: str = "") -> None:
        async for message in ws:
            if isinstance(message, str) and message.startswith("{"):
                await ws.send_json({"echo": orjson.loads(message), "when": SAMPLE_DATETIME})
            else:
                await ws.send(prefix + message if isinstance(message, str) else message)

    @api.websocket("ws/whoami", login_required=True)
    async def ws_whoami(ws: WebSocket) -> None:
        await ws.send_json({"username": ws.user.username})

    @api.websocket("ws/is-authenticated")
    async def ws_is_authenticated(ws: WebSocket) -> None:
        # No login_required: the user must still be readable without blocking.
        await ws.send_json({"authenticated": is_authenticated(ws.user)})

    @api.websocket("ws/admin-only", permission=is_admin)
    async def ws_admin_only(ws: WebSocket) -> None:
        await ws.send("admin")

    @api.websocket("ws/boom")
    async def ws_boom(ws: WebSocket) -> None:
        await ws.receive()
        raise RuntimeError("secret in a WebSocket handler")

    @api.websocket("ws/wait/{run}")
    async def ws_wait(ws: WebSocket, run: str) -> None:
        # Waits on something other than the socket: only the client going
        # away can end it.
        try:
            await ws.send("ready")
            await asyncio.Event().wait()
        finally:
            WEBSOCKET_ENDED[run] = True
