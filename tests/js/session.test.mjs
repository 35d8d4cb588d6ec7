// The session against a stand-in server whose answers come back when the test says: superseding, stale answers,
// streams accumulated into typed arrays, errors, the mesh cache.
import assert from "node:assert/strict";
import { test } from "node:test";

import { decodeArrays } from "../../frontend/js/api.js";
import { accumulator, createSession, keepUnchanged } from "../../frontend/js/session.js";

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

const scene = (lr, steps = 10) => ({ landscape: { id: "booth", params: {} }, steps,
  runs: [{ schedule: { id: "constant", params: { lr } } }] });
const runsOf = (s) => [{ x: new Float64Array([s.runs[0].schedule.params.lr]) }];

// A server whose every call waits until the test resolves it. `honest: false` answers even after an abort.
function standIn({ honest = true } = {}) {
  const calls = [];
  const wait = (kind, args, signal) => {
    const call = { kind, args, signal, ...deferred() };
    calls.push(call);
    if (honest) signal?.addEventListener("abort", () => call.reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
    return call.promise;
  };
  return {
    calls,
    server: {
      postRuns: (s, { signal }) => wait("post", [s], signal),
      getMesh: (landscape) => wait("mesh", [landscape]),
      tokenOf: async (s) => `token-${s.runs[0].schedule.params.lr}`,
      normalisedScene: (token, signal) => wait("normalised", [token], signal),
      streamRuns: (token, onChunk, signal) => wait("stream", [token, onChunk], signal),
    },
    pending: (kind) => calls.filter((c) => c.kind === kind),
  };
}

function recorder() {
  const answers = [], partials = [], errors = [];
  return { answers, partials, errors, callbacks: {
    onAnswer: (a) => answers.push(a), onPartial: (a) => partials.push(a), onError: (e, job) => errors.push([e, job.seq]) } };
}

test("two requests in flight; the newest waiting one is sent next; every answer drawn is newer than the last", async () => {
  const { server, pending } = standIn();
  const seen = recorder();
  const session = createSession({ server, chunkSteps: 2048, meshN: 8, ...seen.callbacks });
  for (const [i, lr] of [0.1, 0.2, 0.3, 0.4].entries()) session.request(scene(lr), i + 1);
  assert.deepEqual(pending("post").map((c) => c.args[0].runs[0].schedule.params.lr), [0.1, 0.2], "two in flight");
  assert.equal(pending("mesh").length, 1, "the mesh is asked for once per landscape");
  pending("mesh")[0].resolve({ x: [0], y: [0], z: [[0]] });
  pending("post")[0].resolve({ scene: scene(0.1), runs: runsOf(scene(0.1)) });
  await tick();
  assert.deepEqual(seen.answers.map((a) => a.results[0].x[0]), [0.1], "an answer in flight is drawn: it is newer than the screen");
  assert.equal(pending("post").length, 3);
  assert.equal(pending("post")[2].args[0].runs[0].schedule.params.lr, 0.4, "0.3 was superseded unsent");
  pending("post")[2].resolve({ scene: scene(0.4), runs: runsOf(scene(0.4)) });  // 0.4 overtakes 0.2
  await tick();
  assert.equal(pending("post")[1].signal.aborted, true, "0.2, older than what is drawn, is aborted");
  assert.deepEqual(seen.answers.map((a) => [a.results[0].x[0], a.at]), [[0.1, 1], [0.4, 4]], "the last value ends up drawn");
});

test("with one request at a time, the newest scene waits for it", async () => {
  const { server, pending } = standIn();
  const seen = recorder();
  const session = createSession({ server, chunkSteps: 2048, meshN: 8, concurrency: 1, ...seen.callbacks });
  session.request(scene(0.1), 1);
  session.request(scene(0.2), 2);
  session.request(scene(0.3), 3);
  assert.equal(pending("post").length, 1);
  pending("mesh")[0].resolve({ x: [0], y: [0], z: [[0]] });
  pending("post")[0].resolve({ scene: scene(0.1), runs: runsOf(scene(0.1)) });
  await tick();
  assert.deepEqual(pending("post").map((c) => c.args[0].runs[0].schedule.params.lr), [0.1, 0.3]);
  pending("post")[1].resolve({ scene: scene(0.3), runs: runsOf(scene(0.3)) });
  await tick();
  assert.deepEqual(seen.answers.map((a) => a.results[0].x[0]), [0.1, 0.3]);
});

test("a stale answer never overwrites a newer one, even from a server that answers after an abort", async () => {
  const { server, pending } = standIn({ honest: false });
  const seen = recorder();
  const session = createSession({ server, chunkSteps: 100, meshN: 8, ...seen.callbacks });
  session.request(scene(0.1, 500), 1);  // a long scene: streamed
  await tick();
  session.request(scene(0.2), 2);  // supersedes the stream at once
  assert.equal(pending("stream")[0].signal.aborted, true, "the stream is aborted");
  assert.equal(pending("post").length, 1, "the newer scene does not wait for the stream");
  pending("mesh")[0].resolve({ x: [0], y: [0], z: [[0]] });
  pending("post")[0].resolve({ scene: scene(0.2), runs: runsOf(scene(0.2)) });
  await tick();
  // the dishonest server now finishes the aborted stream, with chunks and all
  const [, onChunk] = pending("stream")[0].args;
  onChunk({ run: 0, start_step: 0, x: new Float64Array(501), y: new Float64Array(501), loss: new Float64Array(501), lr: new Float64Array(500), grad_norm: new Float64Array(500), step_norm: new Float64Array(500) });
  pending("normalised")[0].resolve(scene(0.1, 500));
  pending("stream")[0].resolve({ runs: [{ status: "ok", stopped_at: null, summary: {} }] });
  await tick();
  assert.deepEqual(seen.answers.map((a) => a.results[0].x[0]), [0.2]);
  assert.deepEqual(seen.partials, []);
  assert.deepEqual(seen.errors, []);
});

test("a stream's parts and its end reach one callback, as the page passes it", async () => {
  const { server, pending } = standIn();
  const seen = [];
  const session = createSession({ server, chunkSteps: 100, meshN: 8, onAnswer: (a) => seen.push(a), onPartial: (a) => seen.push(a) });
  session.request(scene(0.2, 150), 1);
  await tick();
  pending("mesh")[0].resolve({ x: [0], y: [0], z: [[0]] });
  pending("normalised")[0].resolve(scene(0.2, 150));
  await tick();
  const [, onChunk] = pending("stream")[0].args;
  const part = (start, n, m) => ({ run: 0, start_step: start, x: new Float64Array(n), y: new Float64Array(n), loss: new Float64Array(n),
    lr: new Float64Array(m), grad_norm: new Float64Array(m), step_norm: new Float64Array(m) });
  onChunk(part(0, 100, 100));
  onChunk(part(100, 51, 50));
  pending("stream")[0].resolve({ runs: [{ status: "ok", stopped_at: null, summary: {} }] });
  await tick();
  assert.deepEqual(seen.map((a) => [a.done, a.results[0].x.length]), [[false, 100], [false, 151], [true, 151]]);
});

test("an answer older than the one drawn is dropped", async () => {
  const { server, pending } = standIn({ honest: false });
  const seen = recorder();
  const session = createSession({ server, chunkSteps: 100, meshN: 8, ...seen.callbacks });
  session.request(scene(0.1), 1);
  session.request(scene(0.2, 500), 2);  // a stream aborts the single answer in flight
  await tick();
  assert.equal(pending("post")[0].signal.aborted, true);
  pending("mesh")[0].resolve({ x: [0], y: [0], z: [[0]] });
  pending("normalised")[0].resolve(scene(0.2, 500));
  await tick();
  const [, onChunk] = pending("stream")[0].args;
  const chunk = (start, n) => ({ run: 0, start_step: start, x: new Float64Array(n).fill(0.2), y: new Float64Array(n),
    loss: new Float64Array(n), lr: new Float64Array(Math.min(n, 500 - start)), grad_norm: new Float64Array(Math.min(n, 500 - start)),
    step_norm: new Float64Array(Math.min(n, 500 - start)) });
  onChunk(chunk(0, 100));
  pending("stream")[0].resolve({ runs: [{ status: "ok", stopped_at: null, summary: { final_loss: 1 } }] });
  await tick();
  pending("post")[0].resolve({ scene: scene(0.1), runs: runsOf(scene(0.1)) });  // the old one, late
  await tick();
  assert.equal(seen.answers.length, 1);
  assert.equal(seen.answers[0].seq, 2);
  assert.equal(seen.partials.length, 1, "a chunk is drawn while the stream goes on");
});

test("errors are reported for the newest scene only", async () => {
  const { server, pending } = standIn();
  const seen = recorder();
  const session = createSession({ server, chunkSteps: 2048, meshN: 8, ...seen.callbacks });
  session.request(scene(20), 1);
  session.request(scene(0.5), 2);
  pending("mesh")[0].resolve({ x: [0], y: [0], z: [[0]] });
  pending("post")[0].reject({ status: 422, detail: [{ loc: ["body", "runs", 0], msg: "too big" }] });
  await tick();
  assert.deepEqual(seen.errors, [], "the refused value was superseded: its error would be stale");
  pending("post")[1].reject({ status: 422, detail: "still bad" });
  await tick();
  assert.deepEqual(seen.errors, [[{ status: 422, detail: "still bad" }, 2]]);
});

test("stream chunks land in preallocated typed arrays equal to their concatenation", () => {
  const steps = 5;
  const acc = accumulator(2, steps);
  const whole = { x: [0, 1, 2, 3, 4, 5], y: [5, 4, 3, 2, 1, 0], loss: [9, 8, 7, 6, 5, 4], lr: [0.1, 0.2, 0.3, 0.4, 0.5],
    grad_norm: [1, 2, 3, 4, 5], step_norm: [6, 7, 8, 9, 10] };
  const slice = (start, end) => ({ run: 1, start_step: start, ...Object.fromEntries(Object.entries(whole).map(([k, v]) =>
    [k, Float64Array.from(v.slice(start, k === "x" || k === "y" || k === "loss" ? end : Math.min(end, steps)))])) });
  acc.add(slice(0, 2));
  const first = acc.results();
  assert.equal(first[0], null);
  assert.deepEqual(Array.from(first[1].x), [0, 1]);
  assert.deepEqual(Array.from(first[1].lr), [0.1, 0.2]);
  acc.add(slice(2, 4));
  acc.add(slice(4, 6));
  const done = acc.results()[1];
  for (const [name, values] of Object.entries(whole)) assert.deepEqual(Array.from(done[name]), values, name);
  assert.ok(done.x instanceof Float64Array);
  assert.equal(done.x.buffer, first[1].x.buffer, "written in place: the same buffer all along");
});

test("typed arrays from the server decode to the same float64 numbers", () => {
  const values = [0.1, -2.5e-300, 1 / 3, 12345.678, 0];
  const bytes = new Uint8Array(Float64Array.from(values).buffer);
  const bdata = btoa(String.fromCharCode(...bytes));
  const run = decodeArrays({ x: { dtype: "f8", bdata }, y: [1, 2], status: "ok" });
  assert.deepEqual(Array.from(run.x), values);
  assert.deepEqual(run.y, [1, 2]);
  assert.equal(run.status, "ok");
});

test("the mesh is asked for again only when the landscape changes", async () => {
  const { server, pending } = standIn();
  const seen = recorder();
  const session = createSession({ server, chunkSteps: 2048, meshN: 8, ...seen.callbacks });
  session.request(scene(0.1), 1);
  pending("mesh")[0].resolve({ x: [0], y: [0], z: [[1]] });
  pending("post")[0].resolve({ scene: scene(0.1), runs: runsOf(scene(0.1)) });
  await tick();
  session.request(scene(0.2), 2);
  pending("post")[1].resolve({ scene: scene(0.2), runs: runsOf(scene(0.2)) });
  await tick();
  assert.equal(pending("mesh").length, 1);
  assert.equal(seen.answers[1].mesh, seen.answers[0].mesh);
  const other = { ...scene(0.2), landscape: { id: "booth", params: { a: 1 } } };
  session.request(other, 3);
  assert.equal(pending("mesh").length, 2);
});

test("a run whose numbers did not change keeps its identity; a changed one is the new one", () => {
  const run = (x, status = "ok") => ({ x: Float64Array.from(x), y: Float64Array.from(x), loss: Float64Array.from(x),
    lr: Float64Array.from(x.slice(1)), grad_norm: Float64Array.from(x.slice(1)), step_norm: Float64Array.from(x.slice(1)),
    status, stopped_at: null, summary: { final_loss: x[x.length - 1] } });
  const before = [run([1, 2, 3]), run([4, 5, 6])];
  const after = [run([1, 2, 3]), run([4, 5, 7])];
  const kept = keepUnchanged(before, after);
  assert.equal(kept[0], before[0]);
  assert.equal(kept[1], after[1]);
  assert.equal(keepUnchanged(before, [run([1, 2, 3], "escaped")])[0].status, "escaped");
  assert.equal(keepUnchanged(null, after), after);
});
