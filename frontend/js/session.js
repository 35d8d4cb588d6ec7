// From scenes to results: the requests, their superseding, the stream, and the accumulation of its chunks into
// preallocated typed arrays. No DOM: it runs under `node --test` with a stand-in for the server (tests/js).
//
// At most `concurrency` requests (2: the server computes two scenes at once) are in flight. A newer scene
// supersedes them: a stream (a long scene) is aborted at once; single answers (POST /api/runs) are let through,
// because they are still newer than what is drawn, and when they are all in flight the newest scene waits for
// one of them (older waiting scenes are dropped unsent). So while a slider moves, the answers that come back are
// drawn, and the last value always ends up drawn. An answer is delivered only if it is newer than the last one
// delivered (then the older ones still in flight are aborted): a stale answer never overwrites a newer one, even
// from a server that answers after an abort. Errors are reported only for the newest scene.
//
//   const session = createSession({ server, chunkSteps: catalog.stream_chunk_steps, meshN: catalog.page_mesh_n,
//     onAnswer: (answer) => draw(answer), onPartial: (answer) => draw(answer), onError: (e) => show(e) });
//   session.request(scene, performance.now());

const ITERATES = ["x", "y", "loss", "fast_x", "fast_y"];  // θ_0..θ_N: N + 1 values
const UPDATES = ["lr", "grad_norm", "step_norm"];  // the N updates between them

// Stream chunks of `runs` runs of `steps` steps, written in place into arrays allocated once per run and field.
export function accumulator(runs, steps) {
  const arrays = Array.from({ length: runs }, () => null);
  const counts = Array.from({ length: runs }, () => ({ iterates: 0, updates: 0 }));
  return {
    add(chunk) {
      const run = (arrays[chunk.run] ??= {});
      const count = counts[chunk.run];
      for (const name of [...ITERATES, ...UPDATES]) {
        const values = chunk[name];
        if (!values) continue;
        run[name] ??= new Float64Array(ITERATES.includes(name) ? steps + 1 : steps);
        run[name].set(values, chunk.start_step);
      }
      count.iterates = chunk.start_step + chunk.x.length;
      count.updates = chunk.start_step + chunk.lr.length;
    },
    // The runs so far: views of the filled part (null for a run with no chunk yet).
    results() {
      return arrays.map((run, i) => {
        if (!run) return null;
        const out = {};
        for (const [name, values] of Object.entries(run)) {
          out[name] = values.subarray(0, ITERATES.includes(name) ? counts[i].iterates : counts[i].updates);
        }
        return out;
      });
    },
  };
}

// The runs of a new answer, each replaced by the previous answer's run where that holds the same numbers: an
// unchanged run keeps its identity, so the views keep its traces.
export function keepUnchanged(before, after) {
  if (!before) return after;
  return after.map((run, i) => (sameRun(before[i], run) ? before[i] : run));
}

function sameRun(a, b) {
  if (!a || !b || a.status !== b.status || a.stopped_at !== b.stopped_at) return false;
  for (const name of [...ITERATES, ...UPDATES]) {
    const x = a[name];
    const y = b[name];
    if (!x !== !y) return false;
    if (!x) continue;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return false;
  }
  return JSON.stringify(a.summary) === JSON.stringify(b.summary);
}

// `server`: {postRuns(scene, {signal}), streamRuns(token, onChunk, signal), normalisedScene(token, signal),
// getMesh(landscape, n, signal), tokenOf(scene)} (frontend/js/api.js and state.tokenOf in the page).
export function createSession({ server, chunkSteps, meshN, onAnswer, onPartial = () => {}, onError = () => {},
  concurrency = 2 }) {
  const state = { latest: 0, delivered: 0, inflight: new Set(), waiting: null, results: null,
    mesh: { key: null, value: null, pending: null } };

  function meshOf(landscape) {
    const key = JSON.stringify(landscape);
    const cache = state.mesh;
    if (cache.key === key) return cache.pending ?? Promise.resolve(cache.value);
    const pending = server.getMesh(landscape, meshN).then((value) => {
      if (cache.pending === pending) Object.assign(cache, { value, pending: null });
      return value;
    });
    pending.catch(() => { if (cache.pending === pending) Object.assign(cache, { key: null, pending: null }); });
    Object.assign(cache, { key, value: null, pending });
    return pending;
  }

  const streams = (scene) => (scene.steps ?? 0) + 1 > chunkSteps;

  // An answer (done) or part of one (a stream's runs so far), if nothing newer was delivered.
  function deliver(job, answer) {
    if (job.controller.signal.aborted || job.seq <= state.delivered) return false;
    if (answer.done) {
      state.delivered = job.seq;
      for (const older of state.inflight) if (older.seq < job.seq) older.controller.abort();  // stale already
      answer = { ...answer, results: (state.results = keepUnchanged(state.results, answer.results)) };
    }
    (answer.done ? onAnswer : onPartial)({ seq: job.seq, at: job.at, sentAt: job.sentAt, answeredAt: performance.now(),
      scene: job.scene, ...answer });
    return true;
  }

  async function run(job) {
    const { signal } = job.controller;
    const mesh = meshOf(job.scene.landscape);
    mesh.catch(() => {});
    if (!job.stream) {
      const answer = await server.postRuns(job.scene, { signal });
      deliver(job, { effective: answer.scene, results: answer.runs, mesh: await mesh, done: true });
      return;
    }
    const token = await server.tokenOf(job.scene);
    const effective = server.normalisedScene(token, signal);
    effective.catch(() => {});
    const chunks = accumulator(job.scene.runs.length, job.scene.steps);
    let ready = null;  // the mesh and the normalised scene, once both are here: partial answers need them
    Promise.all([mesh, effective]).then(([m, e]) => { ready = { mesh: m, effective: e }; }, () => {});
    const done = await server.streamRuns(token, (chunk) => {
      if (signal.aborted) return;
      chunks.add(chunk);
      if (ready) deliver(job, { ...ready, results: chunks.results(), done: false });
    }, signal);
    const results = chunks.results().map((arrays, i) => ({ ...arrays, ...done.runs[i] }));
    deliver(job, { effective: await effective, results, mesh: await mesh, done: true });
  }

  function start(job) {
    job.sentAt = performance.now();
    state.inflight.add(job);
    run(job).catch((error) => {
      const aborted = error?.name === "AbortError" || job.controller.signal.aborted;
      if (!aborted && job.seq === state.latest) onError(error, job);
    }).finally(() => {
      if (!state.inflight.delete(job)) return;  // dropped when a stream was stopped: nothing waits on it
      const next = state.waiting;
      if (next && state.inflight.size < concurrency) {
        state.waiting = null;
        start(next);
      }
    });
  }

  return {
    state,
    // Ask for a scene's results; `at` is when the input that made it happened (performance.now()).
    request(scene, at = 0) {
      const job = { seq: ++state.latest, at, scene, stream: streams(scene), controller: new AbortController() };
      if (job.stream || [...state.inflight].some((j) => j.stream)) {  // a stream may take seconds: stop it now
        for (const j of state.inflight) j.controller.abort();
        state.inflight.clear();
        state.waiting = null;
        return start(job);
      }
      if (state.inflight.size < concurrency) return start(job);
      state.waiting = job;  // replaces (drops) an older waiting scene
    },
  };
}
