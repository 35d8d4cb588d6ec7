// Decimation: what is drawn stays within a pixel of what was computed.
import assert from "node:assert/strict";
import { test } from "node:test";

import { curveIndices, pathIndices, pick } from "../../frontend/js/decimate.js";

function randomWalk(n, seed) {
  let s = seed;
  const random = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const scale = i < n / 4 ? 0.05 : 0.0005;  // big steps first, then a crawl (a converging optimizer)
    xs[i] = xs[i - 1] + scale * random();
    ys[i] = ys[i - 1] + scale * random();
  }
  return { xs, ys };
}

test("a decimated path keeps its ends, and every point dropped lies within the tolerance of a point kept", () => {
  const { xs, ys } = randomWalk(5000, 7);
  const px = 400;  // pixels per unit
  const kept = pathIndices(xs, ys, xs.length, px, px, 0.5);
  assert.equal(kept[0], 0);
  assert.equal(kept[kept.length - 1], xs.length - 1);
  assert.ok(kept.length < xs.length / 2, `kept ${kept.length} of ${xs.length}`);
  let j = 0;
  for (let i = 0; i < xs.length; i++) {
    while (j + 1 < kept.length && kept[j + 1] <= i) j++;
    const d = Math.hypot((xs[i] - xs[kept[j]]) * px, (ys[i] - ys[kept[j]]) * px);
    assert.ok(d < 0.5, `point ${i} is ${d} px from the last kept point`);
  }
  assert.deepEqual(Array.from(pathIndices(xs, ys, 3, px, px)), [0, ...(Math.hypot(xs[1] * px, ys[1] * px) >= 0.5 ? [1] : []), 2]);
  assert.deepEqual(Array.from(pathIndices(xs, ys, 1, px, px)), [0]);
});

test("a decimated curve keeps every column's first, lowest, highest and last value", () => {
  const n = 40000;
  const ys = Float64Array.from({ length: n }, (_, k) => Math.exp(-k / 5000) * (1 + 0.3 * Math.sin(k)));
  const columns = 500;
  const kept = curveIndices(ys, n, columns);
  assert.ok(kept.length <= 4 * columns && kept.length > columns);
  assert.ok(kept.every((k, i) => i === 0 || k > kept[i - 1]), "in order");
  const values = pick(ys, kept);
  for (let c = 0; c < columns; c++) {
    const start = Math.floor((c * n) / columns);
    const end = Math.floor(((c + 1) * n) / columns);
    const column = ys.subarray(start, end);
    const mine = [];
    kept.forEach((k, i) => { if (k >= start && k < end) mine.push(values[i]); });
    assert.equal(Math.max(...mine), Math.max(...column));
    assert.equal(Math.min(...mine), Math.min(...column));
    assert.equal(mine[0], column[0]);
    assert.equal(mine[mine.length - 1], column[column.length - 1]);
  }
  assert.deepEqual(Array.from(curveIndices(ys, 600, 400)), Array.from({ length: 600 }, (_, i) => i), "short curves stay whole");
  for (const [count, width] of [[501, 217], [1001, 173], [40001, 333], [5001, 7]]) {
    const ends = curveIndices(ys, count, width);
    assert.deepEqual([ends[0], ends[ends.length - 1]], [0, count - 1], `first and last step of ${count} over ${width}`);
  }
});
