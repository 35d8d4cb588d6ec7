// Wiring: catalog -> controls; an edit -> scene -> session (server) -> views; the URL, the timeline, the panels.
// State lives in `app` (what is shown) and in the session (what is asked); plots.js alone calls Plotly.

import * as api from "./api.js";
import { sceneErrors, serverErrors } from "./catalog.js";
import { renderControls, updateControls } from "./controls.js";
import { createExplore } from "./explore.js";
import { renderHeads } from "./legend.js";
import { runsCsv, runsJson, sceneJson } from "./export.js";
import { bindKeys, KEYS, presetAfter } from "./keys.js";
import { renderFamilies, renderGallery, renderPresetBox, renderSummary } from "./panels.js";
import * as plots from "./plots.js";
import { createSession } from "./session.js";
import * as state from "./state.js";
import { createTimeline } from "./timeline.js";
import { viewModel } from "./view-model.js";

const $ = (selector) => document.querySelector(selector);
const SETTLE_MS = 250;  // the URL is rewritten once a drag has been still this long (or at its release)

// Plotly (4.8 MB) loads and parses while the catalog and the first scene are fetched and computed.
const plotlyReady = plots.loadPlotly();
// The worker that fetches and decodes the runs (fetcher.js) starts now, while the catalog is on its way.
const fetcher = new Worker("/static/js/fetcher.js", { type: "module" });
const views = { landscape: $("#view-landscape"), background: $("#view-background"), lr: $("#view-lr"), loss: $("#view-loss") };
const heads = { landscape: $("#head-landscape"), lr: $("#head-lr"), loss: $("#head-loss") };

// What the page shows. `updates` counts completed view updates since load; `lastUpdateMs` is the time from the
// input to the last one's views redrawn and painted, `lastUpdateParts` splits it: {wait: until its request
// was sent (one was in flight), answer: until the server's answer was decoded, draw: from there to painted}.
const app = {
  catalog: null, scene: null, effective: null, results: [], mesh: null, done: false, mode: "contour", logLoss: true,
  lrScale: "auto", bands: null, selected: 0, updates: 0, lastUpdateMs: null, lastUpdateParts: null, partialDraws: 0,
  compiled: new Set(),
  playOnce: false, structuralPending: false, dragging: false, failedAt: 0, showingErrors: false, presetShown: undefined, exploreFor: null,
  get step() { return timeline.step; },
  get playing() { return timeline.playing; },
};
window.optiscape = app;  // for the browser tests and the curious

const timeline = createTimeline({ onStep: () => requestDraw() });
let session = null;
let explore = null;

function setStatus(status, text = "") {
  document.body.dataset.status = status;
  if ($("#status").textContent !== text) $("#status").textContent = text;
}

const model = () => viewModel(app, timeline.step);

// ---- Drawing: one render at a time, always of the latest state; an update counts once it is painted ----

let drawing = null;
let dirty = false;
let finished = [];  // answers drawn by the render in progress: their update completes when it is painted

// Resolves once the next frame is painted (a render that already waited for a frame: once it is).
const painted = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
const afterFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

function requestDraw(answer = null) {
  if (answer) finished.push(answer);
  dirty = true;
  drawing ??= drawLoop().finally(() => { drawing = null; });
}

// The page around the views follows a complete answer after the views are drawn: Plotly measures text while it
// draws, and every change to the page before that would make it lay out the whole page again. An update
// completes once painted; the next render does not wait for that.
async function drawLoop() {
  await plotlyReady;
  while (dirty && app.mesh) {
    dirty = false;
    const answers = finished;
    finished = [];
    const current = model();
    renderHeads(heads, plots.titles(current), current.scene.runs);  // first: it sets the plots' height
    const { framed } = await plots.render(views, current);
    plots.bindEvents(views, model, { onHoverStep: (k) => { if (app.done) timeline.hover(k); }, onPick: pickStart,
      onMoved: () => requestDraw() });
    if (answers.some((a) => a.done)) around();
    (framed ? afterFrame() : painted()).then(() => answers.forEach(completed));
  }
}

function around() {
  showLrScale();
  if (!app.dragging) updateControls($("#controls"), app.scene, app.effective, []);  // the defaults shown: after a drag
  renderSummary(app.effective, app.results);
  if (app.exploreFor !== app.effective.runs.length) {  // the explore form lists the runs: only when they change
    app.exploreFor = app.effective.runs.length;
    explore.render();
  }
}

