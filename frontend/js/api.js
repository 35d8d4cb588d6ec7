// The server, through the contract only: catalog, mesh, runs (typed arrays), permalink validation, the SSE stream
// (read with fetch so that a 4xx answer and its details reach the page) and the explore endpoints. No DOM.
//
//   const answer = await postRuns(scene, { signal });   // {scene: normalised, runs: [{x: Float64Array, ...}]}

const ARRAY_FIELDS = ["x", "y", "loss", "lr", "grad_norm", "step_norm", "fast_x", "fast_y"];

export async function getCatalog() {
  const answer = await fetch("/api/catalog");
  if (!answer.ok) throw new Error(`catalog: HTTP ${answer.status}`);
  return answer.json();
}

export async function getMesh(landscape, n = 80, signal = undefined) {
  const query = new URLSearchParams({ n: String(n) });
  for (const [name, value] of Object.entries(landscape.params || {})) {
    if (name === "constants") for (const [c, v] of Object.entries(value || {})) query.set(c, String(v));
    else if (name === "domain" && Array.isArray(value)) query.set(name, value.flat().join(","));
    else query.set(name, String(value));
  }
  const answer = await fetch(`/api/landscapes/${encodeURIComponent(landscape.id)}/mesh?${query}`, { signal });
  if (!answer.ok) throw await failure(answer);
  return answer.json();
}

async function post(path, body, signal) {
  const answer = await fetch(path, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify(body), signal });
  if (!answer.ok) throw await failure(answer);
  return answer;
}

// A typed array of the answer ({dtype: "f8", bdata: base64 of little-endian float64}) as a Float64Array; a plain
// list of numbers as it is.
export function decodeArray(value) {
  if (!value || Array.isArray(value) || ArrayBuffer.isView(value)) return value;
  if (value.dtype !== "f8") throw new Error(`unexpected array dtype ${value.dtype}`);
  const bytes = Uint8Array.fromBase64 ? Uint8Array.fromBase64(value.bdata)
    : Uint8Array.from(atob(value.bdata), (c) => c.charCodeAt(0));
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}

// A run result or a stream chunk with its arrays decoded (the other fields as they are).
export function decodeArrays(record) {
  const out = { ...record };
  for (const name of ARRAY_FIELDS) if (out[name]) out[name] = decodeArray(out[name]);
  return out;
}

// Every run of a scene in one answer, its arrays as Float64Arrays: {scene: normalised, runs}.
export async function postRuns(scene, { signal } = {}) {
  const answer = await (await post("/api/runs?arrays=bdata", scene, signal)).json();
  return { scene: answer.scene, runs: answer.runs.map(decodeArrays) };
}

// postRuns through a worker (fetcher.js): the same answer, read and decoded off the page's thread. An abort
// rejects at once with an AbortError and stops the worker's request.
export function postRunsVia(worker) {
  let next = 0;
  const waiting = new Map();
  worker.onmessage = ({ data }) => {
    const entry = waiting.get(data.id);
    if (!entry) return;
    waiting.delete(data.id);
    if (data.error) entry.reject(data.error.name === "AbortError" ? new DOMException("aborted", "AbortError") : data.error);
    else entry.resolve(data.answer);
  };
  return (scene, { signal } = {}) => new Promise((resolve, reject) => {
    const id = ++next;
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, scene });
    signal?.addEventListener("abort", () => {
      if (!waiting.delete(id)) return;
      worker.postMessage({ abort: id });
      reject(new DOMException("aborted", "AbortError"));
    });
  });
}

export const postJson = async (path, body, signal) => (await post(path, body, signal)).json();
export const exportScript = async (scene) => (await post("/api/export", scene)).text();
// The one-file HTML report of a scene (POST /api/report), as a Blob to download.
export const exportReport = async (scene) => (await post("/api/report", scene)).blob();

// The normalised scene a token holds (every default filled), or a thrown {status, detail}.
export async function normalisedScene(token, signal = undefined) {
  const answer = await fetch(`/api/permalinks/${token}`, { signal });
  if (!answer.ok) throw await failure(answer);
  return answer.json();
}

async function failure(answer) {
  let detail;
  try { detail = (await answer.json()).detail; } catch { detail = `HTTP ${answer.status}`; }
  return { status: answer.status, detail };
}

// Stream a scene: onChunk(chunk, arrays decoded) for each `chunk`, returns the `done` data. `signal` aborts it.
export async function streamRuns(token, onChunk, signal) {
  const answer = await fetch(`/api/runs/stream?s=${token}&arrays=bdata`, { signal });
  if (!answer.ok) throw await failure(answer);
  const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseEvent(block);
      if (event.type === "chunk") onChunk(decodeArrays(event.data));
      else if (event.type === "done") return event.data;
      else if (event.type === "error") throw { status: 500, detail: event.data.detail };
    }
  }
  throw { status: 0, detail: "the stream ended before its done event" };
}

export function parseEvent(block) {
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) type = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  return { type, data: JSON.parse(data.join("\n")) };
}
