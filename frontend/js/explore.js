// The explore panel: basin map, sweep, LR range test, seed bands and tuning η of the selected run (or of every run). Its forms take their
// limits and the sweepable parameters from the catalog; its charts are drawn by plots.js.
//
//   const explore = createExplore(page, { onScene: (scene) => change(scene), onBands: (bands) => ..., onPick });
//   explore.render();   // after the selected run or the scene changed

import * as api from "./api.js";
import { el } from "./dom.js";
import * as plots from "./plots.js";
import * as state from "./state.js";

const $ = (selector) => document.querySelector(selector);

function field(label, attrs) {
  const options = attrs.options;
  const input = el(options ? "select" : "input", Object.fromEntries(Object.entries(attrs).filter(([k]) => k !== "options")));
  for (const option of options || []) input.append(el("option", { value: option, text: option }));
  return el("label", {}, label, input);
}

// The parameters a sweep may vary on a run: the catalog's list, each <name> standing for the numbers there.
export function sweepable(patterns, run) {
  return patterns.flatMap((pattern) => {
    if (!pattern.includes("<name>")) return [pattern];
    const prefix = pattern.slice(0, pattern.indexOf("<name>"));
    const params = state.getAt(run, prefix.slice(0, -1));
    return Object.entries(params || {}).filter(([, v]) => typeof v === "number").map(([k]) => prefix + k);
  });
}

