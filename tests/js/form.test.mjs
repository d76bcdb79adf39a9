import assert from "node:assert/strict";
import { test } from "node:test";

import { clearErrors, debounce, showErrors } from "../../src/ajaxkit/static/ajaxkit.js";
import { fieldName } from "../../src/ajaxkit/static/ajaxkit/form.js";
import { fixture } from "./helpers.mjs";

const validation = fixture("problems.json").cases.find((c) => c.name === "validation_failed");

/** Just enough DOM for the helper: elements with attributes, in one form. */
class Element {
  constructor(doc, tag, attrs = {}) {
    this.ownerDocument = doc;
    this.tagName = tag;
    this.attributes = new Map(Object.entries(attrs));
    this.textContent = "";
    this.id = attrs.id ?? "";
    this.className = "";
  }
  setAttribute(name, value) { this.attributes.set(name, String(value)); }
  getAttribute(name) { return this.attributes.get(name) ?? null; }
  removeAttribute(name) { this.attributes.delete(name); }
  insertAdjacentElement(_where, element) { this.ownerDocument.all.push(element); }
}

function fakeForm(fields) {
  const doc = { all: [] };
  doc.createElement = (tag) => new Element(doc, tag);
  for (const [name, attrs] of Object.entries(fields)) doc.all.push(new Element(doc, "input", { name, ...attrs }));
  const select = (selector) => {
    const byData = /^\[data-error-for="(.+)"\]$/.exec(selector);
    if (byData) return doc.all.filter((e) => e.getAttribute("data-error-for") === byData[1]);
    return doc.all.filter((e) => e.attributes.has(selector.slice(1, -1)));
  };
  return {
    doc,
    elements: { namedItem: (name) => doc.all.find((e) => e.getAttribute("name") === name) ?? null },
    querySelector: (s) => select(s)[0] ?? null,
    querySelectorAll: (s) => select(s),
  };
}

test("each pointer marks its field and fills a message element", () => {
  const form = fakeForm({ title: { id: "title" }, count: {} });
  const unplaced = showErrors(form, validation.response.body);
  assert.deepEqual(unplaced, []);
  const title = form.elements.namedItem("title");
  assert.equal(title.getAttribute("aria-invalid"), "true");
  const message = form.querySelector('[data-error-for="title"]');
  assert.equal(message.textContent, "Field required");
  assert.equal(title.getAttribute("aria-describedby"), message.id);
  assert.equal(message.id, "title-error");
  assert.match(form.querySelector('[data-error-for="count"]').textContent, /valid integer/);
});

test("a message element the page placed is used; errors with no field are returned", () => {
  const form = fakeForm({ title: {} });
  const own = new Element(form.doc, "p", { "data-error-for": "title" });
  form.doc.all.push(own);
  const unplaced = showErrors(form, validation.response.body);
  assert.equal(own.textContent, "Field required");
  assert.deepEqual(unplaced.map((e) => e.pointer), ["#/count"]);
});

test("clearErrors (and the next showErrors) undo the marks", () => {
  const form = fakeForm({ title: {}, count: {} });
  showErrors(form, validation.response.body);
  showErrors(form, { errors: [{ pointer: "#/count", detail: "bad" }] });
  assert.equal(form.elements.namedItem("title").getAttribute("aria-invalid"), null);
  assert.equal(form.querySelector('[data-error-for="title"]').textContent, "");
  clearErrors(form);
  assert.equal(form.elements.namedItem("count").getAttribute("aria-invalid"), null);
});

test("pointers and parameters name fields", () => {
  assert.equal(fieldName({ pointer: "#/title", detail: "" }), "title");
  assert.equal(fieldName({ pointer: "#/address/city", detail: "" }), "address.city");
  assert.equal(fieldName({ pointer: "#/a~1b", detail: "" }), "a/b");
  assert.equal(fieldName({ parameter: "q", detail: "" }), "q");
  assert.equal(fieldName({ pointer: "#", detail: "" }), null);
});

test("debounce runs once after the calls stop, and every caller gets that result", async () => {
  const seen = [];
  const search = debounce(async (q) => { seen.push(q); return `results for ${q}`; }, 20);
  const answers = await Promise.all([search("a"), search("ad"), search("ada")]);
  assert.deepEqual(seen, ["ada"]);
  assert.deepEqual(answers, ["results for ada", "results for ada", "results for ada"]);
});

test("debounce passes the error to every caller", async () => {
  const failing = debounce(() => { throw new Error("boom"); }, 5);
  const results = await Promise.allSettled([failing(), failing()]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
});
