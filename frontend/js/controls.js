// The control panel, built from the catalog's parameter lists (never a second hand-written list). Structural
// changes (a run added, an optimizer or schedule changed) rebuild it; value changes update it in place so that
// keyboard focus stays where it is. Every input carries data-loc, the dotted path of its value in the scene; a
// number has its exact field and, after it, a slider (input[type=range]) with the same data-loc, spanning the
// catalog's slider range on its scale (sliders.js). A slider reports every move (handlers.set(loc, value,
// {live: true, at: the event's time})) and its release (handlers.settle()); the field reports a typed value on
// Enter or blur.

import { fieldsOf, parseInput } from "./catalog.js";
import { el } from "./dom.js";
import { fromPosition, sliderFor, toPosition } from "./sliders.js";
import { getAt } from "./state.js";

let uid = 0;
const id = () => `c${++uid}`;
const sliders = new WeakMap();  // a range input -> its slider (span, scale, positions)

// The slider beside a number field: moving it writes the field and reports the value as it goes.
function slider(loc, spec, value, label, field, handlers) {
  const input = el("input", { type: "range", min: 0, max: spec.positions, step: 1, "data-loc": loc,
    "aria-label": `${label} (slider)`, value: toPosition(spec, value), tabindex: 0 });
  sliders.set(input, spec);
  input.addEventListener("input", (event) => {
    const chosen = fromPosition(spec, Number(input.value));
    field.value = formatValue(chosen);
    handlers.set(loc, chosen, { live: true, at: event.timeStamp });
  });
  input.addEventListener("change", () => handlers.settle());
  return input;
}

function fieldControl(field, loc, handlers) {
  const inputId = id();
  const error = el("span", { class: "error", "data-error-for": loc, role: "alert" });
  const title = `${field.param.doc}${field.unit ? ` (${field.unit})` : ""}. Allowed: ${field.range}` +
    (field.defaultExpr ? `. Default: ${field.defaultExpr}` : "");
  let input;
  if (field.kind === "bool") {
    input = el("input", { type: "checkbox", id: inputId, "data-loc": loc, title });
    input.checked = Boolean(field.value);
    input.addEventListener("change", () => handlers.set(loc, input.checked));
  } else if (field.kind === "choice") {
    input = el("select", { id: inputId, "data-loc": loc, title });
    for (const choice of field.choices) input.append(el("option", { value: choice, text: choice }));
    input.value = field.value;
    input.addEventListener("change", () => handlers.set(loc, input.value));
  } else {
    const list = field.kind.endsWith("_list") || ["text", "domain", "constants"].includes(field.kind);
    input = el("input", { type: list ? "text" : "number", step: "any", id: inputId, "data-loc": loc, title,
      inputmode: "decimal", placeholder: formatValue(field.value) });
    if (field.explicit) input.value = formatValue(field.value);
    input.addEventListener("change", () => {
      const text = input.value.trim();
      handlers.set(loc, text === "" ? undefined : parseInput(field.param, text));
    });
  }
  const label = el("label", { for: inputId, title }, field.name + (field.unit ? ` (${field.unit})` : ""));
  const wide = ["text", "domain", "constants"].includes(field.kind);
  const hints = { text: "x, y, your names, numbers, + − * / ^, sin cos exp log sqrt abs tanh min max…",
    domain: "x_min, x_max, y_min, y_max", constants: "named parameters: a = 1, b = 0.5" };
  const range = wide ? hints[field.kind] : field.range;
  const span = field.param.slider;
  const row = span ? el("div", { class: "number" }, input, slider(loc, sliderFor(span, { steps: field.steps,
    integer: field.kind === "int", zeroEnd: field.param.min === 0 && !field.param.min_exclusive }), field.value, field.name,
  input, handlers)) : input;
  return el("div", { class: `field${wide ? " wide" : ""}` }, label, row, el("small", { class: "range", text: range }), error);
}

export function formatValue(value) {
  if (Array.isArray(value)) return value.join(", ");
  if (value && typeof value === "object") return Object.entries(value).map(([k, v]) => `${k} = ${v}`).join(", ");
  if (typeof value === "number") return String(+value.toPrecision(8));
  return value === null || value === undefined ? "" : String(value);
}