function completed(answer) {
  if (!answer.done) { app.partialDraws += 1; return; }
  app.updates += 1;
  app.lastUpdateMs = performance.now() - answer.at;
  app.lastUpdateParts = { wait: answer.sentAt - answer.at, answer: answer.answeredAt - answer.sentAt,
    draw: performance.now() - answer.answeredAt };
  if (answer.seq <= app.failedAt) return;  // a refusal came after the edit this answer is for: it stands
  const { runs, steps } = app.effective;
  setStatus("ready", `${runs.length} run${runs.length > 1 ? "s" : ""} × ${steps} steps, drawn ${Math.round(app.lastUpdateMs)} ms after the edit`);
}

// ---- From an edit to the server ----

let urlTimer = null;
function writeUrl() {
  clearTimeout(urlTimer);
  urlTimer = null;
  const scene = app.scene;
  state.urlOf(scene, app.mode).then((url) => { if (scene === app.scene) history.replaceState(null, "", url); });
}

// Every edit goes through here: validate locally, then ask the server; a live edit (a slider moving) rewrites
// the URL once it settles.
function change(scene, { structural = false, live = false, at = performance.now() } = {}) {
  app.bands = null;
  app.scene = scene;
  timeline.stop();
  if (scene.preset !== app.presetShown) renderPresetBox(app.catalog, scene);
  app.presetShown = scene.preset;
  if (structural) { renderControls($("#controls"), app.catalog, scene, app.effective, app.selected, handlers); app.exploreFor = null; }
  const errors = sceneErrors(app.catalog, scene);
  // a slider writes its own field; the rest of the panel changes only to show (or clear) errors
  const unplaced = live && !errors.length && !app.showingErrors ? [] : updateControls($("#controls"), scene, app.effective, errors);
  app.showingErrors = errors.length > 0;
  if (errors.length) {
    app.failedAt = session.state.latest;  // no answer asked for before this edit may say "ready"
    setStatus("invalid", unplaced.length ? unplaced.join("; ") : "Fix the highlighted fields.");
    return;
  }
  clearTimeout(urlTimer);
  if (live) urlTimer = setTimeout(writeUrl, SETTLE_MS);
  else writeUrl();
  // a new typed expression compiles once (the server caches it); say so, it takes a moment
  const fresh = expressionsOf(scene).some((e) => !app.compiled.has(e));
  if (live) document.body.dataset.status = "computing";  // the status line changes when the views do
  else setStatus("computing", fresh ? "compiling the new expression (once)…" : "computing…");
  session.request(scene, at);
}

function expressionsOf(scene) {
  return [scene.landscape.id === "expression" ? scene.landscape.params.f ?? "" : null,
    ...scene.runs.map((r) => (r.schedule.id === "expression" ? `k:${r.schedule.params.f ?? ""}` : null))].filter((e) => e !== null);
}

function onAnswer(answer) {
  app.effective = answer.effective;
  app.results = answer.results;
  app.mesh = answer.mesh;
  app.done = answer.done;
  if (!answer.done) return requestDraw(answer);
  expressionsOf(answer.scene).forEach((e) => app.compiled.add(e));
  timeline.reset(app.effective.steps);
  if (app.playOnce) {  // a first visit: the default scene plays once, from step 0
    app.playOnce = false;
    timeline.play();
  }
  requestDraw(answer);
}

function onError(error, job) {
  app.failedAt = job.seq;
  if (error?.status === 422) {
    app.showingErrors = true;
    const unplaced = updateControls($("#controls"), app.scene, app.effective, serverErrors(error.detail));
    setStatus("invalid", unplaced.join("; ") || "The server refused a field: see the highlighted controls.");
  } else {
    setStatus("error", `Error: ${error?.detail ?? error?.message ?? error}`);
    console.warn(error);
  }
}

function pickStart(x, y) {
  const round = (v) => +v.toPrecision(6);
  change(state.setAt(app.scene, `runs.${app.selected}.start`, [round(x), round(y)]), { structural: true });
}

// ---- Controls ----

