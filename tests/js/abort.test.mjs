// A caller's AbortSignal: it ends that caller's call, and no one else's.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient } from "../../src/ajaxkit/static/ajaxkit.js";
import { answer, quick, stubFetch, tick } from "./helpers.mjs";

/** A fetch whose answers wait until `release()`, and that honours its signal. */
function heldFetch(body = { ok: true }) {
  const waiting = [];
  const stub = stubFetch([
    (call) => new Promise((resolve, reject) => {
      waiting.push(() => resolve(answer(200, body)));
      call.init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    }),
  ]);
  return { ...stub, release: () => waiting.splice(0).forEach((go) => go()) };
}

test("a signal aborted before the call sends nothing", async () => {
  const { fetch, calls } = stubFetch([answer(201, { id: 1 })]);
  const controller = new AbortController();
  controller.abort(new Error("gone"));
  for (const coalesce of [false, true]) {
    const client = createClient({ ...quick, fetch, coalesce });
    await assert.rejects(client.post("notes", { title: "x" }, { signal: controller.signal }), /gone/);
    await assert.rejects(client.get("users", { signal: controller.signal }), /gone/);
  }
  assert.equal(calls.length, 0);
});

test("one caller aborting a shared GET leaves the others their answer", async () => {
  const { fetch, calls, release } = heldFetch({ n: 1 });
  const client = createClient({ ...quick, fetch });
  const controller = new AbortController();
  const first = client.get("users", { signal: controller.signal });
  const second = client.get("users");
  await tick();
  controller.abort(new Error("first left"));
  await assert.rejects(first, /first left/);
  release();
  assert.deepEqual(await second, { n: 1 });
  assert.equal(calls.length, 1);
});

test("a later sharer's abort rejects it at once; the request ends when all have left", async () => {
  const { fetch, calls } = heldFetch();
  const client = createClient({ ...quick, fetch });
  const one = new AbortController();
  const two = new AbortController();
  const first = client.get("users", { signal: one.signal });
  const second = client.get("users", { signal: two.signal });
  await tick();
  two.abort(new Error("second left"));
  await assert.rejects(second, /second left/);
  assert.equal(calls[0].init.signal.aborted, false, "the first caller still waits");
  one.abort(new Error("first left"));
  await assert.rejects(first, /first left/);
  assert.equal(calls[0].init.signal.aborted, true, "nobody waits: the request is given up");
  const { fetch: fetch2 } = stubFetch([answer(200, { fresh: true })]);
  client.fetch = fetch2;
  assert.deepEqual(await client.get("users"), { fresh: true }, "a new caller does not join the given-up request");
});

test("an aborted coalesced call rejects at once and leaves its batch", async () => {
  const { fetch, calls } = stubFetch([answer(200, { hello: true })]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  const controller = new AbortController();
  const kept = client.get("hello");
  const dropped = client.post("notes", { title: "x" }, { signal: controller.signal });
  controller.abort(new Error("gone"));
  await assert.rejects(dropped, /gone/);
  assert.deepEqual(await kept, { hello: true });
  assert.deepEqual(calls.map((c) => c.url), ["https://app.test/ajax/hello"], "the POST was never sent");
});

test("a coalesced call aborted while its batch is in flight rejects at once", async () => {
  const { fetch, release } = heldFetch({ items: [{ status: 200, headers: {}, body: 1 }, { status: 200, headers: {}, body: 2 }] });
  const client = createClient({ ...quick, fetch, coalesce: true });
  const controller = new AbortController();
  const kept = client.get("a");
  const left = client.get("b", { signal: controller.signal });
  await tick();
  controller.abort(new Error("gone"));
  await assert.rejects(left, /gone/);
  release();
  assert.equal(await kept, 1);
});