// `page`: {catalog(), effective(), scene(), selected(), mesh(), target(), plotlyReady}.
export function createExplore(page, { onScene, onBands, onPick }) {
  const ui = { tab: "basins", range: null };
  const views = () => [$("#explore-plot"), $("#explore-plot-2")];
  const limits = () => page.catalog().limits;

  function render() {
    const form = $("#explore-form");
    form.replaceChildren();
    const add = (...nodes) => form.append(...nodes);
    const effective = page.effective();
    if (!effective) return;
    const selected = page.selected();
    if (ui.tab === "basins") {
      const sizes = [];
      for (let n = 32; n <= limits().max_basin_n; n *= 2) sizes.push(String(n));
      add(field("grid n × n", { name: "n", options: sizes }),
        field("side by side with", { name: "compare", options: ["none", ...effective.runs.map((r, i) => `run ${i + 1}: ${r.label}`)
          .filter((_, i) => i !== selected)] }));
    }
    if (ui.tab === "sweep") {
      const params = sweepable(page.catalog().sweep_params, effective.runs[selected]);
      const most = limits().max_sweep_axis_values;
      add(field("x: parameter", { name: "x_param", options: params }), field("from", { name: "x_from", type: "number", step: "any", value: "0.001" }),
        field("to", { name: "x_to", type: "number", step: "any", value: "0.1" }), field("n", { name: "x_n", type: "number", value: "16", max: most }),
        field("scale", { name: "x_scale", options: ["log", "linear"] }),
        field("y: parameter", { name: "y_param", options: ["none", ...params] }), field("from", { name: "y_from", type: "number", step: "any", value: "0" }),
        field("to", { name: "y_to", type: "number", step: "any", value: "0.95" }), field("n", { name: "y_n", type: "number", value: "8", max: most }),
        field("scale", { name: "y_scale", options: ["linear", "log"] }),
        field("show", { name: "metric", options: ["final loss", "steps to tolerance", "status"] }));
    }
    if (ui.tab === "range") {
      add(field("min η", { name: "min_lr", type: "number", step: "any", value: "0.00001" }),
        field("max η", { name: "max_lr", type: "number", step: "any", value: "1" }),
        field("steps", { name: "steps", type: "number", value: "500", max: limits().max_range_test_steps }),
        field("ramp", { name: "mode", options: ["exponential", "linear"] }));
    }
    if (ui.tab === "seeds") add(field("seeds", { name: "seeds", type: "number", value: "8", max: limits().max_seeds }));
    if (ui.tab === "tune") {
      add(field("runs", { name: "which", options: ["the selected run", "every run"] }),
        field("score", { name: "metric", options: ["final_loss", "steps_to_tolerance"] }),
        field("rates tried", { name: "n", type: "number", value: "25", min: 3, max: limits().max_tune_n }));
    }
    add(el("button", { type: "submit", id: "explore-go" }, ui.tab === "tune" ? "tune η and apply the best" : "compute"));
    if (ui.tab === "range") {
      const suggestion = ui.range?.suggestion;
      add(el("button", { type: "button", id: "use-bounds", disabled: !suggestion, onclick: () => setSchedule({ id: "triangular",
        params: { base_lr: suggestion.base_lr, max_lr: suggestion.max_lr } }) }, "use these bounds (triangular)"),
      el("button", { type: "button", id: "use-one-cycle", disabled: !suggestion, onclick: () => setSchedule({ id: "one_cycle",
        params: { max_lr: suggestion.one_cycle_max_lr } }) }, "use max for 1cycle"));
    }
  }

  function setSchedule(schedule) {
    const round = (v) => +v.toPrecision(4);
    const params = Object.fromEntries(Object.entries(schedule.params).map(([k, v]) => [k, round(v)]));
    onScene(state.setAt(page.scene(), `runs.${page.selected()}.schedule`, { id: schedule.id, params }));
  }

  async function basins(data, body, started) {
    const [main, second] = views();
    const other = data.compare && data.compare !== "none" ? Number(data.compare.split(":")[0].slice(4)) - 1 : null;
    const n = Number(data.n);
    if (n >= 128 && other === null) {  // progressive: a coarse map first, while the full one computes
      const coarse = await api.postJson("/api/basins", { ...body, n: n / 4 });
      second.hidden = true;
      await plots.drawBasins(main, coarse, page.mesh(), `Basin map (${n / 4}² preview, ${n}² on its way)`);
      $("#explore-status").textContent = `${n / 4}² preview; computing ${n}²…`;
    }
    const [grid, compared] = await Promise.all([api.postJson("/api/basins", { ...body, n }),
      other === null ? null : api.postJson("/api/basins", { ...body, run: other, n })]);
    second.hidden = other === null;
    const label = (i) => page.effective().runs[i].label;
    await plots.drawBasins(main, grid, page.mesh(), other === null ? undefined : `Basins of ${label(body.run)}`);
    if (other !== null) await plots.drawBasins(second, compared, page.mesh(), `Basins of ${label(other)}`);
    await plots.resize(main, second);
    plots.onClick(main, (p) => onPick(p.x, p.y));
    return `${data.n}² starts in ${Math.round(performance.now() - started)} ms`;
  }

  async function sweep(data, started) {
    const [main, second] = views();
    const selected = page.selected();
    const axis = (p) => ({ param: data[`${p}_param`], from: Number(data[`${p}_from`]), to: Number(data[`${p}_to`]),
      n: Number(data[`${p}_n`]), scale: data[`${p}_scale`] });
    // the scene as written: on a steps axis each length fills its own defaults written in T
    const request = { scene: page.scene(), run: selected, x: axis("x"), ...(data.y_param !== "none" ? { y: axis("y") } : {}) };
    const out = await api.postJson("/api/sweeps", request);
    second.hidden = true;
    await plots.drawSweep(main, out, page.target(), [request.x.scale === "log", request.y?.scale === "log"], data.metric);
    plots.onClick(main, (p) => {  // a new run with the clicked values, next to the selected one
      let scene = state.duplicateRun(page.scene(), selected, page.catalog().palette);
      const put = (param, value) => {
        scene = param === "steps" ? state.setAt(scene, "steps", Math.round(value))
          : state.setAt(scene, `runs.${selected + 1}.${param}`, +Number(value).toPrecision(6));
      };
      put(request.x.param, p.x);
      if (request.y) put(request.y.param, p.y);
      const name = (param, value) => `${param.split(".").pop()} = ${(+value).toPrecision(3)}`;
      scene = state.setAt(scene, `runs.${selected + 1}.label`, name(request.x.param, p.x) + (request.y ? `, ${name(request.y.param, p.y)}` : ""));
      onScene(scene);
    });
    return `${out.final_loss.flat().length} runs in ${Math.round(performance.now() - started)} ms`;
  }

  async function rangeTest(data, body) {
    const [main, second] = views();
    ui.range = await api.postJson("/api/range-test", { ...body, min_lr: Number(data.min_lr), max_lr: Number(data.max_lr),
      steps: Number(data.steps), mode: data.mode });
    second.hidden = true;
    await plots.drawRangeTest(main, ui.range);
    render();
    const s = ui.range.suggestion;
    return `suggested: base_lr ${s.base_lr.toPrecision(3)}, max_lr ${s.max_lr.toPrecision(3)} (the loss is lowest at η = ${s.lowest_loss_lr.toPrecision(3)})`;
  }

  async function seeds(data, body, started) {
    const [main, second] = views();
    const bands = await api.postJson("/api/seeds", { ...body, seeds: Number(data.seeds) });
    second.hidden = false;
    await plots.drawSeeds(main, second, bands, page.mesh(), page.effective().runs[page.selected()].colour);
    onBands(bands);  // also shown on the main loss trace until the scene changes
    return `${data.seeds} seeds in ${Math.round(performance.now() - started)} ms`;
  }

  // η tuned by POST /api/tune (one grid call per run, log-spaced rates): each run's best rate applied at once, and
  // the score against the rate drawn small, one curve per run with its best marked. A run that cannot be tuned
  // (a sequence schedule) or where no rate scores keeps its rate, and the status line says why.
  async function tune(data) {
    const [main, second] = views();
    const effective = page.effective();
    const indices = data.which === "every run" ? effective.runs.map((_, i) => i) : [page.selected()];
    const answers = await Promise.all(indices.map((run) => api.postJson("/api/tune",
      { scene: effective, run, metric: data.metric, n: Number(data.n) }).catch((error) => ({ error }))));
    let scene = page.scene();
    const said = [];
    const curves = [];
    answers.forEach((answer, j) => {
      const run = effective.runs[indices[j]];
      const name = run.label || `run ${indices[j] + 1}`;
      if (answer.error) {
        const detail = answer.error.detail;
        said.push(`${name}: ${Array.isArray(detail) ? detail.map((e) => e.msg).join("; ") : detail ?? answer.error}`);
        return;
      }
      curves.push({ ...answer, name, colour: run.colour });
      if (answer.best === null) return said.push(`${name}: no rate scored (every run stopped or missed the tolerance)`);
      const before = state.getAt(run, answer.param);
      scene = state.setAt(scene, `runs.${indices[j]}.${answer.param}`, answer.best);
      const score = answer.scores[answer.values.indexOf(answer.best)];
      const short = (v, digits = 3) => String(+Number(v).toPrecision(digits));
      said.push(`${name}: η ${short(before)} → ${short(answer.best)} (${answer.metric.replace(/_/g, " ")} ${short(score, 4)})`);
    });
    second.hidden = true;
    if (curves.length) await plots.drawTune(main, curves);
    if (scene !== page.scene()) onScene(scene);
    return `tuned over ${data.n} rates: ${said.join("; ")}`;
  }

  async function compute(event) {
    event.preventDefault();
    if (!page.effective()) return;
    const data = Object.fromEntries(new FormData($("#explore-form")));
    const body = { scene: page.effective(), run: page.selected() };
    $("#explore-status").textContent = "computing…";
    document.body.dataset.explore = "computing";
    try {
      await page.plotlyReady;
      const started = performance.now();
      const tabs = { basins: () => basins(data, body, started), sweep: () => sweep(data, started),
        range: () => rangeTest(data, body), seeds: () => seeds(data, body, started), tune: () => tune(data) };
      $("#explore-status").textContent = await tabs[ui.tab]();
      await plots.resize(...views());
      document.body.dataset.explore = "ready";
    } catch (error) {
      const detail = error?.detail;
      $("#explore-status").textContent = Array.isArray(detail) ? detail.map((e) => `${e.loc.slice(1).join(".")}: ${e.msg}`).join("; ") : `Error: ${detail ?? error}`;
      document.body.dataset.explore = "error";
    }
  }

  for (const tab of document.querySelectorAll("#explore [role=tab]")) {
    tab.addEventListener("click", () => {
      if (ui.tab === tab.dataset.tab) return;  // keep what the user typed
      ui.tab = tab.dataset.tab;
      for (const t of document.querySelectorAll("#explore [role=tab]")) t.setAttribute("aria-selected", String(t === tab));
      render();
    });
  }
  $("#explore-form").addEventListener("submit", compute);
  return { render };
}
