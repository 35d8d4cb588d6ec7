// A module worker that asks the server for a scene's runs (POST /api/runs?arrays=bdata), reads and decodes the
// answer into Float64Arrays off the page's thread, and hands them over without a copy (transferred buffers).
// While a slider moves, the page's thread is busy with input and drawing, and the answer's network tasks would
// wait behind them: here they do not. Messages: {id, scene} -> {id, answer} or {id, error}; {abort: id}.

import { postRuns } from "./api.js";

const controllers = new Map();

self.onmessage = async ({ data }) => {
  if (data.abort !== undefined) return controllers.get(data.abort)?.abort();
  const controller = new AbortController();
  controllers.set(data.id, controller);
  try {
    const answer = await postRuns(data.scene, { signal: controller.signal });
    const buffers = answer.runs.flatMap((run) => Object.values(run).filter((v) => ArrayBuffer.isView(v)).map((v) => v.buffer));
    self.postMessage({ id: data.id, answer }, buffers);
  } catch (error) {
    self.postMessage({ id: data.id, error: { name: error?.name, status: error?.status, detail: error?.detail ?? String(error?.message ?? error) } });
  } finally {
    controllers.delete(data.id);
  }
};
