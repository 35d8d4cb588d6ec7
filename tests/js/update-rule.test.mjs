// The update rule at the cursor, rewritten from the engine's internals, gives the step the engine applied (optax's,
// tested equal to optax in tests/test_internals.py): for every optimizer, every step.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { pairAt, ruleAt } from "../../frontend/js/update-rule.js";

const answer = JSON.parse(readFileSync(process.env.OPTISCAPE_INTERNALS, "utf8"));

function ruleOf(run, result, k) {
  const lookahead = run.optimizer.id === "lookahead";
  const theta = lookahead ? [result.fast_x[k], result.fast_y[k]] : [result.x[k], result.y[k]];
  return ruleAt({ optimizer: run.optimizer, k, lr: result.lr[k], inside: result.internals, theta,
    start: [result.x[0], result.y[0]], changedGradient: run.clip_norm !== null || run.noise.std > 0 });
}

// `applied` is θ_{k+1} − θ_k: a difference of two iterates, exact to a few units in the last place of θ
const close = (a, b, theta) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 4e-16 * (Math.abs(theta) + 1);

test("every optimizer's rule, written with its numbers, gives the step the engine applied at every step", () => {
  const seen = new Set();
  answer.scene.runs.forEach((run, i) => {
    const result = answer.runs[i];
    for (let k = 0; k < result.lr.length; k++) {
      const rule = ruleOf(run, result, k);
      if (!rule.exact) continue;
      const theta = [result.x[k], result.y[k]];
      assert.ok(close(rule.step[0], rule.applied[0], theta[0]) && close(rule.step[1], rule.applied[1], theta[1]),
        `${run.optimizer.id}${run.optimizer.params.inner ? `(${run.optimizer.params.inner.id})` : ""} step ${k}: rule ${rule.step} applied ${rule.applied}`);
      seen.add(run.optimizer.id);
    }
  });
  assert.equal(seen.size, 12);
});

test("Adam's panel: m̂, v̂ and the per-coordinate rate η/(√v̂ + ε), by hand", () => {
  const i = answer.scene.runs.findIndex((r) => r.optimizer.id === "adam" && r.clip_norm === null);
  const { b1, b2, eps } = answer.scene.runs[i].optimizer.params;
  const result = answer.runs[i];
  const k = 7;
  const rows = Object.fromEntries(ruleOf(answer.scene.runs[i], result, k).rows.map((r) => [r.symbol, r.values]));
  const [mx, my] = result.internals.state.mu[k];
  const [vx, vy] = result.internals.state.nu[k];
  assert.deepEqual(rows["m̂"], [mx / (1 - b1 ** 8), my / (1 - b1 ** 8)]);
  assert.deepEqual(rows["v̂"], [vx / (1 - b2 ** 8), vy / (1 - b2 ** 8)]);
  assert.deepEqual(rows.η_eff, rows["v̂"].map((v) => result.lr[k] / (Math.sqrt(v) + eps)));
  assert.deepEqual(rows.g, result.internals.gradient[k]);
});

test("clipping or noise: a rule that needs the gradient says it is not exact; one that reads the state still is", () => {
  const clipped = answer.scene.runs.map((r, i) => [r, i]).filter(([r]) => r.clip_norm !== null);
  const exact = Object.fromEntries(clipped.map(([r, i]) => [r.optimizer.id, ruleOf(r, answer.runs[i], 3).exact]));
  assert.deepEqual(exact, { adam: true, sgd: false });
});

test("rows of a flat typed array (bdata, shape n,2) read as pairs", () => {
  const flat = new Float64Array([1, 2, 3, 4]);
  assert.deepEqual(pairAt(flat, 1), [3, 4]);
  assert.equal(pairAt(flat, 2), null);
  assert.deepEqual(pairAt([[5, 6]], 0), [5, 6]);
});
