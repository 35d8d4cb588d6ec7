// Wiring: catalog -> controls; scene -> URL -> server -> plots; timeline, summary, export, share.
// State and api never touch the DOM; plots is the only file that calls Plotly.

import * as api from "./api.js";
import { sceneErrors, serverErrors } from "./catalog.js";
import { renderControls, updateControls } from "./controls.js";
import { el } from "./dom.js";
import { runsCsv, runsJson, sceneJson } from "./export.js";
import * as plots from "./plots.js";
import * as state from "./state.js";

const $ = (selector) => document.querySelector(selector);

// Plotly (4.8 MB) loads and parses while the catalog and the first scene are fetched and computed.
const plotlyReady = new Promise((resolve, reject) => {
  const script = document.createElement("script");
  script.src = "/vendor/plotly.min.js";
  script.onload = resolve;
  script.onerror = () => reject(new Error("plotly.min.js did not load"));
  document.head.append(script);
});
const views = { landscape: $("#view-landscape"), lr: $("#view-lr"), loss: $("#view-loss") };

const app = {
  catalog: null, scene: null, effective: null, results: [], done: null, mesh: null, meshKey: null,
  step: null, mode: "surface", logLoss: true, logLr: false, partialDraws: 0, compiled: new Set(), selected: 0, playing: null, controller: null, generation: 0,
};
window.optiscape = app;  // for the browser tests and the curious

function setStatus(status, text = "") {
  document.body.dataset.status = status;
  $("#status").textContent = text;
}

function model() {
  const landscape = app.catalog.landscapes[app.scene.landscape.id];
  // f*: the catalog's lowest minimum holds at the default parameters; otherwise the plot uses the lowest loss
  const atDefaults = landscape.params.every((p) => (app.effective?.landscape.params[p.name] ?? p.default) === p.default);
  const minima = landscape.critical_points.filter((p) => p.kind === "minimum").map((p) => p.value);
  const target = atDefaults ? (minima.length ? Math.min(...minima) : landscape.infimum) : null;
  return { mesh: app.mesh, landscape, scene: app.effective || app.scene, results: app.results, step: app.step,
    mode: app.mode, logLoss: app.logLoss, logLr: app.logLr, bands: app.bands, steps: app.scene.steps, target: Number.isFinite(target) ? target : null };
}

let drawTimer = null;
function scheduleDraw(delay = 60) {
  if (drawTimer) return;
  drawTimer = setTimeout(async () => {
    drawTimer = null;
    await draw();
  }, delay);
}

async function draw() {
  if (app.mesh && !app.done && app.results.some((r) => r)) app.partialDraws += 1;  // drawn while streaming
  await plotlyReady;
  if (!app.mesh) return;
  const m = model();
  await plots.renderAll(views, m);
  plots.bindEvents(views, m, { onHoverStep: hoverStep, onPick: pickStart });
}

function hoverStep(k) {
  if (app.playing || !app.done) return;
  setStep(k);
}

function setStep(k) {
  const steps = app.scene.steps;
  app.step = k === null ? null : Math.max(0, Math.min(steps, k));
  $("#timeline").value = app.step ?? steps;
  $("#step-label").textContent = `step ${app.step ?? steps} / ${steps}`;
  plots.setStep(views, model());
}

function pickStart(x, y) {
  const round = (v) => +v.toPrecision(6);
  change(state.setAt(app.scene, `runs.${app.selected}.start`, [round(x), round(y)]), { structural: true });
}

// Every edit goes through here: validate locally, write the URL, then ask the server.
async function change(scene, { structural = false } = {}) {
  app.changedAt = performance.now();
  app.bands = null;
  app.scene = scene;
  renderPresetBox();
  if (structural) renderControls($("#controls"), app.catalog, app.scene, app.effective, app.selected, handlers);
  const errors = sceneErrors(app.catalog, scene);
  const unplaced = updateControls($("#controls"), scene, app.effective, errors);
  if (errors.length) {
    setStatus("invalid", unplaced.length ? unplaced.join("; ") : "Fix the highlighted fields.");
    return;
  }
  await compute();
}

