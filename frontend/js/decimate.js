// Decimate what is drawn, never what is computed: the indices of the points a view needs at its size in pixels.
// Pure: no DOM.
//
//   pathIndices(xs, ys, xs.length, 100, 100)   // a path: each kept point at least half a pixel from the last one
//   curveIndices(ys, ys.length, 400)          // a curve over steps: first, lowest, highest, last of each column
//   pick(ys, indices)                         // the kept values, as an Array (what Plotly handles fastest)

// A path in the plane: the first and last points, and every point at least `tolerance` pixels away from the
// last point kept (so a dropped point is never further than that from the line drawn). `count` limits the path
// to its first points (the timeline); pxPerX, pxPerY are the axes' pixels per unit.
export function pathIndices(xs, ys, count, pxPerX, pxPerY, tolerance = 0.5) {
  const kept = new Int32Array(Math.max(count, 0));
  if (count <= 0) return kept;
  let n = 0;
  let lastX = xs[0] * pxPerX;
  let lastY = ys[0] * pxPerY;
  kept[n++] = 0;
  const limit = tolerance * tolerance;
  for (let i = 1; i < count - 1; i++) {
    const x = xs[i] * pxPerX;
    const y = ys[i] * pxPerY;
    if ((x - lastX) ** 2 + (y - lastY) ** 2 >= limit) {
      kept[n++] = i;
      lastX = x;
      lastY = y;
    }
  }
  if (count > 1) kept[n++] = count - 1;
  return kept.subarray(0, n);
}

// A curve over steps 0..count-1 drawn `columns` pixels wide: every step where there are at most two per column;
// else, per column, its first step, the steps of its lowest and highest values and its last step, in order (the
// drawn line covers exactly the same pixels).
export function curveIndices(ys, count, columns) {
  columns = Math.max(1, Math.floor(columns));
  if (count <= 2 * columns) return Int32Array.from({ length: Math.max(count, 0) }, (_, i) => i);
  const kept = new Int32Array(4 * columns + 2);
  let n = 0;
  const perColumn = count / columns;
  for (let c = 0; c < columns; c++) {
    const start = Math.floor(c * perColumn);
    const end = c === columns - 1 ? count : Math.min(count, Math.floor((c + 1) * perColumn));
    if (end <= start) continue;
    let low = start;
    let high = start;
    for (let i = start + 1; i < end; i++) {
      if (ys[i] < ys[low]) low = i;
      if (ys[i] > ys[high]) high = i;
    }
    for (const i of [start, Math.min(low, high), Math.max(low, high), end - 1]) {
      if (n === 0 || kept[n - 1] < i) kept[n++] = i;
    }
  }
  return kept.subarray(0, n);
}

export function pick(values, indices) {
  const out = new Array(indices.length);
  for (let j = 0; j < indices.length; j++) out[j] = values[indices[j]];
  return out;
}
