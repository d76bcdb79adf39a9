"""``_types.d.ts``: declarations an editor (and ``tsc``) accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import BaseModel

from ajaxkit import Ajax, AjaxRequest
from ajaxkit.core.openapi import openapi_document, typescript_declarations
from ajaxkit.core.openapi.typescript import ts_type
from tests.conformance.app import Natives, build_api
from tests.js_dev import js_dev_tools

ROOT = Path(__file__).resolve().parents[2]

#: Uses the declarations as a browser module would; each ``@ts-expect-error``
#: line must be an error, so the types are not all ``unknown``.
USAGE = """\
import type { Client, Endpoints, Result } from "./types";

declare const client: Client;

export async function demo(): Promise<string> {
  const found = await client.call("users/search", { q: "ada", limit: 5 });
  const listed: Result<"params/lists"> = await client.call("params/lists", { ids: [1] });
  const note = await client.call("notes/{pk}", { pk: 3 }, { method: "GET" });
  const pk: number = note.pk;
  const hello: Endpoints["hello"]["result"] = { message: "hi" };
  // @ts-expect-error limit is a number
  await client.call("users/search", { limit: "five" });
  // @ts-expect-error no such endpoint
  await client.call("users/nowhere", {});
  // @ts-expect-error GET only: without a method, call() would POST (a 405)
  await client.call("_live/poll", { topic: ["notes"] });
  await client.call("_live/poll", { topic: ["notes"] }, { method: "GET" });
  // @ts-expect-error title and count are required
  await client.call("params/required", {});
  await client.call("params/notes", { notes: [{ title: "milk" }] });
  // @ts-expect-error a note has a title
  await client.call("params/notes", { notes: [{ priority: 2 }] });
  return `${String(found.q)} ${String(listed.ids)} ${pk} ${hello.message}`;
}
"""


def _unused(*args: object) -> None:
    raise AssertionError("documenting never calls a handler")


def declarations() -> str:
    api = build_api(Natives(response=_unused, raise_exception=_unused))
    return typescript_declarations(openapi_document(api, "/ajax"))


def find_tsc() -> str:
    """The TypeScript compiler locked in ``js/``, installed on first use.

    Skips without node/npm, or fails under ``AJAXKIT_REQUIRE_SERVICES=1`` (CI),
    as the client's own tests do: never a silent skip because another test
    had not installed the tools yet.
    """
    return str(js_dev_tools() / ".bin" / "tsc")


def test_every_endpoint_has_its_entry() -> None:
    text = declarations()
    for route in ("users/search", "params/required", "notes/{pk}", "_live/poll"):
        assert f'  "{route}": {{' in text
    assert '"ws/echo"' not in text  # sockets are not called


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({}, "unknown"),
        ({"type": "integer"}, "number"),
        ({"type": ["string", "null"]}, "string | null"),
        ({"enum": ["a", 1]}, '"a" | 1'),
        ({"type": "array", "items": {"$ref": "#/components/schemas/Point"}}, "Array<Point>"),
        (
            {"type": "object", "additionalProperties": {"type": "boolean"}},
            "{ [key: string]: boolean }",
        ),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "(string | null)"),
        ({"$ref": "#/components/schemas/List[int]"}, "List_int_"),
        (
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "minItems": 2,
                "maxItems": 2,
            },
            "[number, string]",
        ),
        (
            {"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "string"}},
            "[number?, ...Array<string>]",
        ),
    ],
)
def test_json_schema_to_typescript(schema: dict[str, object], expected: str) -> None:
    assert ts_type(schema, 0) == expected


def test_tsc_accepts_the_declarations(tmp_path: Path) -> None:
    (tmp_path / "types.d.ts").write_text(declarations(), encoding="utf-8")
    (tmp_path / "usage.ts").write_text(USAGE, encoding="utf-8")
    _assert_tsc_accepts(tmp_path, "types.d.ts", "usage.ts")


def _assert_tsc_accepts(folder: Path, *files: str) -> None:
    """``tsc --strict`` type-checks ``files`` in ``folder`` without an error."""
    command = [find_tsc(), "--noEmit", "--strict", "--target", "es2022", "--module", "es2022"]
    result = subprocess.run(
        [*command, "--moduleResolution", "bundler", *files],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_tsc_accepts_the_demo_and_model_declarations(tmp_path: Path) -> None:
    # -> tuple[Body, int] results (2XX), required Idempotency-Key headers,
    # model records and pages: what the conformance app's file lacks.
    from examples.demo.api import create_api
    from examples.demo.database import open_database
    from tests.models.backends import SQLAlchemyBackend
    from tests.models.spec import build_api as build_models

    find_tsc()  # skips (or fails under CI) before building anything, without the tools
    demo_database = open_database("sqlite://")
    backend = SQLAlchemyBackend("sqlite")
    try:
        documents = {
            "demo.d.ts": openapi_document(create_api(demo_database), "/ajax"),
            "models.d.ts": openapi_document(build_models(backend, []), "/ajax"),
        }
    finally:
        backend.close()
        demo_database.dispose()
    for name, document in documents.items():
        (tmp_path / name).write_text(typescript_declarations(document), encoding="utf-8")
    _assert_tsc_accepts(tmp_path, *documents)


class Client(BaseModel):
    name: str


class Result(BaseModel):
    score: float


class Blob(BaseModel):
    size: int


#: Models named as the declarations' own types or the globals they use.
NAMESAKES = """\
import type { Client } from "./types";