async function compute() {
  const generation = ++app.generation;
  app.controller?.abort();
  app.controller = new AbortController();
  stopPlaying();
  const token = await state.tokenOf(app.scene);
  history.replaceState(null, "", `?s=${token}`);
  // a new typed expression compiles once (the server caches it); say so, it takes a moment
  const expressions = [app.scene.landscape.id === "expression" ? app.scene.landscape.params.f ?? "" : null,
    ...app.scene.runs.map((r) => (r.schedule.id === "expression" ? `k:${r.schedule.params.f ?? ""}` : null))].filter((e) => e !== null);
  const fresh = expressions.some((e) => !app.compiled.has(e));
  setStatus("computing", fresh ? "compiling the new expression (once)…" : "computing…");
  try {
    // the scene's defaults, the surface and the runs are asked for at once
    const meshKey = JSON.stringify(app.scene.landscape);
    const mesh = meshKey === app.meshKey ? Promise.resolve(app.mesh) : api.getMesh(app.scene.landscape, app.catalog.page_mesh_n);
    const effective = api.normalisedScene(token);
    const results = app.scene.runs.map(() => null);
    const streamed = api.streamRuns(token, (chunk) => {
      if (generation !== app.generation) return;
      const first = !results.some((r) => r);
      appendChunk(results, chunk);
      if (app.results !== results) return;
      if (first && app.mesh) draw();  // the first slice at once, then a few redraws per second (3D is costly)
      else scheduleDraw(400);
    }, app.controller.signal);
    for (const pending of [mesh, streamed]) pending.catch(() => {});  // whichever fails first is reported below
    app.effective = await effective;
    if (generation !== app.generation) return;
    app.mesh = await mesh;
    app.meshKey = meshKey;
    updateControls($("#controls"), app.scene, app.effective, []);
    app.results = results;
    $("#timeline").max = app.scene.steps;
    app.done = null;
    app.step = null;
    if (results.some((r) => r)) draw();  // slices that came before the surface: draw them now
    const done = await streamed;
    performance.mark("computed");
    if (generation !== app.generation) return;
    app.done = done;
    expressions.forEach((e) => app.compiled.add(e));
    done.runs.forEach((r, i) => Object.assign(app.results[i], r));
    clearTimeout(drawTimer);
    drawTimer = null;
    await plotlyReady;
    performance.mark("plotly");
    await draw();
    setStep(null);
    renderSummary();
    performance.mark("drawn");
    app.lastUpdateMs = performance.now() - app.changedAt;
    setStatus("ready", `${app.scene.runs.length} run${app.scene.runs.length > 1 ? "s" : ""} × ${app.scene.steps} steps in ${Math.round(app.lastUpdateMs)} ms`);
  } catch (error) {
    if (error?.name === "AbortError" || generation !== app.generation) return;
    if (error?.status === 422) {
      const unplaced = updateControls($("#controls"), app.scene, app.effective, serverErrors(error.detail));
      setStatus("invalid", unplaced.join("; ") || "The server refused a field: see the highlighted controls.");
    } else {
      setStatus("error", `Error: ${error?.detail ?? error?.message ?? error}`);
      console.warn(error);
    }
  }
}

function appendChunk(results, chunk) {
  const current = results[chunk.run];
  const fields = ["x", "y", "loss", "lr", "grad_norm", "step_norm", "fast_x", "fast_y"];
  if (!current) {
    results[chunk.run] = Object.fromEntries(fields.filter((f) => chunk[f]).map((f) => [f, chunk[f]]));
  } else {
    for (const f of fields) if (chunk[f]) current[f] = current[f].concat(chunk[f]);
  }
}

