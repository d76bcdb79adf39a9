import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient, NetworkError, TimeoutError } from "../../src/ajaxkit/static/ajaxkit.js";
import { readCookie, sameOrigin } from "../../src/ajaxkit/static/ajaxkit/csrf.js";
import { answer, fixture, quick, stubFetch } from "./helpers.mjs";

const csrf = fixture("problems.json").csrf_failed.response;

test("the token goes on unsafe same-origin requests only", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const client = createClient({ ...quick, fetch, csrfToken: "tok" });
  await client.post("a", {});
  await client.get("a");
  await client.post("https://evil.test/steal", {});
  await client.post("//evil.test/steal", {});
  await client.delete("/ajax/a");
  assert.deepEqual(calls.map((c) => c.headers.get("x-csrftoken")), ["tok", null, null, null, "tok"]);
});

test("a mount on another origin gets no token", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  await createClient({ ...quick, base: "https://api.other.test/ajax", fetch, csrfToken: "tok" })
    .post("a", {});
  assert.equal(calls[0].headers.get("x-csrftoken"), null);
});

test("the token is read from the csrftoken cookie when the page gives none", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  globalThis.document = { cookie: "sessionid=x; csrftoken=from%20cookie" };
  try {
    await createClient({ ...quick, fetch }).post("a", {});
  } finally {
    delete globalThis.document;
  }
  assert.equal(calls[0].headers.get("x-csrftoken"), "from cookie");
});

test("csrf_failed refreshes the token and retries once, with the same key", async () => {
  const { fetch, calls } = stubFetch([
    answer(csrf.status, csrf.body),
    answer(200, { token: "fresh" }),
    answer(201, { id: 1 }),
  ]);
  const client = createClient({ ...quick, fetch, csrfToken: "stale", retries: 0 });
  assert.deepEqual(await client.post("notes", {}), { id: 1 });
  assert.deepEqual(calls.map((c) => c.url), [
    "https://app.test/ajax/notes", "https://app.test/ajax/_csrf", "https://app.test/ajax/notes",
  ]);
  assert.equal(calls[0].headers.get("x-csrftoken"), "stale");
  assert.equal(calls[2].headers.get("x-csrftoken"), "fresh");
  assert.equal(calls[0].headers.get("idempotency-key"), calls[2].headers.get("idempotency-key"));
});

test("a second csrf_failed is final, and the refresh URL is configurable", async () => {
  const { fetch, calls } = stubFetch([
    answer(csrf.status, csrf.body), answer(200, { token: "t" }), answer(csrf.status, csrf.body),
  ]);
  const client = createClient({ ...quick, fetch, csrfToken: "x", csrfRefreshUrl: "/token" });
  const error = await client.post("notes", {}).catch((e) => e);
  assert.equal(error.code, "csrf_failed");
  assert.equal(calls.length, 3);
  assert.equal(calls[1].url, "/token");
});

test("a refresh that gets no answer is a NetworkError or a TimeoutError, never a hang", async () => {
  const refused = stubFetch([
    (call) => call.url.endsWith("/_csrf") ? new TypeError("Failed to fetch") : answer(csrf.status, csrf.body),
  ]);
  const offline = createClient({ ...quick, fetch: refused.fetch, csrfToken: "x", retries: 0 });
  await assert.rejects(offline.post("notes", {}), NetworkError);
  const held = stubFetch([
    (call) => call.url.endsWith("/_csrf")
      ? new Promise((_resolve, reject) => {
        call.init.signal?.addEventListener("abort", () => reject(new DOMException("x", "AbortError")));
      })
      : answer(csrf.status, csrf.body),
  ]);
  const slow = createClient({ ...quick, fetch: held.fetch, csrfToken: "x", retries: 0, timeout: 20 });
  await assert.rejects(slow.post("notes", {}), TimeoutError);
  const leaving = new AbortController();
  const pending = createClient({ ...quick, fetch: held.fetch, csrfToken: "x", timeout: 0 })
    .post("notes", {}, { signal: leaving.signal });
  setTimeout(() => leaving.abort(new Error("left")), 20);
  await assert.rejects(pending, /left/);
});

test("calls refused together share one refresh", async () => {
  const { fetch, calls } = stubFetch([
    (call) => call.url.endsWith("/_csrf") ? answer(200, { token: "fresh" })
      : call.headers.get("x-csrftoken") === "fresh" ? answer(201, {}) : answer(csrf.status, csrf.body),
  ]);
  const client = createClient({ ...quick, fetch, csrfToken: "stale" });
  await Promise.all([1, 2, 3].map(() => client.post("notes", {})));
  assert.equal(calls.filter((c) => c.url.endsWith("/_csrf")).length, 1);
  assert.equal(calls.length, 7);
});

test("a cross-origin 403 csrf_failed does not fetch a token", async () => {
  const { fetch, calls } = stubFetch([answer(csrf.status, csrf.body)]);
  await assert.rejects(createClient({ ...quick, fetch }).post("https://other.test/x", {}));
  assert.equal(calls.length, 1);
});

test("origin and cookie helpers", () => {
  assert.ok(sameOrigin("/ajax/x", "https://a.test"));
  assert.ok(!sameOrigin("https://b.test/x", "https://a.test"));
  assert.ok(!sameOrigin("http://a.test/x", "https://a.test"));
  assert.ok(sameOrigin("x", undefined));
  assert.ok(!sameOrigin("https://b.test/x", undefined));
  assert.equal(readCookie("a=1; csrftoken=abc", "csrftoken"), "abc");
  assert.equal(readCookie("a=1", "csrftoken"), null);
});

test("a <meta name=csrf-token> beats the cookie", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  globalThis.document = {
    cookie: "csrftoken=cookie",
    querySelector: (s) => (s === 'meta[name="csrf-token"]' ? { content: "meta" } : null),
  };
  try {
    await createClient({ ...quick, fetch }).post("a", {});
  } finally {
    delete globalThis.document;
  }
  assert.equal(calls[0].headers.get("x-csrftoken"), "meta");
});