declare const client: Client;

export async function demo(): Promise<number> {
  const found = await client.call("clients", { name: "ada" });
  // @ts-expect-error a client has a name
  await client.call("clients", { nom: "ada" });
  return found.score + (await client.call("blobs", { size: 1 })).size;
}
"""


def test_tsc_accepts_models_named_as_the_declarations_types(tmp_path: Path) -> None:
    # A CRM's ``Client`` model clashed with the ``Client`` interface (and a
    # ``Result`` with ``Result<N>``, a ``Blob`` with uploads' type): tsc
    # refused the whole file.
    api = Ajax()

    @api.endpoint("clients", methods=["POST"])
    def find(request: AjaxRequest, client: Client) -> Result:
        return Result(score=1.0)

    @api.endpoint("blobs", methods=["POST"])
    def store(request: AjaxRequest, blob: Blob) -> Blob:
        return blob

    text = typescript_declarations(openapi_document(api, "/ajax"))
    (tmp_path / "types.d.ts").write_text(text, encoding="utf-8")
    (tmp_path / "usage.ts").write_text(NAMESAKES, encoding="utf-8")
    _assert_tsc_accepts(tmp_path, "types.d.ts", "usage.ts")


class Point(BaseModel):
    x: int
    y: int


#: A 204 resolves to ``undefined`` (rule K12), never to ``null``.
NO_CONTENT = """\
import type { Client } from "./types";

declare const client: Client;

export async function demo(): Promise<number> {
  const nothing: undefined = await client.call("forget", {});
  const found = await client.call("find", {});
  if (found !== null) {
    // @ts-expect-error None is answered with a 204: undefined
    return found.x;
  }
  return nothing === undefined ? 0 : 1;
}
"""


def test_a_204_is_declared_as_the_undefined_the_client_resolves_to(tmp_path: Path) -> None:
    api = Ajax()

    @api.endpoint("forget", methods=["POST"])
    def forget(request: AjaxRequest) -> None:
        return None

    @api.endpoint("find", methods=["POST"])
    def find(request: AjaxRequest) -> Point | None:
        return None

    text = typescript_declarations(openapi_document(api, "/ajax"))
    (tmp_path / "types.d.ts").write_text(text, encoding="utf-8")
    (tmp_path / "usage.ts").write_text(NO_CONTENT, encoding="utf-8")
    _assert_tsc_accepts(tmp_path, "types.d.ts", "usage.ts")


class Attachment(BaseModel):
    data: bytes


def test_bytes_in_json_are_text_not_a_blob() -> None:
    # JSON carries a ``bytes`` field as a string (pydantic: UTF-8 text), and
    # the client resolves it as one; ``format: binary`` made it a ``Blob``.
    api = Ajax()

    @api.endpoint("attachments", methods=["POST"])
    def attach(request: AjaxRequest, attachment: Attachment) -> Attachment:
        return attachment

    document = openapi_document(api, "/ajax")
    data = document["components"]["schemas"]["Attachment"]["properties"]["data"]
    assert data.get("format") != "binary"
    assert ts_type(data, 0) == "string"