function renderSummary() {
  const body = $("#summary tbody");
  body.replaceChildren();
  const fmt = (v, digits = 4) => (v === null || v === undefined ? "–" : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(digits - 1) : (+v.toPrecision(digits)).toString());
  app.effective.runs.forEach((run, i) => {
    const result = app.results[i];
    const summary = result.summary;
    const status = result.status === "ok" ? "ok" : `${result.status} at step ${result.stopped_at}`;
    const nearest = summary.nearest_minimum ? `${fmt(summary.distance_to_nearest_minimum)} (${summary.nearest_minimum.name || `(${fmt(summary.nearest_minimum.x, 3)}, ${fmt(summary.nearest_minimum.y, 3)})`})` : "–";
    const row = document.createElement("tr");
    const cells = [run.label, fmt(summary.final_loss, 6), fmt(summary.best_loss, 6), status, nearest,
      summary.steps_to_tolerance ?? "never"];
    const swatch = document.createElement("td");
    swatch.innerHTML = `<span class="swatch" style="background:${run.colour}"></span>`;
    row.append(swatch);
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = String(text);
      row.append(cell);
    }
    if (result.status !== "ok") row.classList.add("stopped");
    body.append(row);
  });
  $("#summary caption").textContent = `Summary (tolerance ${app.effective.tolerance} on f − f*)`;
}

// Timeline: play / pause / step / scrub.
function stopPlaying() {
  if (app.playing) clearInterval(app.playing);
  app.playing = null;
  $("#play").textContent = "▶ play";
  $("#play").setAttribute("aria-pressed", "false");
}

function togglePlay() {
  if (app.playing) return stopPlaying();
  if (!app.done) return;
  if (app.step === null || app.step >= app.scene.steps) setStep(0);
  $("#play").textContent = "❚❚ pause";
  $("#play").setAttribute("aria-pressed", "true");
  app.playing = setInterval(() => {
    const next = (app.step ?? 0) + Number($("#speed").value);
    if (next >= app.scene.steps) { setStep(app.scene.steps); stopPlaying(); } else setStep(next);
  }, 50);
}

