import assert from "node:assert/strict";
import { test } from "node:test";

import { BACKOFF_MAX_MS, createClient, HTTPError } from "../../src/ajaxkit/static/ajaxkit.js";
import { parseRetryAfter, retryDelay } from "../../src/ajaxkit/static/ajaxkit/retry.js";
import { answer, quick, stubFetch } from "./helpers.mjs";

test("GET is retried after 503 and a network error, then succeeds", async () => {
  const { fetch, calls } = stubFetch([answer(503, {}), new TypeError("reset"), answer(200, { ok: 1 })]);
  assert.deepEqual(await createClient({ ...quick, fetch }).get("x"), { ok: 1 });
  assert.equal(calls.length, 3);
});

test("retries stop after `retries` and the last error is thrown", async () => {
  const { fetch, calls } = stubFetch([answer(503, { status: 503, code: "unavailable", title: "x" })]);
  await assert.rejects(createClient({ ...quick, fetch, retries: 3 }).get("x"), HTTPError);
  assert.equal(calls.length, 4);
});

test("a 4xx other than 408/429 is final", async () => {
  const { fetch, calls } = stubFetch([answer(404, { status: 404, code: "not_found", title: "x" })]);
  await assert.rejects(createClient({ ...quick, fetch }).get("x"), HTTPError);
  assert.equal(calls.length, 1);
});

test("Retry-After in seconds is waited for", async () => {
  const { fetch, calls } = stubFetch([answer(429, {}, { "retry-after": "1" }), answer(200, {})]);
  const started = Date.now();
  await createClient({ ...quick, fetch }).get("x");
  assert.equal(calls.length, 2);
  assert.ok(Date.now() - started >= 990, "waited for Retry-After");
});

test("a Retry-After longer than the client will wait ends the retries at once", async () => {
  const { fetch, calls } = stubFetch([answer(503, {}, { "retry-after": "3600" }), answer(200, {})]);
  await assert.rejects(createClient({ ...quick, fetch }).get("x"), HTTPError);
  assert.equal(calls.length, 1);
});

test("Retry-After: seconds and HTTP dates", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("7", now), 7000);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon", now), null);
  assert.equal(retryDelay(1, "7", () => 0.5, now), 7000);
});

test("backoff grows exponentially under full jitter and never passes its bound", () => {
  const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((attempt) => retryDelay(attempt, null, () => 0.999999));
  for (let i = 1; i < 6; i += 1) assert.ok(ceilings[i] > ceilings[i - 1]);
  assert.ok(ceilings.every((d) => d <= BACKOFF_MAX_MS));
  assert.equal(retryDelay(3, null, () => 0), 0);
});

test("POST is retried with one Idempotency-Key reused on every try", async () => {
  const { fetch, calls } = stubFetch([answer(503, {}), new TypeError("reset"), answer(201, { id: 1 })]);
  assert.deepEqual(await createClient({ ...quick, fetch }).post("notes", { t: 1 }), { id: 1 });
  const keys = calls.map((c) => c.headers.get("idempotency-key"));
  assert.equal(calls.length, 3);
  assert.match(keys[0], /^"[0-9a-f-]{36}"$/, "an sf-string, as the IETF draft says");
  assert.deepEqual(new Set(keys).size, 1);
});

test("PATCH gets a key too; two POSTs get different keys", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const client = createClient({ ...quick, fetch });
  await client.post("a", {});
  await client.post("a", {});
  await client.patch("a", {});
  const keys = calls.map((c) => c.headers.get("idempotency-key"));
  assert.equal(new Set(keys).size, 3);
});

test("a POST without an Idempotency-Key is never retried", async () => {
  const { fetch, calls } = stubFetch([new TypeError("reset"), answer(201, {})]);
  const client = createClient({ ...quick, fetch });
  await assert.rejects(client.post("notes", {}, { idempotencyKey: false }), /reset/);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].headers.get("idempotency-key"), null);
});

test("a key the caller gives is the one sent", async () => {
  const { fetch, calls } = stubFetch([answer(503, {}), answer(200, {})]);
  await createClient({ ...quick, fetch }).post("notes", {}, { idempotencyKey: "order-7" });
  assert.deepEqual(calls.map((c) => c.headers.get("idempotency-key")), ['"order-7"', '"order-7"']);
});

test("GET and PUT send no Idempotency-Key", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const client = createClient({ ...quick, fetch });
  await client.get("a");
  await client.put("a", {});
  assert.deepEqual(calls.map((c) => c.headers.get("idempotency-key")), [null, null]);
});

test("409 idempotency_in_flight is waited out; another 409 is final", async () => {
  const inFlight = { status: 409, code: "idempotency_in_flight", title: "Conflict" };
  const { fetch, calls } = stubFetch([answer(409, inFlight, { "retry-after": "0" }), answer(201, { id: 1 })]);
  assert.deepEqual(await createClient({ ...quick, fetch }).post("notes", {}), { id: 1 });
  assert.equal(calls.length, 2);
  const other = stubFetch([answer(409, { status: 409, code: "conflict", title: "Conflict" })]);
  await assert.rejects(createClient({ ...quick, fetch: other.fetch }).post("notes", {}), HTTPError);
  assert.equal(other.calls.length, 1);
});