function paramFields(params, given, effective, steps, loc, handlers) {
  const box = el("div", { class: "params" });
  for (const field of fieldsOf(params.filter((p) => p.kind !== "parts" && p.kind !== "optimizer"), given, steps, effective)) {
    box.append(fieldControl({ ...field, steps }, `${loc}.${field.name}`, handlers));
  }
  return box;
}

function componentSelect(options, value, loc, label, handlers) {
  const selectId = id();
  const select = el("select", { id: selectId, "data-loc": `${loc}.id` });
  for (const [key, entry] of Object.entries(options)) select.append(el("option", { value: key, text: entry.title }));
  select.value = value;
  select.addEventListener("change", () => handlers.component(loc, select.value));
  return el("div", { class: "field component" }, el("label", { for: selectId }, label), select,
    el("span", { class: "error", "data-error-for": `${loc}.id`, role: "alert" }));
}

function sequenceEditor(catalog, run, effective, i, steps, handlers) {
  const loc = `runs.${i}.schedule.params.parts`;
  const parts = run.schedule.params.parts || [];
  const box = el("div", { class: "sequence" }, el("span", { class: "error", "data-error-for": loc, role: "alert" }));
  const schedules = Object.fromEntries(Object.entries(catalog.schedules).filter(([k]) => k !== "sequence" && k !== "plateau"));
  parts.forEach((part, j) => {
    const ploc = `${loc}.${j}`;
    const eff = effective?.schedule?.params?.parts?.[j]?.schedule?.params || {};
    const last = j === parts.length - 1;
    const partSteps = last ? steps - parts.slice(0, -1).reduce((s, p) => s + (p.steps || 0), 0) : part.steps;
    const head = el("div", { class: "part-head" }, el("strong", { text: `Part ${j + 1}` }),
      el("button", { type: "button", class: "small", onclick: () => handlers.removePart(i, j), disabled: parts.length < 2,
        "aria-label": `remove part ${j + 1}` }, "remove"));
    const section = el("div", { class: "part" }, head,
      componentSelect(schedules, part.schedule.id, `${ploc}.schedule`, "schedule", handlers));
    if (!last) {
      const f = { name: "steps", kind: "int", param: { name: "steps", kind: "int", doc: "length of this part", min: 1,
        max: steps - 1, slider: { min: 1, max: Math.max(2, steps - 1), scale: "linear" } },
      doc: "length of this part", unit: "steps", range: `[1, ${steps - 1}]`, explicit: true, value: part.steps, choices: [], steps };
      section.append(fieldControl(f, `${ploc}.steps`, handlers));
    } else {
      section.append(el("small", { class: "range", text: `runs for the remaining ${partSteps} steps` }));
    }
    section.append(paramFields(catalog.schedules[part.schedule.id].params, part.schedule.params, eff, partSteps,
      `${ploc}.schedule.params`, handlers));
    box.append(section);
  });
  box.append(el("button", { type: "button", class: "small", onclick: () => handlers.addPart(i),
    disabled: parts.length >= catalog.limits.max_sequence_parts }, "+ part"));
  return box;
}

