import { test } from "node:test";
import assert from "node:assert/strict";
import { keyAction, presetAfter } from "../../frontend/js/keys.js";

const field = { closest: (s) => (s.includes("input") ? field : null) };
const page = { closest: () => null };

test("keys map to their actions outside fields, and to nothing while typing", () => {
  assert.equal(keyAction("]", page), "next-preset");
  assert.equal(keyAction("[", page), "previous-preset");
  assert.equal(keyAction("f", page), "fullscreen");
  assert.equal(keyAction("?", page), "help");
  assert.equal(keyAction("x", page), null);
  assert.equal(keyAction("f", field), null);
  assert.equal(keyAction("]", field), null);
});

test("presets step in catalog order and wrap round", () => {
  const ids = ["a", "b", "c"];
  assert.equal(presetAfter(ids, "a", 1), "b");
  assert.equal(presetAfter(ids, "c", 1), "a");
  assert.equal(presetAfter(ids, "a", -1), "c");
  assert.equal(presetAfter(ids, null, 1), "a");
  assert.equal(presetAfter(ids, null, -1), "c");
  assert.equal(presetAfter([], "a", 1), null);
});
