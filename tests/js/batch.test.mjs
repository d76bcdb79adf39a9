import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient, ValidationError } from "../../src/ajaxkit/static/ajaxkit.js";
import { answer, fixture, quick, stubFetch } from "./helpers.mjs";

const [pair] = fixture("batch.json").pairs;

test("calls made in the same tick go as one batch in the fixture's wire shape", async () => {
  const { fetch, calls } = stubFetch([answer(200, pair.response)]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  const [hello, params, failed] = await Promise.allSettled(
    pair.request.items.map((item) => client.request(item.method, item.path, item)),
  );
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, "https://app.test/ajax/_batch");
  assert.deepEqual(JSON.parse(calls[0].body), pair.request);
  assert.ok(calls[0].headers.get("idempotency-key"));
  assert.deepEqual(hello.value, pair.response.items[0].body);
  assert.deepEqual(params.value, pair.response.items[1].body);
  assert.ok(failed.reason instanceof ValidationError);
  assert.deepEqual(failed.reason.errors, pair.response.items[2].body.errors);
});

test("a lone call is sent as itself; later ticks make new batches", async () => {
  const { fetch, calls } = stubFetch([answer(200, { message: "hi" })]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  await client.get("hello");
  assert.equal(calls[0].url, "https://app.test/ajax/hello");
});

test("without coalesce, calls are separate requests", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const client = createClient({ ...quick, fetch });
  await Promise.all([client.get("a"), client.get("b")]);
  assert.deepEqual(calls.map((c) => c.url), ["https://app.test/ajax/a", "https://app.test/ajax/b"]);
});

test("a server without _batch gets the calls one by one, and is not asked again", async () => {
  const { fetch, calls } = stubFetch([
    (call) => call.url.endsWith("/_batch")
      ? answer(404, { status: 404, code: "not_found", title: "Not Found" })
      : answer(200, { url: call.url }),
  ]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  const results = await Promise.all([client.get("a"), client.get("b")]);
  assert.deepEqual(results.map((r) => r.url), ["https://app.test/ajax/a", "https://app.test/ajax/b"]);
  await Promise.all([client.get("c"), client.get("d")]);
  assert.equal(calls.filter((c) => c.url.endsWith("/_batch")).length, 1);
});

test("batch() sends the items as given and returns the raw results", async () => {
  const { fetch, calls } = stubFetch([answer(200, pair.response)]);
  const results = await createClient({ ...quick, fetch }).batch(pair.request.items);
  assert.deepEqual(JSON.parse(calls[0].body), pair.request);
  assert.deepEqual(results, pair.response.items);
});

test("absolute URLs are never coalesced: a batch holds paths below the mount", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  await Promise.all([client.get("/elsewhere/a"), client.get("https://cdn.test/b")]);
  assert.deepEqual(calls.map((c) => c.url), ["/elsewhere/a", "https://cdn.test/b"]);
});

