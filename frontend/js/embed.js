// Wiring of the embed (/embed?s=TOKEN[&view=contour|3d][&views=landscape,lr,loss]): the views of the scene a
// token holds, the timeline, and a link that opens the scene in Optiscape; no controls, and the URL never
// changes. The server has checked the query before serving the page; a scene it cannot compute is said in the
// status line. Any site may frame this page (and no other: app/server/middleware.py).

import * as api from "./api.js";
import { renderHeads } from "./legend.js";
import * as plots from "./plots.js";
import { createSession } from "./session.js";
import * as state from "./state.js";
import { createTimeline } from "./timeline.js";
import { viewModel } from "./view-model.js";

const $ = (selector) => document.querySelector(selector);
const plotlyReady = plots.loadPlotly();
const fetcher = new Worker("/static/js/fetcher.js", { type: "module" });

const shown = state.viewsFromUrl(location.search);
const views = {};
const heads = {};
const app = { catalog: null, scene: null, effective: null, results: [], mesh: null, done: false,
  mode: state.viewFromUrl(location.search), logLoss: true, lrScale: "auto", bands: null, updates: 0,
  views: shown, get step() { return timeline.step; }, get playing() { return timeline.playing; } };
window.optiscape = app;  // for the browser tests

const timeline = createTimeline({ onStep: () => requestDraw() });
const model = () => viewModel(app, timeline.step);

function setStatus(status, text = "") {
  document.body.dataset.status = status;
  $("#status").textContent = text;
}

// The views asked for, in the order asked; the others leave the page.
function layOut() {
  const grid = $(".grid");
  for (const name of state.EMBED_VIEWS) {
    const box = $(`#box-${name}`);
    if (!shown.includes(name)) { box.remove(); continue; }
    heads[name] = $(`#head-${name}`);
    views[name] = $(`#view-${name}`);
  }
  if (views.landscape) views.background = $("#view-background");
  grid.append(...shown.map((name) => $(`#box-${name}`)));
  grid.dataset.views = String(shown.length);
}

let drawing = null;
let dirty = false;
function requestDraw() {
  dirty = true;
  drawing ??= drawLoop().finally(() => { drawing = null; });
}

async function drawLoop() {
  await plotlyReady;
  while (dirty && app.mesh) {
    dirty = false;
    const current = model();
    renderHeads(heads, plots.titles(current), current.scene.runs);
    await plots.render(views, current);
    plots.bindEvents(views, model, { onHoverStep: (k) => { if (app.done) timeline.hover(k); }, onPick: () => {},
      onMoved: () => requestDraw() });
  }
  if (app.done && document.body.dataset.status !== "error") {
    app.updates += 1;
    const { runs, steps } = app.effective;
    setStatus("ready", `${runs.length} run${runs.length > 1 ? "s" : ""} × ${steps} steps`);
  }
}

function onAnswer(answer) {
  Object.assign(app, { effective: answer.effective, results: answer.results, mesh: answer.mesh, done: answer.done });
  if (answer.done) timeline.reset(app.effective.steps);
  requestDraw();
}

function onError(error) {
  const detail = error?.detail;
  setStatus("error", `Error: ${Array.isArray(detail) ? detail.map((e) => `${e.loc.join(".")}: ${e.msg}`).join("; ") : detail ?? error?.message ?? error}`);
}

async function start() {
  setStatus("loading", "loading…");
  layOut();
  const query = new URLSearchParams(location.search);
  $("#open").href = `/?${new URLSearchParams({ s: query.get("s") ?? "", view: query.get("view") ?? "contour" })}`;
  app.catalog = await api.getCatalog();
  try {
    app.scene = await state.sceneFromUrl(location.search, app.catalog.limits);
  } catch (error) {
    return setStatus("error", `The link's scene could not be read (${error.message}).`);
  }
  if (!app.scene) return setStatus("error", "This embed has no scene (?s=TOKEN).");
  app.scene.runs.forEach((run, i) => { run.colour ??= app.catalog.palette[i % app.catalog.palette.length]; });
  const session = createSession({ server: { ...api, postRuns: api.postRunsVia(fetcher), tokenOf: state.tokenOf },
    chunkSteps: app.catalog.stream_chunk_steps, meshN: app.catalog.page_mesh_n, onAnswer, onPartial: onAnswer, onError });
  plots.followSize(Object.values(views), () => requestDraw());
  setStatus("computing", "computing…");
  session.request(app.scene, performance.now());
}

window.addEventListener("error", (e) => setStatus("error", `Error: ${e.message}`));
start().catch(onError);
