// The page's text panels: the summary table, a preset's explanation, the preset gallery and the schedule families.

import { el } from "./dom.js";

const $ = (selector) => document.querySelector(selector);

function fmt(v, digits = 4) {
  if (v === null || v === undefined) return "–";
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(digits - 1) : (+v.toPrecision(digits)).toString();
}

// One row per run: its colour, label, final and best loss, status, distance to the nearest minimum, and the first
// step within the tolerance.
export function renderSummary(effective, results) {
  const rows = effective.runs.map((run, i) => {
    const result = results[i];
    const summary = result.summary;
    const status = result.status === "ok" ? "ok" : `${result.status} at step ${result.stopped_at}`;
    const minimum = summary.nearest_minimum;
    const nearest = minimum ? `${fmt(summary.distance_to_nearest_minimum)} (${minimum.name || `(${fmt(minimum.x, 3)}, ${fmt(minimum.y, 3)})`})` : "–";
    const cells = [run.label, fmt(summary.final_loss, 6), fmt(summary.best_loss, 6), status, nearest,
      summary.steps_to_tolerance ?? "never"];
    const swatch = el("span", { class: "swatch" });
    swatch.style.background = run.colour;
    return el("tr", { class: result.status !== "ok" ? "stopped" : "" }, el("td", {}, swatch),
      ...cells.map((text) => el("td", { text: String(text) })));
  });
  $("#summary tbody").replaceChildren(...rows);
  $("#summary caption").textContent = `Summary (tolerance ${effective.tolerance} on f − f*)`;
}

export function renderPresetBox(catalog, scene) {
  const preset = catalog.presets.find((p) => p.id === scene.preset);
  $("#preset-box").hidden = !preset;
  if (!preset) return;
  $("#preset-title").textContent = preset.title;
  $("#preset-lead").textContent = preset.explanation[0];
  $("#preset-text").replaceChildren(...preset.explanation.slice(1).map((sentence) => el("p", { text: sentence })));
}

export function renderGallery(catalog, onOpen) {
  $("#gallery").replaceChildren(...catalog.presets.map((preset) => el("article", { class: "card" },
    el("h3", { text: preset.title }), el("p", { text: preset.teaser }), el("span", { class: "tag", text: preset.claims }),
    el("button", { type: "button", "data-preset": preset.id, "aria-label": `open the preset ${preset.title}`,
      onclick: () => onOpen(preset) }, "open"))));
}

// The five families, each with the learning-rate curves of a few of its schedules (η0 = 0.1, T = 500), computed
// by the server; draw(chart, curves) draws one family's chart.
export async function renderFamilies(catalog, postRuns, draw) {
  const families = catalog.families;
  const runs = families.flatMap((f) => f.schedules.map((id) => {
    const names = new Set(catalog.schedules[id].params.map((p) => p.name));
    const params = names.has("lr") ? { lr: 0.1 } : { max_lr: 0.1 };
    return { label: id, schedule: { id, params }, start: [0, 0] };
  }));
  const answer = await postRuns({ landscape: { id: "quadratic" }, steps: 500, runs });
  const box = $("#families");
  box.replaceChildren();
  let index = 0;
  for (const family of families) {
    const chart = el("div", { class: "chart", "data-family": family.family });
    box.append(el("div", { class: "family" }, el("h3", { text: family.title }), el("p", { text: family.text }), chart));
    const curves = family.schedules.map((id) => ({ name: catalog.schedules[id].title, lr: Array.from(answer.runs[index++].lr) }));
    await draw(chart, curves);
  }
}

// The panel "at the cursor": the selected run's update rule at step k with that step's numbers per coordinate
// (update-rule.js), the rule's step beside the step applied. `view`: {status: "computing" | "error" | "ready",
// message, label, colour, title, cursor}. Rewritten only when what it shows changes.
const insideShown = new WeakMap();
export function renderInside(box, view) {
  const key = JSON.stringify([view.status, view.message, view.label, view.colour, view.cursor?.k, view.cursor?.rule.rows]);
  if (insideShown.get(box) === key) return;
  insideShown.set(box, key);
  if (view.status !== "ready") return box.replaceChildren(el("p", { class: "muted", text: view.message }));
  const { k, rule } = view.cursor;
  const swatch = el("span", { class: "swatch" });
  swatch.style.background = view.colour;
  const numbers = (values) => values.map((v) => el("td", { text: fmt(v, 6), "data-value": String(v) }));
  const line = (symbol, label, values, extra = {}) => el("tr", { "data-symbol": symbol, ...extra },
    el("th", { text: symbol }), el("td", { class: "muted what", text: label }), ...numbers(values));
  const rows = rule.rows.filter((r) => r.symbol !== "η").map((r) => line(r.symbol, r.label, r.values));
  rows.push(line("step", "the rule's step from these numbers", rule.step, { class: "step" }),
    line("applied", "the step applied, θ_{k+1} − θ_k", rule.applied, { class: "step" }));
  box.replaceChildren(
    el("p", {}, swatch, el("strong", { text: ` ${view.label}` }), ` · ${view.title} · update k = ${k} (t = ${k + 1}), η = ${fmt(rule.rows[0].values[0], 6)}`),
    el("p", {}, el("code", { class: "rule", text: rule.formula })),
    el("table", { class: "inside-table" }, el("thead", {}, el("tr", {}, el("th"), el("th", { class: "what", text: "what" }),
      el("th", { text: "x" }), el("th", { text: "y" }))), el("tbody", {}, ...rows)),
    ...rule.notes.map((note) => el("p", { class: "muted", text: note })),
    el("p", { class: "muted", text: "Arrows on the contour view, from θ_k: −∇f (red) and −m, the first moment or velocity (purple), share one scale; the step (black) is to scale, or stretched by the factor written when too short to see." }));
}
