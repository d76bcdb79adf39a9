// Stubs for the client's tests: a scripted fetch and an EventSource fed SSE text.
import { readFileSync } from "node:fs";

export const fixture = (name) =>
  JSON.parse(readFileSync(new URL(`../protocol/${name}`, import.meta.url), "utf8"));

/** An answer for the stub fetch. */
export function answer(status, body, headers = {}) {
  const type = status >= 400 ? "application/problem+json" : "application/json";
  const text = body === undefined ? "" : JSON.stringify(body);
  return new Response(status === 204 ? null : text, {
    status,
    headers: { "content-type": type, ...headers },
  });
}

/**
 * A fetch answering from `script` (a list of answers or functions of the request,
 * used in order; the last one repeats) and recording every request.
 */
export function stubFetch(script) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    const call = { url: String(url), method: init.method ?? "GET", headers, body: init.body, init };
    calls.push(call);
    const step = script[Math.min(calls.length - 1, script.length - 1)];
    const result = typeof step === "function" ? await step(call) : step;
    if (result instanceof Error) throw result;
    return result.clone();
  };
  return { fetch, calls };
}

/** A client's default stubs: no waiting, no randomness. */
export const quick = { random: () => 0, origin: "https://app.test", base: "https://app.test/ajax" };

/** An EventSource the test drives: `FakeEventSource.instances` holds every one opened. */
export class FakeEventSource {
  static instances = [];
  constructor(url, init) {
    this.url = url;
    this.init = init;
    this.readyState = 0;
    this.listeners = new Map();
    this.closed = false;
    FakeEventSource.instances.push(this);
  }
  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }
  close() { this.closed = true; this.readyState = 2; }
  emit(type, event = {}) {
    for (const fn of this.listeners.get(type) ?? []) fn({ type, ...event });
  }
  /** Parse SSE text as a browser would and dispatch its events. */
  feed(text) {
    for (const block of text.split("\n\n")) {
      if (!block) continue;
      let type = "message", data = [], id;
      for (const line of block.split("\n")) {
        const [field, ...rest] = line.split(": ");
        const value = rest.join(": ");
        if (field === "event") type = value;
        if (field === "data") data.push(value);
        if (field === "id") this.lastEventId = id = value;
      }
      if (data.length) this.emit(type, { data: data.join("\n"), lastEventId: id ?? this.lastEventId });
    }
  }
  static reset() { FakeEventSource.instances = []; }
}

export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Let pending promises settle without timers (which a test may have mocked). */
export async function flush() {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
}
