import assert from "node:assert/strict";
import { test } from "node:test";

import {
  createClient, HTTPError, NetworkError, TimeoutError, ValidationError,
} from "../../src/ajaxkit/static/ajaxkit.js";
import { answer, fixture, quick, stubFetch } from "./helpers.mjs";

const problems = fixture("problems.json");

for (const c of problems.cases) {
  test(`the ${c.name} fixture throws ${c.js_error} carrying the problem`, async () => {
    const { status, headers, body } = c.response;
    const { fetch } = stubFetch([answer(status, body, headers)]);
    const client = createClient({ ...quick, fetch, retries: 0 });
    const error = await client.request(c.request.method, c.request.path.replace("/ajax/", ""), {
      body: c.request.json,
    }).catch((e) => e);
    assert.equal(error.constructor.name, c.js_error);
    assert.ok(error instanceof HTTPError);
    assert.deepEqual(error.problem, body);
    assert.equal(error.status, status);
    assert.equal(error.code, body.code);
    if (error instanceof ValidationError) assert.deepEqual(error.errors, body.errors);
  });
}

test("a non-problem error answer still gets a code to switch on", async () => {
  const { fetch } = stubFetch([new Response("bad gateway", { status: 502 })]);
  const error = await createClient({ ...quick, fetch, retries: 0 }).get("x").catch((e) => e);
  assert.ok(error instanceof HTTPError);
  assert.equal(error.code, "http_502");
  assert.equal(error.problem.detail, "bad gateway");
});

test("no answer at all is a NetworkError", async () => {
  const { fetch } = stubFetch([new TypeError("fetch failed")]);
  const error = await createClient({ ...quick, fetch, retries: 0 }).get("x").catch((e) => e);
  assert.ok(error instanceof NetworkError);
  assert.match(error.message, /fetch failed/);
});

test("an answer slower than the timeout is a TimeoutError", async () => {
  const fetch = (_url, init) => new Promise((_resolve, reject) => {
    init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
  });
  const client = createClient({ ...quick, fetch, retries: 0, timeout: 20 });
  await assert.rejects(client.get("slow"), TimeoutError);
});

test("the caller's abort is not turned into a timeout or retried", async () => {
  const { fetch, calls } = stubFetch([(call) => new Promise((_r, reject) => {
    call.init.signal.addEventListener("abort", () => reject(new DOMException("x", "AbortError")));
  })]);
  const controller = new AbortController();
  const pending = createClient({ ...quick, fetch }).get("x", { signal: controller.signal });
  controller.abort(new Error("left the page"));
  await assert.rejects(pending, /left the page/);
  assert.equal(calls.length, 1);
});

test("success bodies are decoded; 204 is undefined", async () => {
  const { fetch } = stubFetch([answer(200, { a: 1 }), answer(204)]);
  const client = createClient({ ...quick, fetch });
  assert.deepEqual(await client.get("a"), { a: 1 });
  assert.equal(await client.delete("a"), undefined);
});

test("params become the query string; repeated values repeat", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  await createClient({ ...quick, fetch }).get("users/search", { params: { q: "a b", ids: [1, 2] } });
  assert.equal(calls[0].url, "https://app.test/ajax/users/search?q=a+b&ids=1&ids=2");
});

test("call() posts its params as JSON to the endpoint", async () => {
  const { fetch, calls } = stubFetch([answer(200, { ok: true })]);
  await createClient({ ...quick, fetch }).call("users/search", { q: "ada" });
  assert.equal(calls[0].method, "POST");
  assert.equal(calls[0].url, "https://app.test/ajax/users/search");
  assert.equal(calls[0].body, '{"q":"ada"}');
  assert.equal(calls[0].headers.get("content-type"), "application/json");
});

test("call() fills an endpoint's path parameters from its params", async () => {
  // The declarations name endpoints by route ("notes/{pk}") with the path
  // parameters among the params: the call went to ".../notes/{pk}?pk=3".
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const client = createClient({ ...quick, fetch });
  await client.call("notes/{pk}", { pk: 3, expand: "author" }, { method: "GET" });
  await client.call("boards/{board}/notes/{pk:int}", { board: "a b/c", pk: 4, title: "t" }, { method: "PATCH" });
  await client.call("files/{rest:path}", { rest: "a b/c.txt" }, { method: "DELETE" });
  assert.equal(calls[0].url, "https://app.test/ajax/notes/3?expand=author");
  assert.equal(calls[1].url, "https://app.test/ajax/boards/a%20b%2Fc/notes/4");
  assert.equal(calls[1].body, '{"title":"t"}');
  assert.equal(calls[2].url, "https://app.test/ajax/files/a%20b/c.txt");
});

test("call() without a path parameter's value names it", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const error = await createClient({ ...quick, fetch }).call("notes/{pk}", {}, { method: "GET" }).catch((e) => e);
  assert.ok(error instanceof TypeError);
  assert.match(error.message, /pk/);
  assert.equal(calls.length, 0);
});

test("call() with a file among its params sends them as a multipart form", async () => {
  // The declarations type an upload's file as a Blob among the params; sent
  // as JSON, the file was "{}" and the server refused the body.
  const { fetch, calls } = stubFetch([answer(204)]);
  const photo = new File(["png"], "me.png", { type: "image/png" });
  await createClient({ ...quick, fetch }).call("photos/{pk}", { pk: 1, photo, tags: ["a", "b"], caption: null });
  const form = calls[0].body;
  assert.ok(form instanceof FormData);
  assert.equal(calls[0].url, "https://app.test/ajax/photos/1");
  assert.equal(calls[0].headers.get("content-type"), null); // fetch sets the boundary
  assert.equal(/** @type {File} */ (form.get("photo")).name, "me.png");
  assert.deepEqual(form.getAll("tags"), ["a", "b"]);
  assert.equal(form.has("caption"), false);
});

test("an error page mislabelled as JSON is still a typed error", async () => {
  const page = new Response("<html>bad gateway</html>", {
    status: 502, headers: { "content-type": "application/json" },
  });
  const { fetch } = stubFetch([page]);
  const error = await createClient({ ...quick, fetch, retries: 0 }).get("x").catch((e) => e);
  assert.ok(error instanceof HTTPError);
  assert.equal(error.code, "http_502");
});
