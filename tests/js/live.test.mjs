import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { createClient } from "../../src/ajaxkit/static/ajaxkit.js";
import { SSE_FAILURES_BEFORE_POLL } from "../../src/ajaxkit/static/ajaxkit/live.js";
import { answer, FakeEventSource, fixture, quick, stubFetch, tick } from "./helpers.mjs";

const sse = fixture("sse.json");
const [open, first, second, reset] = sse.frames;
beforeEach(() => FakeEventSource.reset());

const liveClient = (fetch = stubFetch([answer(200, {})]).fetch) =>
  createClient({ ...quick, fetch, EventSource: FakeEventSource });

test("the fixture's frames reach the handler with their ids", () => {
  const client = liveClient();
  const got = [];
  client.subscribe(["chat/lobby"], (data, meta) => got.push([data, meta]));
  const [source] = FakeEventSource.instances;
  assert.equal(source.url, "https://app.test/ajax/_live/sse?topic=chat%2Flobby");
  assert.equal(source.init, undefined, "no credentials for other origins");
  source.feed(open.text + first.text + second.text);
  assert.deepEqual(got, [
    [first.data, { topic: first.topic, id: first.id }],
    [second.data, { topic: second.topic, id: second.id }],
  ]);
});

test("one EventSource carries every topic; a new topic reopens it with the cursor", () => {
  const client = liveClient();
  const lobby = [], news = [];
  client.subscribe(["chat/lobby"], (d) => lobby.push(d));
  FakeEventSource.instances[0].feed(first.text);
  client.subscribe(["news"], (d) => news.push(d));
  const [old, current] = FakeEventSource.instances;
  assert.ok(old.closed);
  assert.equal(FakeEventSource.instances.length, 2);
  assert.equal(current.url, `https://app.test/ajax/_live/sse?topic=chat%2Flobby&topic=news&cursor=${encodeURIComponent(first.id)}`);
  // The backlog replayed after the cursor may repeat what the old stream sent.
  current.feed(first.text + second.text);
  assert.deepEqual(lobby, [first.data, second.data]);
  assert.deepEqual(news, []);
});

test("subscribing again to a topic already open reuses the connection; unsubscribing closes", () => {
  const client = liveClient();
  const stopA = client.subscribe(["chat/lobby"], () => {});
  const stopB = client.subscribe(["chat/lobby"], () => {});
  assert.equal(FakeEventSource.instances.length, 1);
  stopA();
  assert.equal(FakeEventSource.instances.length, 1);
  stopB();
  assert.ok(FakeEventSource.instances[0].closed);
});

test("ajaxkit-reset moves the cursor and tells the subscribers", () => {
  const client = liveClient();
  const resets = [];
  client.subscribe(["chat/lobby"], () => {}, { onReset: (cursor) => resets.push(cursor) });
  FakeEventSource.instances[0].feed(reset.text);
  assert.deepEqual(resets, [reset.cursor]);
  client.subscribe(["news"], () => {});
  assert.match(FakeEventSource.instances[1].url, new RegExp(`cursor=${encodeURIComponent(reset.cursor)}$`));
});

test("without EventSource the client long-polls, resuming with each answer's cursor", async () => {
  const { fetch, calls } = stubFetch([
    answer(200, sse.poll),
    () => new Promise(() => {}),
  ]);
  const client = createClient({ ...quick, fetch, EventSource: null });
  const got = [];
  const stop = client.subscribe(["chat/lobby"], (d, meta) => got.push([d, meta.id]));
  await tick();
  assert.deepEqual(got, sse.poll.events.map((e) => [e.data, e.id]));
  assert.equal(calls[0].url, "https://app.test/ajax/_live/poll?topic=chat%2Flobby");
  assert.equal(calls[1].url, `https://app.test/ajax/_live/poll?topic=chat%2Flobby&cursor=${encodeURIComponent(sse.poll.cursor)}&timeout=25`);
  stop();
});

test("an EventSource that keeps failing gives way to long-poll", async () => {
  const { fetch, calls } = stubFetch([() => new Promise(() => {})]);
  const client = liveClient(fetch);
  const stop = client.subscribe(["chat/lobby"], () => {});
  const [source] = FakeEventSource.instances;
  for (let i = 0; i < SSE_FAILURES_BEFORE_POLL; i += 1) source.emit("error");
  await tick();
  assert.ok(source.closed);
  assert.equal(calls.length, 1);
  assert.match(calls[0].url, /_live\/poll\?topic=chat%2Flobby/);
  stop();
});

test("a refused stream (closed by the browser) falls back to poll, whose error reaches onError", async () => {
  const refusal = { type: "about:blank", title: "Forbidden", status: 403, code: "forbidden" };
  const { fetch } = stubFetch([answer(403, refusal), () => new Promise(() => {})]);
  const errors = [];
  const client = liveClient(fetch);
  const stop = client.subscribe(["chat/staff"], () => {}, { onError: (e) => errors.push(e.code) });
  const [source] = FakeEventSource.instances;
  source.readyState = 2;
  source.emit("error");
  await tick();
  assert.deepEqual(errors, ["forbidden"]);
  stop();
});

test("a cursor given to subscribe() is where the first connection resumes", () => {
  const client = liveClient();
  client.subscribe(["chat/lobby"], () => {}, { cursor: open.cursor });
  assert.match(FakeEventSource.instances[0].url, new RegExp(`cursor=${encodeURIComponent(open.cursor)}$`));
});

test("a long-poll answer with reset tells the subscribers and moves on", async () => {
  const { fetch, calls } = stubFetch([
    answer(200, { cursor: reset.cursor, reset: true, events: [] }),
    () => new Promise(() => {}),
  ]);
  const client = createClient({ ...quick, fetch, EventSource: null });
  const resets = [];
  const stop = client.subscribe(["chat/lobby"], () => {}, { cursor: first.id, onReset: (c) => resets.push(c) });
  await tick();
  assert.deepEqual(resets, [reset.cursor]);
  assert.match(calls[1].url, new RegExp(`cursor=${encodeURIComponent(reset.cursor)}`));
  stop();
});

test("a client that caches GETs still asks the server for every long-poll", async () => {
  // An idle long-poll answers the cursor it was given, so the next poll has the
  // same URL.  Answered from the cache, the loop would spin on resolved promises
  // and freeze the page until the entry expired; here the clock never moves, so
  // the stub clock gives up (throws) after many reads instead of hanging the test.
  const idle = answer(200, { cursor: open.cursor, reset: false, events: [] });
  const { fetch, calls } = stubFetch([idle, idle, () => new Promise(() => {})]);
  let reads = 0;
  const now = () => {
    reads += 1;
    if (reads > 1000) throw new Error("the long-poll loop is spinning on the cache");
    return 0;
  };
  const errors = [];
  const client = createClient({ ...quick, fetch, EventSource: null, cache: 60_000, now });
  const stop = client.subscribe(["chat/lobby"], () => {}, { onError: (e) => errors.push(e.message) });
  try {
    await tick();
    assert.deepEqual(errors, []);
    assert.equal(calls.length, 3);
    assert.equal(calls[1].url, calls[2].url);
  } finally {
    stop();
  }
});
