// catalog -> controls model, and the same range rules as the server. Needs OPTISCAPE_CATALOG (a catalog JSON
// file; tests/test_frontend_units.py writes one from the running code).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { fieldsOf, parseInput, rangeText, sceneErrors, serverErrors, validate } from "../../frontend/js/catalog.js";

const catalog = JSON.parse(readFileSync(process.env.OPTISCAPE_CATALOG, "utf8"));
const param = (kind, id, name) => catalog[kind][id].params.find((p) => p.name === name);

test("fields carry the catalog's defaults, ranges and docs, and explicit values win", () => {
  const fields = fieldsOf(catalog.schedules.step.params, { lr: 0.02 }, 800);
  assert.deepEqual(fields.map((f) => f.name), ["lr", "step_size", "gamma"]);
  assert.equal(fields[0].value, 0.02);
  assert.equal(fields[0].explicit, true);
  assert.equal(fields[1].explicit, false);
  assert.equal(fields[1].range, "[1, 800]");
  assert.equal(fields[1].defaultExpr, "T/5");
  assert.ok(fields[2].doc.length > 5);
});

test("ranges read like the server's", () => {
  assert.equal(rangeText(param("schedules", "cosine", "lr"), 500), "(0, 10]");
  assert.equal(rangeText(param("optimizers", "adam", "b1"), 500), "[0, 1)");
  assert.equal(rangeText(param("schedules", "one_cycle", "anneal_strategy"), 500), "one of 'cos', 'linear'");
});

test("validation: kinds, bounds in T, exclusivity", () => {
  assert.equal(validate(param("schedules", "cosine", "lr"), 20, 500), "must be in (0, 10], got 20");
  assert.equal(validate(param("schedules", "cosine", "lr"), 0, 500), "must be in (0, 10], got 0");
  assert.equal(validate(param("schedules", "cosine", "lr"), 0.5, 500), null);
  assert.equal(validate(param("schedules", "step", "step_size"), 600, 500), "must be in [1, 500], got 600");
  assert.equal(validate(param("schedules", "step", "step_size"), 2.5, 500), "must be an integer, got 2.5");
  assert.equal(validate(param("schedules", "multistep", "milestones"), [100, 600], 500), "entry 1 must be in (0, 500), got 600");
  assert.equal(validate(param("schedules", "exponential", "end_value"), null, 500), null);
});

test("parseInput turns typed text into the parameter's type", () => {
  assert.deepEqual(parseInput(param("schedules", "multistep", "milestones"), "100, 200"), [100, 200]);
  assert.equal(parseInput(param("schedules", "cosine", "lr"), "0.5"), 0.5);
  assert.equal(parseInput(param("schedules", "exponential", "end_value"), ""), null);
});

test("scene errors name the field like the server's 422", () => {
  const scene = { landscape: { id: "rosenbrock", params: { a: 5 } }, steps: 500, runs: [
    { optimizer: { id: "adam", params: { b1: 1 } }, schedule: { id: "cosine", params: { lr: -1, nope: 1 } }, start: [9, 0] }] };
  const locs = sceneErrors(catalog, scene).map((e) => e.loc).sort();
  assert.deepEqual(locs, ["landscape.params.a", "runs.0.optimizer.params.b1", "runs.0.schedule.params.lr",
    "runs.0.schedule.params.nope", "runs.0.start"]);
});

test("a noise seed set before its standard deviation is no error: the deviation is its default, 0", () => {
  const scene = { landscape: { id: "rosenbrock" }, steps: 100, runs: [{ noise: { seed: 7 } }, { noise: { std: -1 } }]
    .map((run) => ({ optimizer: { id: "sgd" }, schedule: { id: "constant" }, ...run })) };
  assert.deepEqual(sceneErrors(catalog, scene).map((e) => e.loc), ["runs.1.noise.std"]);
});

test("server 422 details map to the same locations", () => {
  const mapped = serverErrors([{ loc: ["token", "runs", 0, "schedule", "params", "lr"], msg: "must be in (0, 10], got 20" },
    { loc: ["body", "steps"], msg: "too many" }]);
  assert.deepEqual(mapped, [{ loc: "runs.0.schedule.params.lr", msg: "must be in (0, 10], got 20" }, { loc: "steps", msg: "too many" }]);
});
