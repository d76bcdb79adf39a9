import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { createClient } from "../../src/ajaxkit/static/ajaxkit.js";
import { answer, FakeEventSource, fixture, flush, quick, stubFetch, tick } from "./helpers.mjs";

const sse = fixture("sse.json");
beforeEach(() => FakeEventSource.reset());

test("GETs to the same URL in flight together share one request", async () => {
  const { fetch, calls } = stubFetch([answer(200, { n: 1 })]);
  const client = createClient({ ...quick, fetch });
  const [a, b] = await Promise.all([client.get("users", { params: { q: "a" } }), client.get("users", { params: { q: "a" } })]);
  assert.deepEqual(a, b);
  assert.equal(calls.length, 1);
  await client.get("users", { params: { q: "a" } });
  assert.equal(calls.length, 2, "no cache unless asked for");
});

test("POSTs are never shared", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const client = createClient({ ...quick, fetch });
  await Promise.all([client.post("a", {}), client.post("a", {})]);
  assert.equal(calls.length, 2);
});

test("a cached GET is answered from the cache until its TTL passes", async () => {
  let now = 1000;
  const { fetch, calls } = stubFetch([answer(200, { n: 1 })]);
  const client = createClient({ ...quick, fetch, now: () => now });
  await client.get("a", { cache: 500 });
  await client.get("a", { cache: 500 });
  assert.equal(calls.length, 1);
  now += 501;
  await client.get("a", { cache: 500 });
  assert.equal(calls.length, 2);
});

test("invalidate() by path drops the cached answer", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const client = createClient({ ...quick, fetch, cache: 60_000 });
  await client.get("users/1");
  await client.get("notes/1");
  client.invalidate({ path: "users" });
  await client.get("users/1");
  await client.get("notes/1");
  assert.equal(calls.length, 3);
});

test("a live event on a topic drops the answers cached for it", async () => {
  const { fetch, calls: all } = stubFetch([answer(200, { n: 1 })]);
  const calls = { get length() { return all.filter((c) => !c.url.includes("/_live/")).length; } };
  const client = createClient({ ...quick, fetch, cache: 60_000, EventSource: FakeEventSource });
  await client.get("rooms/lobby", { invalidateOn: ["chat/lobby"] });
  await client.get("rooms/lobby", { invalidateOn: ["chat/lobby"] });
  assert.equal(calls.length, 1);
  await flush();
  const [source] = FakeEventSource.instances;
  assert.match(source.url, /topic=chat%2Flobby/);
  source.feed(sse.frames[1].text);
  await client.get("rooms/lobby", { invalidateOn: ["chat/lobby"] });
  assert.equal(calls.length, 2);
  assert.equal(client.live.subscriptions.size, 1, "one watcher per topic, however often fetched");
});

test("ajaxkit-reset clears the whole cache: events were missed", async () => {
  const { fetch, calls } = stubFetch([answer(200, {})]);
  const client = createClient({ ...quick, fetch, cache: 60_000, EventSource: FakeEventSource });
  await client.get("a");
  client.subscribe(["chat/lobby"], () => {});
  await flush();
  FakeEventSource.instances[0].feed(sse.frames[3].text);
  await client.get("a");
  assert.equal(calls.filter((c) => !c.url.includes("/_live/")).length, 2);
  await tick();
});