function download(name, content, type) {
  const link = document.createElement("a");
  link.href = typeof content === "string" && content.startsWith("data:") ? content : URL.createObjectURL(new Blob([content], { type }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}

const handlers = {
  set: (loc, value) => {
    const structural = /\.(plateau|visible)$/.test(loc) || loc === "steps" || /parts\.\d+\.steps$/.test(loc);
    let scene = state.setAt(app.scene, loc, value);
    if (/^runs\.\d+\.start\.\d$/.test(loc) && value === undefined) scene = state.setAt(app.scene, loc, 0);
    change(scene, { structural });
  },
  component: (loc, id) => {
    if (loc === "landscape") return change(state.setLandscape(app.scene, app.catalog, id), { structural: true });
    change(state.setComponent(app.scene, loc, id, app.catalog), { structural: true });
  },
  add: () => change(state.addRun(app.scene), { structural: true }),
  duplicate: (i) => change(state.duplicateRun(app.scene, i), { structural: true }),
  remove: (i) => { app.selected = Math.min(app.selected, app.scene.runs.length - 2); change(state.removeRun(app.scene, i), { structural: true }); },
  select: (i) => { app.selected = i; if (app.effective) renderExploreForm(); document.querySelectorAll("fieldset.run").forEach((f) => f.classList.toggle("selected", Number(f.dataset.run) === i)); },
  addPart: (i) => {
    const parts = structuredClone(app.scene.runs[i].schedule.params.parts);
    const lastSteps = Math.max(1, Math.floor(app.scene.steps / (parts.length + 1)));
    parts[parts.length - 1].steps = lastSteps;
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

function bindPage() {
  $("#preset-close").addEventListener("click", () => change(state.setAt(app.scene, "preset", null)));
  $("#mode").addEventListener("click", () => {
    app.mode = app.mode === "surface" ? "contour" : "surface";
    $("#mode").textContent = app.mode === "surface" ? "contour view" : "3D view";
    draw().then(() => setStep(app.step));
  });
  $("#log-loss").addEventListener("change", (e) => { app.logLoss = e.target.checked; draw().then(() => setStep(app.step)); });
  $("#log-lr").addEventListener("change", (e) => { app.logLr = e.target.checked; draw().then(() => setStep(app.step)); });
  $("#play").addEventListener("click", togglePlay);
  $("#back").addEventListener("click", () => { stopPlaying(); setStep((app.step ?? app.scene.steps) - 1); });
  $("#forward").addEventListener("click", () => { stopPlaying(); setStep((app.step ?? app.scene.steps) + 1); });
  $("#timeline").addEventListener("input", (e) => { stopPlaying(); setStep(Number(e.target.value)); });
  $("#share").addEventListener("click", async () => {
    const url = location.href;
    $("#share-url").value = url;
    $("#share-url").hidden = false;
    $("#share-url").select();
    try { await navigator.clipboard.writeText(url); $("#share").textContent = "link copied"; } catch { $("#share").textContent = "copy the link"; }
    setTimeout(() => { $("#share").textContent = "share"; }, 2000);
  });
  $("#export-png").addEventListener("click", async () => download("optiscape.png", await plots.toPng(views), "image/png"));
  $("#export-csv").addEventListener("click", () => download("optiscape-runs.csv", runsCsv(app.effective, app.results), "text/csv"));
  $("#export-json").addEventListener("click", () => download("optiscape-runs.json", runsJson(app.effective, app.results), "application/json"));
  $("#export-scene").addEventListener("click", () => download("optiscape-scene.json", sceneJson(app.effective), "application/json"));
  $("#export-script").addEventListener("click", async () => {
    try {
      download("optiscape_scene.py", await api.exportScript(app.effective), "text/x-python");
    } catch (error) {
      const detail = error?.detail;
      setStatus("invalid", Array.isArray(detail) ? detail.map((e) => e.msg).join("; ") : `Error: ${detail ?? error}`);
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea, button")) return;
    if (e.key === " ") { e.preventDefault(); togglePlay(); }
    if (e.key === "ArrowLeft") setStep((app.step ?? app.scene.steps) - 1);
    if (e.key === "ArrowRight") setStep((app.step ?? app.scene.steps) + 1);
  });
}

function renderPresetBox() {
  const preset = app.catalog.presets.find((p) => p.id === app.scene.preset);
  $("#preset-box").hidden = !preset;
  if (!preset) return;
  $("#preset-title").textContent = preset.title;
  $("#preset-text").replaceChildren(...preset.explanation.map((sentence) => {
    const p = document.createElement("p");
    p.textContent = sentence;
    return p;
  }));
}

function openPreset(preset) {
  const scene = state.defaultScene({ default_scene: preset.scene });
  app.selected = 0;
  change(scene, { structural: true });
  window.scrollTo({ top: 0, behavior: "smooth" });
}

function renderGallery() {
  $("#gallery").replaceChildren(...app.catalog.presets.map((preset) => el("article", { class: "card" },
    el("h3", { text: preset.title }), el("p", { text: preset.teaser }), el("span", { class: "tag", text: preset.claims }),
    el("button", { type: "button", "data-preset": preset.id, "aria-label": `open the preset ${preset.title}`,
      onclick: () => openPreset(preset) }, "open"))));
}

// The five families, each with the learning-rate curves of a few of its schedules (η0 = 0.1, T = 500).
async function renderFamilies() {
  const families = app.catalog.families;
  const runs = families.flatMap((f) => f.schedules.map((id) => {
    const names = new Set(app.catalog.schedules[id].params.map((p) => p.name));
    const params = names.has("lr") ? { lr: 0.1 } : { max_lr: 0.1 };
    return { label: id, schedule: { id, params }, start: [0, 0] };
  }));
  const answer = await api.postRuns({ landscape: { id: "quadratic" }, steps: 500, runs });
  const box = $("#families");
  box.replaceChildren();
  let index = 0;
  for (const family of families) {
    const chart = el("div", { class: "chart", "data-family": family.family });
    box.append(el("div", { class: "family" }, el("h3", { text: family.title }), el("p", { text: family.text }), chart));
    const curves = family.schedules.map((id) => ({ name: app.catalog.schedules[id].title, lr: answer.runs[index++].lr }));
    await plotlyReady;
    await plots.drawCurves(chart, curves);
  }
}

// ---- Explore the selected run: basin map, sweep, LR range test, seeds ----

const EXPLORE = { tab: "basins", busy: null };

function field(label, attrs) {
  const wrapper = document.createElement("label");
  wrapper.textContent = label;
  const input = document.createElement(attrs.options ? "select" : "input");
  for (const [name, value] of Object.entries(attrs)) if (name !== "options") input.setAttribute(name, value);
  for (const option of attrs.options || []) {
    const o = document.createElement("option");
    o.value = option;
    o.textContent = option;
    input.append(o);
  }
  wrapper.append(input);
  return wrapper;
}

function sweepable() {
  const run = app.effective.runs[app.selected];
  const numeric = (params, prefix) => Object.entries(params || {}).filter(([, v]) => typeof v === "number").map(([k]) => prefix + k);
  return [...numeric(run.schedule.params, "schedule.params."), ...numeric(run.optimizer.params, "optimizer.params."),
    ...numeric(run.optimizer.params.inner?.params, "optimizer.params.inner.params."), "start.0", "start.1", "clip_norm",
    "noise.std", "steps"];
}

function renderExploreForm() {
  const form = $("#explore-form");
  form.replaceChildren();
  const add = (...nodes) => form.append(...nodes);
  const tab = EXPLORE.tab;
  if (tab === "basins") {
    add(field("grid n × n", { name: "n", options: ["32", "64", "128", "256"] }),
      field("side by side with", { name: "compare", options: ["none", ...app.effective.runs.map((r, i) => `run ${i + 1}: ${r.label}`).filter((_, i) => i !== app.selected)] }));
  }
  if (tab === "sweep") {
    const params = sweepable();
    add(field("x: parameter", { name: "x_param", options: params }), field("from", { name: "x_from", type: "number", step: "any", value: "0.001" }),
      field("to", { name: "x_to", type: "number", step: "any", value: "0.1" }), field("n", { name: "x_n", type: "number", value: "16", min: 2, max: 64 }),
      field("scale", { name: "x_scale", options: ["log", "linear"] }),
      field("y: parameter", { name: "y_param", options: ["none", ...params] }), field("from", { name: "y_from", type: "number", step: "any", value: "0" }),
      field("to", { name: "y_to", type: "number", step: "any", value: "0.95" }), field("n", { name: "y_n", type: "number", value: "8", min: 2, max: 64 }),
      field("scale", { name: "y_scale", options: ["linear", "log"] }),
      field("show", { name: "metric", options: ["final loss", "steps to tolerance", "status"] }));
  }
  if (tab === "range") {
    add(field("min η", { name: "min_lr", type: "number", step: "any", value: "0.00001" }),
      field("max η", { name: "max_lr", type: "number", step: "any", value: "1" }),
      field("steps", { name: "steps", type: "number", value: "500", min: 10 }), field("ramp", { name: "mode", options: ["exponential", "linear"] }));
  }
  if (tab === "seeds") add(field("seeds", { name: "seeds", type: "number", value: "8", min: 2, max: 64 }));
  const go = document.createElement("button");
  go.type = "submit";
  go.id = "explore-go";
  go.textContent = "compute";
  add(go);
  if (tab === "range") {
    for (const [id, text] of [["use-bounds", "use these bounds (triangular)"], ["use-one-cycle", "use max for 1cycle"]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.id = id;
      b.textContent = text;
      b.disabled = !EXPLORE.range;
      add(b);
    }
    $("#use-bounds").addEventListener("click", () => setSchedule({ id: "triangular", params: { base_lr: EXPLORE.range.suggestion.base_lr, max_lr: EXPLORE.range.suggestion.max_lr } }));
    $("#use-one-cycle").addEventListener("click", () => setSchedule({ id: "one_cycle", params: { max_lr: EXPLORE.range.suggestion.one_cycle_max_lr } }));
  }
}

function setSchedule(schedule) {
  const round = (v) => +v.toPrecision(4);
  const params = Object.fromEntries(Object.entries(schedule.params).map(([k, v]) => [k, round(v)]));
  change(state.setAt(app.scene, `runs.${app.selected}.schedule`, { id: schedule.id, params }), { structural: true });
}

async function runExplore(event) {
  event.preventDefault();
  if (!app.effective) return;
  const data = Object.fromEntries(new FormData($("#explore-form")));
  const body = { scene: app.effective, run: app.selected };
  const target = model().target ?? Math.min(...app.results.flatMap((r) => r.loss));
  const views = [$("#explore-plot"), $("#explore-plot-2")];
  $("#explore-status").textContent = "computing…";
  document.body.dataset.explore = "computing";
  try {
    await plotlyReady;
    const started = performance.now();
    if (EXPLORE.tab === "basins") {
      const other = data.compare && data.compare !== "none" ? Number(data.compare.split(":")[0].slice(4)) - 1 : null;
      const n = Number(data.n);
      if (n >= 128 && other === null) {  // progressive: a coarse map first, while the full one computes
        const coarse = await api.postJson("/api/basins", { ...body, n: n / 4 });
        views[1].hidden = true;
        await plots.drawBasins(views[0], coarse, app.mesh, `Basin map (${n / 4}² preview, ${n}² on its way)`);
        $("#explore-status").textContent = `${n / 4}² preview; computing ${n}²…`;
      }
      const [grid, second] = await Promise.all([api.postJson("/api/basins", { ...body, n }),
        other === null ? null : api.postJson("/api/basins", { ...body, run: other, n })]);
      views[1].hidden = other === null;
      const label = (i) => app.effective.runs[i].label;
      await plots.drawBasins(views[0], grid, app.mesh, other === null ? undefined : `Basins of ${label(app.selected)}`);
      if (other !== null) await plots.drawBasins(views[1], second, app.mesh, `Basins of ${label(other)}`);
      await plots.resize(...views);
      views[0].removeAllListeners?.("plotly_click");
      views[0].on("plotly_click", (e) => { const p = e.points?.[0]; if (p) pickStart(p.x, p.y); });
      $("#explore-status").textContent = `${data.n}² starts in ${Math.round(performance.now() - started)} ms`;
    } else if (EXPLORE.tab === "sweep") {
      const axis = (p) => ({ param: data[`${p}_param`], from: Number(data[`${p}_from`]), to: Number(data[`${p}_to`]), n: Number(data[`${p}_n`]), scale: data[`${p}_scale`] });
      // the scene as written: on a steps axis each length fills its own defaults written in T
      const request = { scene: app.scene, run: app.selected, x: axis("x"), ...(data.y_param !== "none" ? { y: axis("y") } : {}) };
      const out = await api.postJson("/api/sweeps", request);
      views[1].hidden = true;
      await plots.drawSweep(views[0], out, target, [request.x.scale === "log", request.y?.scale === "log"], data.metric);
      views[0].removeAllListeners?.("plotly_click");
      views[0].on("plotly_click", (e) => {
        const p = e.points?.[0];
        if (!p) return;
        let scene = state.duplicateRun(app.scene, app.selected);
        const set = (param, value) => { scene = state.setAt(scene, `runs.${app.selected + 1}.${param}`, +Number(value).toPrecision(6)); };
        const put = (param, value) => { if (param === "steps") scene = state.setAt(scene, "steps", Math.round(value)); else set(param, value); };
        put(request.x.param, p.x);
        if (request.y) put(request.y.param, p.y);
        scene = state.setAt(scene, `runs.${app.selected + 1}.label`, `${request.x.param.split(".").pop()} = ${(+p.x).toPrecision(3)}` + (request.y ? `, ${request.y.param.split(".").pop()} = ${(+p.y).toPrecision(3)}` : ""));
        change(scene, { structural: true });
      });
      $("#explore-status").textContent = `${out.final_loss.flat().length} runs in ${Math.round(performance.now() - started)} ms`;
    } else if (EXPLORE.tab === "range") {
      EXPLORE.range = await api.postJson("/api/range-test", { ...body, min_lr: Number(data.min_lr), max_lr: Number(data.max_lr), steps: Number(data.steps), mode: data.mode });
      views[1].hidden = true;
      await plots.drawRangeTest(views[0], EXPLORE.range);
      const s = EXPLORE.range.suggestion;
      renderExploreForm();
      $("#explore-status").textContent = `suggested: base_lr ${s.base_lr.toPrecision(3)}, max_lr ${s.max_lr.toPrecision(3)} (the loss is lowest at η = ${s.lowest_loss_lr.toPrecision(3)})`;
    } else {
      const bands = await api.postJson("/api/seeds", { ...body, seeds: Number(data.seeds) });
      views[1].hidden = false;
      await plots.drawSeeds(views[0], views[1], bands, app.mesh, app.effective.runs[app.selected].colour);
      app.bands = bands;  // also shown on the main loss trace until the scene changes
      await draw();
      $("#explore-status").textContent = `${data.seeds} seeds in ${Math.round(performance.now() - started)} ms`;
    }
    await plots.resize(...views);
    document.body.dataset.explore = "ready";
  } catch (error) {
    const detail = error?.detail;
    $("#explore-status").textContent = Array.isArray(detail) ? detail.map((e) => `${e.loc.slice(1).join(".")}: ${e.msg}`).join("; ") : `Error: ${detail ?? error}`;
    document.body.dataset.explore = "error";
  }
}

function bindExplore() {
  for (const tab of document.querySelectorAll("#explore [role=tab]")) {
    tab.addEventListener("click", () => {
      if (EXPLORE.tab === tab.dataset.tab) return;  // keep what the user typed
      EXPLORE.tab = tab.dataset.tab;
      for (const t of document.querySelectorAll("#explore [role=tab]")) t.setAttribute("aria-selected", String(t === tab));
      renderExploreForm();
    });
  }
  $("#explore-form").addEventListener("submit", runExplore);
}

async function start() {
  setStatus("loading", "loading…");
  bindPage();
  app.catalog = await api.getCatalog();
  performance.mark("catalog");
  let scene = null;
  try {
    scene = await state.sceneFromUrl(location.search);
  } catch (error) {
    setStatus("error", `The link's scene could not be read (${error.message}); showing the default scene.`);
  }
  app.scene = scene || state.defaultScene(app.catalog);
  app.scene.runs.forEach((run, i) => { run.colour ??= state.PALETTE[i % state.PALETTE.length]; });
  renderControls($("#controls"), app.catalog, app.scene, null, app.selected, handlers);
  renderGallery();
  bindExplore();
  await change(app.scene);
  renderExploreForm();
  // below the fold: drawn when it comes into view, so it never competes with the first picture
  const observer = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    observer.disconnect();
    renderFamilies().catch((error) => console.warn("schedule families:", error));
  });
  observer.observe($("#families"));
}

window.addEventListener("error", (e) => setStatus("error", `Error: ${e.message}`));
start();