test("more calls than a batch may hold are split at the server's max_items", async () => {
  const sizes = [];
  const { fetch } = stubFetch([(call) => {
    const { items } = JSON.parse(call.body);
    sizes.push(items.length);
    return answer(200, { items: items.map(() => ({ status: 200, headers: {}, body: 1 })) });
  }]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  await Promise.all(Array.from({ length: 25 }, (_, i) => client.get(`n/${i}`)));
  assert.deepEqual(sizes, [20, 5]);
  const small = createClient({ ...quick, fetch, coalesce: true, maxBatch: 5 });
  sizes.length = 0;
  await Promise.all(Array.from({ length: 7 }, (_, i) => small.get(`n/${i}`)));
  assert.deepEqual(sizes, [5, 2]);
});

test("null, undefined and Date params are sent alike, alone or coalesced", async () => {
  const params = { q: "x", page: null, skip: undefined, tag: ["a", null, undefined, 2], none: [], at: new Date(0) };
  const alone = stubFetch([answer(200, {})]);
  await createClient({ ...quick, fetch: alone.fetch }).get("a", { params });
  assert.equal(alone.calls[0].url, "https://app.test/ajax/a?q=x&tag=a&tag=2&at=1970-01-01T00%3A00%3A00.000Z");
  const { fetch, calls } = stubFetch([answer(200, { items: [{ status: 200, headers: {}, body: 1 }, { status: 200, headers: {}, body: 2 }] })]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  await Promise.all([client.get("a", { params }), client.get("b")]);
  // The batch item schema has no null: one would make the whole batch a 422.
  assert.deepEqual(JSON.parse(calls[0].body).items[0].params, { q: "x", tag: ["a", 2], at: "1970-01-01T00:00:00.000Z" });
});

test("undefined params are left out of a batch item", async () => {
  const { fetch, calls } = stubFetch([answer(200, pair.response)]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  await Promise.all([client.get("a", { params: { q: "x", page: undefined } }), client.get("b")]);
  assert.deepEqual(JSON.parse(calls[0].body).items[0].params, { q: "x" });
});

test("batch(items, {atomic: true}) sends atomic and returns every item, 424s included", async () => {
  const atomic = fixture("batch.json").pairs.find((p) => p.name === "an_atomic_batch_rolled_back");
  const { fetch, calls } = stubFetch([answer(200, atomic.response)]);
  const results = await createClient({ ...quick, fetch }).batch(atomic.request.items, { atomic: true });
  assert.deepEqual(JSON.parse(calls[0].body), atomic.request);
  assert.deepEqual(results.map((r) => r.status), [424, 422, 424]);
  assert.deepEqual(results.map((r) => r.body.code), ["batch_rolled_back", "validation_failed", "batch_not_run"]);
  assert.equal(results[0].body.failed_item, 1);
});

const binary = fixture("batch.json").pairs.find((p) => p.name === "a_binary_item");
const binaryItem = binary.response.items[0];
const binaryBytes = Buffer.from(binaryItem.body, "base64");

/** The bytes and type a call resolved to, to compare a coalesced call with one sent alone. */
async function bytesOf(value) {
  assert.ok(value instanceof Blob, `a Blob, not ${typeof value}`);
  return { type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
}

test("a binary item of a coalesced batch resolves to the Blob the call alone resolves to", async () => {
  const { fetch } = stubFetch([answer(200, binary.response)]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  const [image, hello] = await Promise.all(
    binary.request.items.map((item) => client.request(item.method, item.path)),
  );
  assert.deepEqual(hello, binary.response.items[1].body);
  const batched = await bytesOf(image);
  assert.deepEqual(batched, { type: "image/png", bytes: binaryBytes });

  const alone = new Response(binaryBytes, { status: 200, headers: binaryItem.headers });
  const single = createClient({ ...quick, fetch: stubFetch([alone]).fetch });
  assert.deepEqual(await bytesOf(await single.get("native/binary")), batched);
});

test("an answer that is not text resolves to a Blob; text stays text", async () => {
  const bytes = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1: not UTF-8
  const cases = [
    [new Response(bytes, { headers: { "content-type": "application/octet-stream" } }), "blob"],
    [new Response(bytes, { headers: { "content-type": "text/plain" } }), "blob"],
    [new Response("plain é", { headers: { "content-type": "text/plain; charset=utf-8" } }), "plain é"],
    [new Response("<a/>", { headers: { "content-type": "application/xml" } }), "<a/>"],
  ];
  for (const [response, expected] of cases) {
    const value = await createClient({ ...quick, fetch: stubFetch([response]).fetch }).get("x");
    if (expected === "blob") assert.deepEqual((await bytesOf(value)).bytes, bytes);
    else assert.equal(value, expected);
  }
});

test("batch() returns a binary item as the server sent it, base64 and encoding", async () => {
  const { fetch } = stubFetch([answer(200, binary.response)]);
  const results = await createClient({ ...quick, fetch }).batch(binary.request.items);
  assert.deepEqual(results, binary.response.items);
});

const marked = fixture("batch.json").pairs.find((p) => p.name === "empty_and_byte_order_marked_items");
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

test("empty and byte-order-marked items resolve as the calls alone do (K12)", async () => {
  const { fetch } = stubFetch([answer(200, marked.response)]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  const batched = await Promise.all(marked.request.items.map((item) => client.get(item.path)));
  const alone = [
    new Response("", { headers: { "content-type": "text/plain" } }),
    new Response(Buffer.concat([BOM, Buffer.from('{"ok": true}')]), { headers: { "content-type": "text/plain; charset=utf-8" } }),
    new Response(Buffer.concat([BOM, Buffer.from('{"ok": true}')]), { headers: { "content-type": "application/json" } }),
  ];
  const single = await Promise.all(
    alone.map((response) => createClient({ ...quick, fetch: stubFetch([response]).fetch }).get("x")),
  );
  assert.deepEqual(batched, single);
});

/** What a call resolved to, or the problem it was refused with. */
async function settled(call) {
  try {
    return { value: await call };
  } catch (error) {
    return { problem: error.problem };
  }
}

test("a coalesced 204 or 304 settles as the call alone does (K12)", async () => {
  const items = [204, 304].map((status) => ({ status, headers: {}, body: "" }));
  const client = createClient({ ...quick, fetch: stubFetch([answer(200, { items })]).fetch, coalesce: true });
  const batched = await Promise.all([settled(client.get("a")), settled(client.get("b"))]);
  const alone = await Promise.all([204, 304].map((status) => {
    const fetch = stubFetch([new Response(null, { status })]).fetch;
    return settled(createClient({ ...quick, fetch }).get("x"));
  }));
  assert.deepEqual(batched, alone);
});

test("a call with a timeout, retries or key of its own goes alone: a batch could not honour them", async () => {
  const { fetch, calls } = stubFetch([(call) => answer(200, { url: call.url })]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  await Promise.all([
    client.post("notes", { title: "a" }, { idempotencyKey: "chosen-key" }),
    client.post("notes", { title: "b" }, { idempotencyKey: false }),
    client.get("slow", { timeout: 60_000 }),
    client.get("once", { retries: 0 }),
  ]);
  assert.deepEqual(calls.map((c) => c.url).sort(), [
    "https://app.test/ajax/notes", "https://app.test/ajax/notes",
    "https://app.test/ajax/once", "https://app.test/ajax/slow",
  ]);
  const posts = calls.filter((c) => c.url.endsWith("/notes"));
  assert.deepEqual(posts.map((c) => c.headers.get("idempotency-key")).sort(), ['"chosen-key"', null].sort());
});

test("a coalesced call answered 503 or 429 is retried, as the call alone is", async () => {
  const busy = { type: "about:blank", title: "Service Unavailable", status: 503, code: "service_unavailable" };
  const limited = { ...busy, title: "Too Many Requests", status: 429, code: "rate_limited" };
  const items = [
    { status: 503, headers: { "content-type": "application/problem+json" }, body: busy },
    { status: 429, headers: { "content-type": "application/problem+json", "retry-after": "0" }, body: limited },
    { status: 200, headers: { "content-type": "application/json" }, body: { n: 3 } },
  ];
  const { fetch, calls } = stubFetch([
    (call) => call.url.endsWith("/_batch") ? answer(200, { items }) : answer(200, { url: call.url }),
  ]);
  const client = createClient({ ...quick, fetch, coalesce: true });
  const [a, b, c] = await Promise.all([client.get("a"), client.post("b", {}), client.get("c")]);
  assert.deepEqual([a, b, c], [{ url: "https://app.test/ajax/a" }, { url: "https://app.test/ajax/b" }, { n: 3 }]);
  const retried = calls.slice(1);
  assert.deepEqual(retried.map((call) => `${call.method} ${call.url}`).sort(), [
    "GET https://app.test/ajax/a", "POST https://app.test/ajax/b",
  ]);
  // Alone, the POST has the key that makes it safe to retry (I1).
  assert.ok(retried.find((call) => call.method === "POST").headers.get("idempotency-key"));
});

test("a coalesced call is retried no more than the call alone would be", async () => {
  const busy = { type: "about:blank", title: "Service Unavailable", status: 503, code: "service_unavailable" };
  const item = { status: 503, headers: { "content-type": "application/problem+json" }, body: busy };
  const { fetch, calls } = stubFetch([
    (call) => call.url.endsWith("/_batch") ? answer(200, { items: [item, item] }) : answer(503, busy),
  ]);
  const client = createClient({ ...quick, fetch, coalesce: true, retries: 1 });
  const settled = await Promise.allSettled([client.get("a"), client.get("b")]);
  assert.deepEqual(settled.map((s) => s.reason?.status), [503, 503]);
  assert.equal(calls.length, 3); // the batch, then one retry each
  const none = createClient({ ...quick, fetch, coalesce: true, retries: 0 });
  await Promise.allSettled([none.get("a"), none.get("b")]);
  assert.equal(calls.length, 4); // the batch only
});