function runPanel(catalog, scene, effective, i, selected, handlers) {
  const run = scene.runs[i];
  const eff = effective?.runs?.[i] || {};
  const steps = scene.steps;
  const loc = `runs.${i}`;
  const colourId = id();
  const labelId = id();
  const head = el("div", { class: "run-head" },
    el("input", { type: "radio", name: "selected-run", "aria-label": `select run ${i + 1} (clicks on the landscape set its start)`,
      checked: selected === i, onchange: () => handlers.select(i) }),
    el("label", { for: colourId, class: "visually-hidden" }, `colour of run ${i + 1}`),
    el("input", { type: "color", id: colourId, value: run.colour || "#1f77b4", "data-loc": `${loc}.colour`,
      onchange: (e) => handlers.set(`${loc}.colour`, e.target.value) }),
    el("label", { for: labelId, class: "visually-hidden" }, `label of run ${i + 1}`),
    el("input", { type: "text", id: labelId, class: "run-label", value: run.label || "", placeholder: eff.label || "label",
      maxlength: catalog.limits.max_label_length, "data-loc": `${loc}.label`,
      onchange: (e) => handlers.set(`${loc}.label`, e.target.value) }),
    el("label", { class: "inline" }, el("input", { type: "checkbox", checked: run.visible !== false,
      onchange: (e) => handlers.set(`${loc}.visible`, e.target.checked) }), " show"),
    el("button", { type: "button", class: "small", onclick: () => handlers.duplicate(i), "aria-label": `duplicate run ${i + 1}`,
      title: "duplicate" }, "copy"),
    el("button", { type: "button", class: "small", onclick: () => handlers.remove(i), disabled: scene.runs.length < 2,
      "aria-label": `remove run ${i + 1}`, title: "remove" }, "✕"));
  const panel = el("fieldset", { class: `run${selected === i ? " selected" : ""}`, "data-run": i },
    el("legend", { text: `Run ${i + 1}` }), head);

  const optimizer = catalog.optimizers[run.optimizer.id];
  panel.append(componentSelect(catalog.optimizers, run.optimizer.id, `${loc}.optimizer`, "optimizer", handlers));
  panel.append(paramFields(optimizer.params, run.optimizer.params, eff.optimizer?.params || {}, steps,
    `${loc}.optimizer.params`, handlers));
  if (run.optimizer.id === "lookahead") {
    const inner = run.optimizer.params.inner || { id: "sgd", params: {} };
    const inners = Object.fromEntries(Object.entries(catalog.optimizers).filter(([k]) => k !== "lookahead"));
    panel.append(componentSelect(inners, inner.id, `${loc}.optimizer.params.inner`, "inner optimizer", handlers));
    panel.append(paramFields(catalog.optimizers[inner.id].params, inner.params, eff.optimizer?.params?.inner?.params || {},
      steps, `${loc}.optimizer.params.inner.params`, handlers));
  }
  panel.append(componentSelect(catalog.schedules, run.schedule.id, `${loc}.schedule`, "schedule", handlers));
  if (run.schedule.id === "sequence") panel.append(sequenceEditor(catalog, run, eff, i, steps, handlers));
  else panel.append(paramFields(catalog.schedules[run.schedule.id].params, run.schedule.params, eff.schedule?.params || {},
    steps, `${loc}.schedule.params`, handlers));

  const start = run.start || eff.start || [0, 0];
  const domain = scene.landscape.id === "expression" ? effective?.landscape?.params?.domain ?? catalog.landscapes.expression.domain
    : catalog.landscapes[scene.landscape.id].domain;
  const number = (name, value, path, doc, span, { integer = false, ...extra } = {}) => {
    const inputId = id();
    const input = el("input", { type: "number", step: "any", id: inputId, "data-loc": path, title: doc,
      value: value === null || value === undefined ? "" : formatValue(value), ...extra });
    input.addEventListener("change", () => handlers.set(path, input.value.trim() === "" ? (extra.empty ?? undefined) : Number(input.value)));
    const spec = sliderFor(span, { integer });
    return el("div", { class: "field" }, el("label", { for: inputId, title: doc }, name),
      el("div", { class: "number" }, input, slider(path, spec, value ?? spec.hi, name, input, handlers)),
      el("span", { class: "error", "data-error-for": path, role: "alert" }));
  };
  const axis = (i) => ({ min: domain[i][0], max: domain[i][1], scale: "linear" });
  const options = el("div", { class: "params" },
    number("start x", start[0], `${loc}.start.0`, "θ_0: x (or click the landscape)", axis(0)),
    number("start y", start[1], `${loc}.start.1`, "θ_0: y (or click the landscape)", axis(1)),
    number("clip norm", run.clip_norm, `${loc}.clip_norm`, "clip the gradient by global norm; empty: off",
      catalog.sliders.clip_norm, { placeholder: "off", empty: null }),
    number("noise std", run.noise?.std ?? 0, `${loc}.noise.std`, "Gaussian gradient noise, standard deviation",
      catalog.sliders["noise.std"]),
    number("seed", run.noise?.seed ?? 0, `${loc}.noise.seed`, "seed of the gradient noise", catalog.sliders["noise.seed"],
      { integer: true }));
  panel.append(el("div", { class: "error", "data-error-for": `${loc}.start`, role: "alert" }), options);
  if (run.schedule.id !== "plateau") {
    const plateauId = id();
    const toggle = el("input", { type: "checkbox", id: plateauId, checked: Boolean(run.plateau),
      onchange: (e) => handlers.set(`${loc}.plateau`, e.target.checked ? {} : null) });
    panel.append(el("div", { class: "field inline" }, toggle, el("label", { for: plateauId }, " reduce on plateau")));
    if (run.plateau) {
      panel.append(paramFields(catalog.run_options.plateau, run.plateau, eff.plateau || {}, steps, `${loc}.plateau`, handlers));
    }
  }
  return panel;
}