const handlers = {
  set: (loc, value, { live = false, at } = {}) => {
    const structural = /\.(plateau|visible)$/.test(loc) || loc === "steps" || /parts\.\d+\.steps$/.test(loc);
    let scene = state.setAt(app.scene, loc, value);
    if (/^runs\.\d+\.start\.\d$/.test(loc) && value === undefined) scene = state.setAt(app.scene, loc, 0);
    app.structuralPending ||= structural && live;
    app.dragging = live;
    change(scene, { structural: structural && !live, live, at });
  },
  settle: () => {  // a slider let go: the controls that depend on its value follow, the URL is written
    app.dragging = false;
    if (app.structuralPending) renderControls($("#controls"), app.catalog, app.scene, app.effective, app.selected, handlers);
    else updateControls($("#controls"), app.scene, app.effective, []);
    app.structuralPending = false;
    if (urlTimer) writeUrl();
  },
  component: (loc, id) => {
    if (loc === "landscape") return change(state.setLandscape(app.scene, app.catalog, id), { structural: true });
    change(state.setComponent(app.scene, loc, id, app.catalog), { structural: true });
  },
  add: () => change(state.addRun(app.scene, app.catalog.palette), { structural: true }),
  duplicate: (i) => change(state.duplicateRun(app.scene, i, app.catalog.palette), { structural: true }),
  remove: (i) => { app.selected = Math.min(app.selected, app.scene.runs.length - 2); change(state.removeRun(app.scene, i), { structural: true }); },
  select: (i) => {
    app.selected = i;
    explore.render();
    document.querySelectorAll("fieldset.run").forEach((f) => f.classList.toggle("selected", Number(f.dataset.run) === i));
  },
  addPart: (i) => {
    const parts = structuredClone(app.scene.runs[i].schedule.params.parts);
    parts[parts.length - 1].steps = Math.max(1, Math.floor(app.scene.steps / (parts.length + 1)));
    parts.push({ schedule: { id: "constant", params: {} } });
    change(state.setAt(app.scene, `runs.${i}.schedule.params.parts`, parts), { structural: true });
  },
  removePart: (i, j) => {
    const parts = structuredClone(app.scene.runs[i].schedule.params.parts);
    parts.splice(j, 1);
    delete parts[parts.length - 1].steps;
    change(state.setAt(app.scene, `runs.${i}.schedule.params.parts`, parts), { structural: true });
  },
};

// ---- The page's own buttons ----

