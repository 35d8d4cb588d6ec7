// Sliders: every parameter of the catalog, positions <-> values, on linear and log scales.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { validate } from "../../frontend/js/catalog.js";
import { fromPosition, sliderFor, toPosition } from "../../frontend/js/sliders.js";

const catalog = JSON.parse(readFileSync(process.env.OPTISCAPE_CATALOG, "utf8"));

function* numbers() {
  for (const kind of ["landscapes", "optimizers", "schedules"]) {
    for (const entry of Object.values(catalog[kind])) {
      for (const p of entry.params) if (p.slider) yield [`${kind}.${entry.id}.${p.name}`, p];
    }
  }
  for (const p of catalog.run_options.plateau) if (p.slider) yield [`plateau.${p.name}`, p];
}

const sliderOf = (p, steps) => sliderFor(p.slider, { steps, integer: p.kind === "int", zeroEnd: p.min === 0 && !p.min_exclusive });

test("every position of every parameter's slider is a value the server accepts", () => {
  let count = 0;
  for (const [where, p] of numbers()) {
    for (const steps of [30, 500]) {
      const slider = sliderOf(p, steps);
      for (let position = 0; position <= slider.positions; position += 7) {
        const value = fromPosition(slider, position);
        assert.equal(validate(p, value, steps), null, `${where} at position ${position} of ${slider.positions}: ${value}`);
      }
      assert.equal(validate(p, fromPosition(slider, slider.positions), steps), null, where);
    }
    count += 1;
  }
  assert.ok(count > 80);
});

test("positions move values in order, and a value comes back to its own position", () => {
  for (const [where, p] of numbers()) {
    const slider = sliderOf(p, 500);
    let previous = -Infinity;
    for (let position = 0; position <= slider.positions; position += 1) {
      const value = fromPosition(slider, position);
      assert.ok(value >= previous, `${where}: ${value} after ${previous}`);
      previous = value;
      const back = toPosition(slider, value);
      assert.ok(Math.abs(back - position) <= (slider.log ? 2 : 1), `${where}: position ${position} -> ${value} -> ${back}`);
    }
  }
});

test("log sliders span decades evenly; a parameter that allows 0 has 0 at the left end", () => {
  const lr = catalog.schedules.constant.params.find((p) => p.name === "lr");
  const slider = sliderOf(lr, 500);
  assert.equal(slider.log, true);
  assert.equal(fromPosition(slider, 0), lr.slider.min);
  assert.equal(fromPosition(slider, slider.positions), lr.slider.max);
  const decade = slider.positions / Math.log10(lr.slider.max / lr.slider.min);
  assert.ok(Math.abs(toPosition(slider, 0.01) - toPosition(slider, 0.001) - decade) <= 1);
  const near = fromPosition(slider, toPosition(slider, 0.003));  // one position is 1.4% over 6 decades
  assert.ok(Math.abs(near / 0.003 - 1) < 0.008, String(near));
  const end = catalog.schedules.warmup_cosine.params.find((p) => p.name === "end_lr");
  const zero = sliderOf(end, 500);
  assert.equal(fromPosition(zero, 0), 0);
  assert.equal(toPosition(zero, 0), 0);
  assert.equal(fromPosition(zero, 1), end.slider.min);
});

test("integer sliders step by one where the span is short; T-bounds follow the step count", () => {
  const stepSize = catalog.schedules.step.params.find((p) => p.name === "step_size");
  const slider = sliderOf(stepSize, 300);
  assert.equal(slider.hi, 300);
  assert.equal(slider.positions, 299);
  assert.deepEqual([0, 1, 2, 299].map((position) => fromPosition(slider, position)), [1, 2, 3, 300]);
  assert.equal(toPosition(slider, 100), 99);
  const steps = sliderFor(catalog.sliders.steps, { steps: 500, integer: true });
  assert.ok(Number.isInteger(fromPosition(steps, 333)) && fromPosition(steps, 1000) === catalog.sliders.steps.max);
});