export function renderControls(container, catalog, scene, effective, selected, handlers) {
  // keep the keyboard where it was: the new panel's input with the same data-loc and type takes the focus
  const focused = document.activeElement?.closest?.("#controls [data-loc]");
  const focus = focused && { loc: focused.dataset.loc, type: focused.type };
  const scrolled = container.firstChild ? container.scrollTop : 0;  // read only when there is a panel: it lays out the page
  container.replaceChildren();
  const landscape = catalog.landscapes[scene.landscape.id];
  const stepsId = id();
  const stepsField = el("input", { type: "number", id: stepsId, min: 1, max: catalog.limits.max_steps, step: 1,
    value: scene.steps, "data-loc": "steps", onchange: (e) => handlers.set("steps", Number(e.target.value)) });
  const top = el("fieldset", { class: "scene" }, el("legend", { text: "Scene" }),
    componentSelect(catalog.landscapes, scene.landscape.id, "landscape", "landscape", handlers),
    paramFields(landscape.params, scene.landscape.params, effective?.landscape?.params || {}, scene.steps,
      "landscape.params", handlers),
    el("div", { class: "field" }, el("label", { for: stepsId }, "steps"),
      el("div", { class: "number" }, stepsField, slider("steps", sliderFor(catalog.sliders.steps, { integer: true }),
        scene.steps, "steps", stepsField, handlers)),
      el("small", { class: "range", text: `[1, ${catalog.limits.max_steps}]` }),
      el("span", { class: "error", "data-error-for": "steps", role: "alert" })));
  container.append(top);
  scene.runs.forEach((_, i) => container.append(runPanel(catalog, scene, effective, i, selected, handlers)));
  container.append(el("button", { type: "button", id: "add-run", onclick: () => handlers.add(),
    disabled: scene.runs.length >= catalog.limits.max_runs }, "+ add run"));
  if (scrolled) container.scrollTop = scrolled;
  if (focus) container.querySelector(`[data-loc="${CSS.escape(focus.loc)}"][type="${CSS.escape(focus.type)}"]`)?.focus({ preventScroll: true });
}

// Show effective values (placeholders, slider positions) and errors in place, without rebuilding the panel.
export function updateControls(container, scene, effective, errors) {
  for (const input of container.querySelectorAll("input[data-loc][type=number], input[data-loc][type=text]")) {
    const loc = input.dataset.loc;
    const explicit = getAt(scene, loc);
    const shown = getAt(effective || {}, loc);
    if (explicit === undefined && shown !== undefined && document.activeElement !== input) {
      input.placeholder = formatValue(shown);
    }
  }
  for (const input of container.querySelectorAll("input[data-loc][type=range]")) {
    if (document.activeElement === input) continue;  // the user is moving it
    const loc = input.dataset.loc;
    const value = getAt(scene, loc) ?? getAt(effective || {}, loc);
    const spec = sliders.get(input);
    if (typeof value === "number") input.value = String(toPosition(spec, value));
    else if (value === null) input.value = String(spec.positions);  // clip norm off: as if unbounded
  }
  for (const span of container.querySelectorAll("[data-error-for]")) span.textContent = "";
  for (const input of container.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const unplaced = [];
  for (const { loc, msg } of errors) {
    const span = container.querySelector(`[data-error-for="${CSS.escape(loc)}"]`) ||
      container.querySelector(`[data-error-for="${CSS.escape(loc.split(".").slice(0, -1).join("."))}"]`);
    const input = container.querySelector(`[data-loc="${CSS.escape(loc)}"]`);
    if (input) input.setAttribute("aria-invalid", "true");
    if (span) span.textContent = msg;
    else unplaced.push(`${loc}: ${msg}`);
  }
  return unplaced;
}