function download(name, content, type) {
  const link = document.createElement("a");
  link.href = typeof content === "string" && content.startsWith("data:") ? content : URL.createObjectURL(new Blob([content], { type }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}

function showMode() {
  $("#mode").textContent = app.mode === "surface" ? "contour view" : "3D view";
  $("#mode").setAttribute("aria-label", `switch to the ${app.mode === "surface" ? "contour" : "3D"} view`);
}

function showLrScale() {
  const automatic = $("#lr-scale option[value=auto]");
  const text = app.results.some((r) => r) ? `auto (${plots.lrAxisType({ ...model(), lrScale: "auto" })})` : "auto";
  if (automatic.textContent !== text) automatic.textContent = text;
}

function bindPage() {
  $("#preset-close").addEventListener("click", () => change(state.setAt(app.scene, "preset", null)));
  $("#mode").addEventListener("click", () => {
    app.mode = app.mode === "surface" ? "contour" : "surface";
    showMode();
    writeUrl();
    requestDraw();
  });
  $("#log-loss").addEventListener("change", (e) => { app.logLoss = e.target.checked; requestDraw(); });
  $("#lr-scale").addEventListener("change", (e) => { app.lrScale = e.target.value; requestDraw(); });
  // the share menu: the link to the scene shown, and an <iframe> that embeds its views in another page
  $("#share-menu").addEventListener("toggle", async (e) => {
    if (!e.target.open) return;
    const search = await state.urlOf(app.scene, app.mode);
    $("#share-url").value = new URL(search, location.href).href;
    $("#embed-snippet").value = state.embedOf(location.origin, search).snippet;
  });
  const copyFrom = (button, field, done, label = button.textContent) => async () => {
    field.select();
    try { await navigator.clipboard.writeText(field.value); button.textContent = done; } catch { button.textContent = "selected: copy it"; }
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  $("#share").addEventListener("click", copyFrom($("#share"), $("#share-url"), "link copied"));
  $("#copy-embed").addEventListener("click", copyFrom($("#copy-embed"), $("#embed-snippet"), "<iframe> copied"));
  $("#export-png").addEventListener("click", async () => download("optiscape.png", await plots.toPng(views), "image/png"));
  $("#export-csv").addEventListener("click", () => download("optiscape-runs.csv", runsCsv(app.effective, app.results), "text/csv"));
  $("#export-json").addEventListener("click", () => download("optiscape-runs.json", runsJson(app.effective, app.results), "application/json"));
  $("#export-scene").addEventListener("click", () => download("optiscape-scene.json", sceneJson(app.effective), "application/json"));
  // what the server makes of the scene: downloaded, or its refusal shown in the status line
  const fromServer = (button, name, ask, type) => $(button).addEventListener("click", async () => {
    try {
      download(name, await ask(app.effective), type);
    } catch (error) {
      const detail = error?.detail;
      setStatus("invalid", Array.isArray(detail) ? detail.map((e) => e.msg).join("; ") : `Error: ${detail ?? error}`);
    }
  });
  fromServer("#export-script", "optiscape_scene.py", api.exportScript, "text/x-python");
  fromServer("#export-report", "optiscape_report.html", api.exportReport, "text/html");
  // small screens: the views first, the controls folded away until asked for (and unfolded on a wide one, which
  // has no handle to unfold them)
  bindPresentingKeys();
  const narrow = matchMedia("(max-width: 700px)");
  $("#panel").open = !narrow.matches;
  narrow.addEventListener("change", (e) => { if (!e.matches) $("#panel").open = true; });
}

// Keys for presenting (the timeline binds its own): the next / previous preset, the views full-screen, the list.
function bindPresentingKeys() {
  const help = $("#keys-help");
  help.querySelector("dl").replaceChildren(...KEYS.flatMap(([key, what]) => {
    const dt = document.createElement("dt"); dt.textContent = key;
    const dd = document.createElement("dd"); dd.textContent = what;
    return [dt, dd];
  }));
  const stepPreset = (direction) => {
    const ids = app.catalog.presets.map((p) => p.id);
    const id = presetAfter(ids, app.scene.preset, direction);
    if (id) openPreset(app.catalog.presets.find((p) => p.id === id));
  };
  const fullscreen = () => {
    const on = document.body.classList.toggle("presenting");
    if (on) document.querySelector(".views").requestFullscreen?.().catch(() => {});
    else if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    requestDraw();
  };
  document.addEventListener("fullscreenchange", () => {
    if (!document.fullscreenElement && document.body.classList.contains("presenting")) fullscreen();
  });
  $("#keys-help-close").addEventListener("click", () => { help.hidden = true; });
  bindKeys({ "previous-preset": () => stepPreset(-1), "next-preset": () => stepPreset(1), fullscreen,
    help: () => { help.hidden = !help.hidden; }, "close-help": () => { help.hidden = true; } });
}

function openPreset(preset) {
  app.selected = 0;
  change(state.defaultScene({ default_scene: preset.scene, palette: app.catalog.palette }), { structural: true });
  window.scrollTo({ top: 0, behavior: "smooth" });
}

async function start() {
  setStatus("loading", "loading…");
  bindPage();
  app.catalog = await api.getCatalog();
  session = createSession({ server: { ...api, postRuns: api.postRunsVia(fetcher), tokenOf: state.tokenOf },
    chunkSteps: app.catalog.stream_chunk_steps,
    meshN: app.catalog.page_mesh_n, onAnswer, onPartial: onAnswer, onError });
  let scene = null;
  try {
    scene = await state.sceneFromUrl(location.search, app.catalog.limits);
  } catch (error) {
    setStatus("error", `The link's scene could not be read (${error.message}); showing the default scene.`);
  }
  app.mode = state.viewFromUrl(location.search);
  app.playOnce = !scene;  // a first visit plays the default scene once
  showMode();
  app.scene = scene || state.defaultScene(app.catalog);
  app.scene.runs.forEach((run, i) => { run.colour ??= app.catalog.palette[i % app.catalog.palette.length]; });
  renderControls($("#controls"), app.catalog, app.scene, null, app.selected, handlers);
  renderGallery(app.catalog, openPreset);
  plots.followSize(Object.values(views), () => requestDraw());
  explore = createExplore({ catalog: () => app.catalog, effective: () => app.effective, scene: () => app.scene,
    selected: () => app.selected, mesh: () => app.mesh, plotlyReady,
    target: () => model().target ?? Math.min(...app.results.map((r) => r.loss.reduce((a, b) => Math.min(a, b), Infinity))) },
  { onScene: (s) => change(s, { structural: true }), onPick: pickStart,
    onBands: (bands) => { app.bands = bands; requestDraw(); } });
  change(app.scene);
  // below the fold: drawn when it comes into view, so it never competes with the first picture
  const observer = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    observer.disconnect();
    renderFamilies(app.catalog, api.postRuns, async (chart, curves) => { await plotlyReady; await plots.drawCurves(chart, curves); })
      .catch((error) => console.warn("schedule families:", error));
  });
  observer.observe($("#families"));
}

window.addEventListener("error", (e) => setStatus("error", `Error: ${e.message}`));
start();
