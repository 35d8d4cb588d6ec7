// The server, through the contract only: catalog, mesh, permalink validation and the SSE stream (read with
// fetch so that a 4xx answer and its details reach the page). No DOM.

export async function getCatalog() {
  const answer = await fetch("/api/catalog");
  if (!answer.ok) throw new Error(`catalog: HTTP ${answer.status}`);
  return answer.json();
}

export async function getMesh(landscape, n = 80) {
  const query = new URLSearchParams({ n: String(n) });
  for (const [name, value] of Object.entries(landscape.params || {})) {
    if (name === "constants") for (const [c, v] of Object.entries(value || {})) query.set(c, String(v));
    else query.set(name, String(value));
  }
  const answer = await fetch(`/api/landscapes/${encodeURIComponent(landscape.id)}/mesh?${query}`);
  if (!answer.ok) throw await failure(answer);
  return answer.json();
}

async function post(path, body, signal) {
  const answer = await fetch(path, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify(body), signal });
  if (!answer.ok) throw await failure(answer);
  return answer;
}

export const postRuns = async (scene) => (await post("/api/runs", scene)).json();
export const postJson = async (path, body, signal) => (await post(path, body, signal)).json();
export const exportScript = async (scene) => (await post("/api/export", scene)).text();

// The normalised scene a token holds (every default filled), or a thrown {status, detail}.
export async function normalisedScene(token) {
  const answer = await fetch(`/api/permalinks/${token}`);
  if (!answer.ok) throw await failure(answer);
  return answer.json();
}

async function failure(answer) {
  let detail;
  try { detail = (await answer.json()).detail; } catch { detail = `HTTP ${answer.status}`; }
  return { status: answer.status, detail };
}

// Stream a scene: onChunk(data) for each `chunk`, returns the `done` data. `signal` aborts it.
export async function streamRuns(token, onChunk, signal) {
  const answer = await fetch(`/api/runs/stream?s=${token}`, { signal });
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
      if (event.type === "chunk") onChunk(event.data);
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
