// The only file that calls Plotly. Three views: the landscape (3D surface or contour) with every run's path, the
// learning-rate curves and the loss traces; and the explore panel's charts.
//
// `render(views, model)` describes whole figures and redraws only what changed. Each trace and layout carries a
// key made of what it shows (the run's result, its colour and label, the step, the view's size); a view whose
// keys did not change is not touched, and where only the data of some traces changed, those traces alone are
// redrawn (Plotly.animate without a redraw: no axes, no layout, no other trace). The figures are built for that:
// - the contour (or the 3D surface) lies in a figure of its own under the paths' figure, with the same axes,
//   margins and camera: Plotly recomputes a contour on every redraw of its figure (25 ms here), and WebGL
//   without a GPU redraws a surface in 80 ms, while a new path changes neither;
// - the curves' axes have explicit ranges, rounded (to decades on a log axis), so that a dragged value rarely
//   changes them;
// - titles and legends are the page's (legend.js), not Plotly's: they change only when the runs do.
// Paths and curves are decimated to the view's pixels (decimate.js); hovering a path shows its step, x, y, loss
// and η.
/* global Plotly */

import { curveIndices, pathIndices, pick } from "./decimate.js";

const FONT = { family: "system-ui, -apple-system, Segoe UI, sans-serif", size: 12 };
const MARGIN = { l: 56, r: 16, t: 48, b: 44 };
// WebGL at one canvas pixel per CSS pixel: on a 2x screen Plotly draws the 3D scene at twice the size by
// default, which software rendering pays for 4x on every redraw.
const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"],
  plotGlPixelRatio: 1 };
const VIEW_CONFIG = { ...CONFIG, responsive: false };  // the main views follow their boxes (followSize)
// What lies under the paths takes no input (the paths' figure on top does): a static contour; a surface in a
// live WebGL scene (a static one is drawn to an image once, never redrawn).
const BACKGROUND_CONFIG = { contour: { staticPlot: true, displayModeBar: false },
  surface: { displayModeBar: false, plotGlPixelRatio: 1, scrollZoom: false } };
// The contour view's two figures share these margins, never pushed by anything (autoexpand off): their plot
// areas coincide.
const STACKED_MARGIN = { l: 50, r: 12, t: 8, b: 40, autoexpand: false };
const CURVE_MARGIN = { l: 60, r: 12, t: 8, b: 40, autoexpand: false };
const PATH_TOLERANCE_PX = 0.5;
const CONTOUR_LEVELS = 16;
const ANIMATE = { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" };

// Load plotly.js (4.8 MB) once, as a classic script: resolves when `Plotly` is defined.
export function loadPlotly() {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/vendor/plotly.min.js";
    script.onload = resolve;
    script.onerror = () => reject(new Error("plotly.min.js did not load"));
    document.head.append(script);
  });
}

// Display transform of f for the landscape's colour scale: log and sqrt compress large dynamic ranges.
export function zTransform(landscape, zMin) {
  if (landscape.colour_scale === "log") return { f: (z) => Math.log10(z - zMin + 1), label: "log10(f − min + 1)" };
  if (landscape.colour_scale === "sqrt") return { f: (z) => Math.sqrt(Math.max(z - zMin, 0)), label: "√(f − min)" };
  return { f: (z) => z, label: "f" };
}

// The learning-rate axis: log when the visible rates span more than a decade, unless the user chose.
export function lrAxisType(model) {
  if (model.lrScale === "log" || model.lrScale === "linear") return model.lrScale;
  const [low, high] = positiveRange(visibleRuns(model).map(({ result }) => result.lr));
  return high > 10 * low ? "log" : "linear";
}

// The views' titles (the page shows them above each view, with the runs' legend).
export function titles(model) {
  const { landscape } = model;
  const type = lrAxisType(model);
  return {
    landscape: landscape.id === "expression" ? `f(x, y) = ${model.scene.landscape.params.f}` : landscape.title,
    lr: `Learning rate η(k)${model.lrScale === "auto" ? `, ${type} axis (auto)` : ""}`,
    loss: model.logLoss ? (model.target !== null ? "Loss f(θ_k) − f*" : "Loss f(θ_k) − min") : "Loss f(θ_k)",
  };
}

function visibleRuns(model) {
  return model.scene.runs.map((run, i) => ({ run, i, result: model.results[i] }))
    .filter((r) => r.run.visible !== false && r.result && r.result.x.length);
}

function positiveRange(lists) {
  let low = Infinity;
  let high = 0;
  for (const values of lists) for (const v of values) { if (v > 0 && v < low) low = v; if (v > high) high = v; }
  return [low, high];
}

function valueRange(lists) {
  let low = Infinity;
  let high = -Infinity;
  for (const values of lists) for (const v of values) { if (v < low) low = v; if (v > high) high = v; }
  return [low, high];
}

// An axis range that moves in steps, so that a slightly different curve keeps its axes: whole decades (and a
// tenth of one of margin) on a log axis, multiples of 1, 2 or 5 × 10^n on a linear one. Log ranges are in
// decades, as Plotly takes them.
function steadyRange(lists, log, fromZero = false) {
  if (log) {
    const [low, high] = positiveRange(lists);
    if (!(high > 0)) return { range: [-1, 1], dtick: 1 };
    const lo = Math.floor(Math.log10(low));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(high)));
    return { range: [lo - 0.1, hi + 0.1], dtick: Math.max(1, Math.ceil((hi - lo) / 5)) };
  }
  let [low, high] = valueRange(lists);
  if (!Number.isFinite(low)) return { range: [0, 1] };
  if (fromZero) low = Math.min(0, low);
  const span = high - low || Math.abs(high) || 1;
  const unit = 10 ** Math.floor(Math.log10(span / 4));
  const step = [1, 2, 5, 10].map((m) => m * unit).find((s) => span / s <= 6);
  const lo = Math.floor(low / step) * step;
  const hi = Math.ceil(high / step) * step;
  return { range: [lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)] };
}

function meshMin(mesh) {
  let m = Infinity;
  for (const row of mesh.z) for (const v of row) if (v !== null && v < m) m = v;
  return m;
}

// Stable small ids for objects (results, meshes), so that keys say "the same data".
const ids = new WeakMap();
let nextId = 0;
function idOf(object) {
  if (!object) return "none";
  if (!ids.has(object)) ids.set(object, ++nextId);
  return ids.get(object);
}

// The displayed surface of a mesh, computed once: the same arrays on every redraw let Plotly.react skip
// re-uploading an unchanged surface (the costly part of a 3D redraw).
const displayed = new WeakMap();
function displayedMesh(mesh, landscape) {
  let entry = displayed.get(mesh);
  if (!entry || entry.landscape !== landscape.id) {
    const t = zTransform(landscape, meshMin(mesh));
    const z = mesh.z.map((row) => row.map((v) => (v === null ? null : t.f(v))));
    entry = { landscape: landscape.id, t, z, range: valueRange(z.map((row) => row.filter((v) => v !== null))),
      cells: meshCells(mesh.x, mesh.y, z) };
    displayed.set(mesh, entry);
  }
  return entry;
}

// The bricks of the contour view's colours: one per cell of the mesh, centred in it, its value the mean of the
// cell's four corners (the bilinear value at its centre), so that the bricks cover the mesh's domain exactly
// (bricks centred on the mesh points would reach half a cell beyond it). A cell with an undefined corner is
// undefined (null: not coloured).
function meshCells(xs, ys, z) {
  const middles = (a) => a.slice(1).map((v, i) => (a[i] + v) / 2);
  const cells = [];
  for (let i = 0; i + 1 < z.length; i++) {
    const row = [];
    for (let j = 0; j + 1 < z[i].length; j++) {
      const corners = [z[i][j], z[i][j + 1], z[i + 1][j], z[i + 1][j + 1]];
      row.push(corners.includes(null) ? null : (corners[0] + corners[1] + corners[2] + corners[3]) / 4);
    }
    cells.push(row);
  }
  return { x: middles(xs), y: middles(ys), z: cells };
}

const lastIndex = (result, step) => Math.min(step ?? result.x.length - 1, result.x.length - 1);

// What is drawn of an array (or run) is computed once per key (step, size): an unchanged run costs nothing.
const memos = new WeakMap();
function memo(owner, key, make) {
  let entries = memos.get(owner);
  if (!entries) memos.set(owner, (entries = new Map()));
  if (!entries.has(key)) {
    if (entries.size > 8) entries.clear();
    entries.set(key, make());
  }
  return entries.get(key);
}

// A run's path as drawn: its kept points, with step, loss and η for the hover (η of the update that leaves θ_k;
// the last iterate has none).
function pathData(result, step, scale, t) {
  return memo(result, `path ${step} ${scale.x} ${scale.y} ${t ? t.label : ""}`, () => pathDataOf(result, step, scale, t));
}

function pathDataOf(result, step, scale, t) {
  const count = lastIndex(result, step) + 1;
  const kept = pathIndices(result.x, result.y, count, scale.x, scale.y, PATH_TOLERANCE_PX);
  const customdata = new Array(kept.length);
  for (let j = 0; j < kept.length; j++) {
    const k = kept[j];
    customdata[j] = [k, result.loss[k], k < result.lr.length ? result.lr[k].toPrecision(4) : "– (last iterate)"];
  }
  const data = { x: pick(result.x, kept), y: pick(result.y, kept), customdata };
  if (t) data.z = pick(result.loss, kept).map(t.f);
  return data;
}

function hoverOf(label) {
  return `<b>${label}</b><br>step %{customdata[0]}<br>x %{x:.5g}, y %{y:.5g}<br>f %{customdata[1]:.6g}` +
    `<br>η %{customdata[2]}<extra></extra>`;
}

const domainOf = (mesh) => [mesh.x[0], mesh.x[mesh.x.length - 1], mesh.y[0], mesh.y[mesh.y.length - 1]];

// Pixels per unit of the landscape's axes as drawn (a zoom refines the decimation); Plotly's sizes, no reflow.
function landscapeScale(gd, mesh, mode) {
  const xs = gd?._fullLayout?.xaxis;
  const ys = gd?._fullLayout?.yaxis;
  if (mode === "contour" && xs?._length && ys?._length && xs.range && ys.range) {
    return { x: xs._length / Math.abs(xs.range[1] - xs.range[0]), y: ys._length / Math.abs(ys.range[1] - ys.range[0]) };
  }
  const [x0, x1, y0, y1] = domainOf(mesh);
  const width = Math.max(200, gd?._fullLayout?.width || 600);
  return { x: width / (x1 - x0), y: width / (y1 - y0) };
}

// What the selected run's update does at the cursor (contour view): arrows from θ_k, each labelled at its tip.
// −∇f and the first moment or velocity share one scale (the longer is a fifth of the view's width); the step is
// drawn to scale, stretched to a tenth of the width when shorter (its label then says by how much).
const CURSOR_COLOURS = { "−∇f": "#d62728", force: "#6a3d9a", step: "#111" };
function cursorTraces({ at, vectors }, [x0, x1]) {
  const width = Math.abs(x1 - x0);
  const length = ([dx, dy]) => Math.hypot(dx, dy);
  const forces = vectors.filter((v) => v.kind !== "step");
  const longest = Math.max(...forces.map((v) => length(v.vector)), 0);
  return vectors.filter((v) => length(v.vector) > 0 && Number.isFinite(length(v.vector))).map((v) => {
    let scale = v.kind === "step" ? 1 : width / 5 / longest;
    let label = v.name;
    if (v.kind === "step" && length(v.vector) < width / 10) {
      scale = width / 10 / length(v.vector);
      label = `${v.name} ×${scale.toPrecision(2)}`;
    }
    const tip = [at[0] + scale * v.vector[0], at[1] + scale * v.vector[1]];
    const colour = CURSOR_COLOURS[v.name] ?? CURSOR_COLOURS[v.kind];
    return [`cursor-${v.name}-${at}-${tip}-${label}`, { type: "scatter", mode: "lines+markers+text",
      x: [at[0], tip[0]], y: [at[1], tip[1]], text: ["", label],
      textposition: `${v.vector[1] >= 0 ? "top" : "bottom"} ${v.vector[0] >= 0 ? "right" : "left"}`,
      textfont: { color: colour, size: 12 }, line: { color: colour, width: 2.5 }, hoverinfo: "skip", meta: `cursor-${v.kind}`,
      marker: { symbol: "arrow", angleref: "previous", size: [0, 13], color: colour } }];
  });
}

// The 3D view's scene: axes with explicit ranges, so that the surface's figure and the paths' figure project
// alike; a camera that follows the paths' figure (where the user turns it).
function sceneLayout(model, foreground, visible) {
  const { mesh, landscape } = model;
  const { t, range: [z0, z1] } = displayedMesh(mesh, landscape);
  const [x0, x1, y0, y1] = domainOf(mesh);
  const axis = (title, range) => ({ title: { text: title }, range, visible, showspikes: false });
  return { xaxis: axis("x", [x0, x1]), yaxis: axis("y", [y0, y1]), zaxis: axis(t.label, [z0, z1 + 0.02 * (z1 - z0)]),
    aspectmode: "manual", aspectratio: { x: 1, y: 1, z: 0.6 }, bgcolor: "rgba(0,0,0,0)",
    camera: foreground?._fullLayout?.scene?.camera ?? { eye: { x: 1.5, y: -1.5, z: 1.1 } } };
}

// The landscape view keeps the user's zoom and camera while this stays the same.
const uirevision = (landscape, mode) => `${landscape.id}-${mode}`;

// What lies under the paths: the contour, or the surface, in a figure of its own, redrawn only for a new mesh,
// zoom or camera.
function backgroundFigure(model, foreground) {
  const { mesh, landscape, mode } = model;
  const { z, cells, range: [low, high] } = displayedMesh(mesh, landscape);
  const reverse = landscape.colour_scale === "diverging";
  const colours = { colorscale: reverse ? "RdBu" : "Viridis", reversescale: reverse, showscale: false };
  const [x0, x1, y0, y1] = domainOf(mesh);
  // The view the user zoomed or turned, followed while Plotly keeps it: a new landscape resets it (uirevision).
  const before = foreground._fullLayout?.uirevision === uirevision(landscape, mode) ? shown.get(foreground)?.mode : null;
  if (mode === "surface") {
    const scene = sceneLayout(model, before === "surface" ? foreground : null, true);
    return { data: [{ type: "surface", x: mesh.x, y: mesh.y, z, ...colours, opacity: 0.88, hoverinfo: "skip",
      contours: { z: { show: true, usecolormap: true, project: { z: true } } } }],
    keys: [`surface-${idOf(mesh)}`], layoutKey: JSON.stringify(["surface", idOf(mesh), scene.camera]),
    layout: () => ({ margin: { l: 0, r: 0, t: 0, b: 0 }, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)", scene }) };
  }
  const drawn = before === "contour" && foreground._fullLayout?.xaxis?.range;
  const zoom = drawn ? [foreground._fullLayout.xaxis.range.slice(), foreground._fullLayout.yaxis.range.slice()]
    : [[x0, x1], [y0, y1]];
  // The colours: one pixel per mesh cell (meshCells), smoothed by the browser as it scales the image up (zsmooth
  // "fast", 5 ms here). A contour coloured as a heatmap interpolates every screen pixel in JS instead: 35 ms,
  // twice that on a first visit, for the same picture. Over it, the level lines.
  // Levels given, not left to Plotly: they are the same whenever the figure is drawn again (a resize, a zoom).
  const size = (high - low) / CONTOUR_LEVELS || 1;
  const data = [{ type: "heatmap", ...cells, ...colours, zmin: low, zmax: high, zsmooth: "fast", hoverinfo: "skip" },
  { type: "contour", x: mesh.x, y: mesh.y, z, showscale: false, autocontour: false, hoverinfo: "skip",
    line: { width: 0.5, color: "rgba(0,0,0,0.25)" },
    contours: { coloring: "none", showlines: true, start: low + size / 2, end: high, size } }];
  return { data, keys: [`contour-${idOf(mesh)}`], layoutKey: JSON.stringify(["contour", idOf(mesh), zoom]), ranges: zoom,
    layout: () => ({ margin: STACKED_MARGIN, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)", dragmode: false,
      xaxis: { range: zoom[0], constrain: "domain", visible: false },
      yaxis: { range: zoom[1], scaleanchor: "x", constrain: "domain", visible: false } }) };
}

function landscapeFigure(model, gd) {
  const { mesh, landscape, mode } = model;
  const { t } = displayedMesh(mesh, landscape);
  const surface = mode === "surface";
  const runs = visibleRuns(model);
  const scale = landscapeScale(gd, mesh, mode);
  const scaleKey = `${scale.x.toFixed(1)},${scale.y.toFixed(1)}`;
  const data = [];
  const keys = [];
  const add = (key, trace) => { keys.push(key); data.push(trace); };
  const type = surface ? "scatter3d" : "scatter";
  const minima = landscape.critical_points.filter((p) => p.kind === "minimum");
  if (!surface) {
    add(`minima-${landscape.id}`, { type, mode: "markers", x: minima.map((p) => p.x), y: minima.map((p) => p.y),
      marker: { symbol: "star", size: 12, color: "#fff", line: { color: "#000", width: 1 } }, name: "minima",
      text: minima.map((p) => `${p.name || "minimum"} f = ${p.value}`), hoverinfo: "text", meta: "minima" });
  }
  for (const { run, i, result } of runs) {
    add(`path-${i}-${idOf(result)}-${model.step}-${run.colour}-${run.label}-${scaleKey}`, {
      type, mode: "lines", ...pathData(result, model.step, scale, surface ? t : null), name: run.label, meta: `run-${i}`,
      line: { color: run.colour, width: surface ? 5 : 2.5 }, hovertemplate: hoverOf(run.label) });
  }
  if (runs.length) {  // where each run is at the step shown: one trace for all
    const at = runs.map(({ result }) => lastIndex(result, model.step));
    const markers = { x: runs.map(({ result }, j) => result.x[at[j]]), y: runs.map(({ result }, j) => result.y[at[j]]) };
    if (surface) markers.z = runs.map(({ result }, j) => t.f(result.loss[at[j]]));
    add(`markers-${runs.map(({ run, i, result }) => `${i}-${idOf(result)}-${run.colour}`).join(",")}-${model.step}`, {
      type, mode: "markers", ...markers, hoverinfo: "skip", meta: "step-marker",
      marker: { color: runs.map(({ run }) => run.colour), size: surface ? 5 : 10, line: { color: "#000", width: surface ? 1 : 1.5 } } });
  }
  if (!surface && model.cursor) for (const [key, trace] of cursorTraces(model.cursor, domainOf(mesh))) add(key, trace);
  const stopped = runs.filter(({ result }) => result.status && result.status !== "ok");
  if (stopped.length) {
    const last = ({ result }) => result.x.length - 1;
    const trace = { type, mode: "markers+text", x: stopped.map((r) => r.result.x[last(r)]), y: stopped.map((r) => r.result.y[last(r)]),
      text: stopped.map(({ result }) => `${result.status} at ${result.stopped_at}`), textposition: "top center",
      marker: { symbol: "x", size: surface ? 6 : 12, color: stopped.map(({ run }) => run.colour),
        line: { color: "#000", width: 1 } }, hoverinfo: "text", meta: "stopped" };
    if (surface) trace.z = stopped.map((r) => t.f(r.result.loss[last(r)]));
    add(`stopped-${stopped.map((r) => `${r.i}-${idOf(r.result)}-${r.run.colour}`).join(",")}`, trace);
  }
  const [x0, x1, y0, y1] = domainOf(mesh);
  const layoutKey = JSON.stringify([mode, landscape.id, idOf(mesh), x0, x1, y0, y1, t.label]);
  const layout = () => {
    const out = { font: FONT, margin: surface ? { l: 0, r: 0, t: 0, b: 0 } : STACKED_MARGIN, showlegend: false,
      uirevision: uirevision(landscape, mode), paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      hoverlabel: { align: "left" } };
    if (surface) {
      out.scene = sceneLayout(model, null, false);  // its camera the user's (uirevision), the axes the surface's
    } else {
      out.xaxis = { title: { text: "x" }, range: [x0, x1], constrain: "domain", showgrid: false, zeroline: false };
      out.yaxis = { title: { text: "y" }, range: [y0, y1], scaleanchor: "x", constrain: "domain", showgrid: false,
        zeroline: false };
    }
    return out;
  };
  return { data, keys, layoutKey, layout, mode, animatable: !surface };
}

function stepLine(k) {
  return k === null || k === undefined ? [] : [{ type: "line", xref: "x", yref: "paper", x0: k, x1: k, y0: 0, y1: 1,
    line: { color: "rgba(0,0,0,0.45)", width: 1, dash: "dot" } }];
}

// Two points a pixel column at most (the first, lowest, highest and last of each pair of columns).
function plotColumns(gd) {
  return Math.max(50, Math.round((gd?._fullLayout?._size?.w || 400) / 2));
}

// A curve over steps, decimated to the view's columns: {x: the steps kept, y: their values}.
function curve(values, columns) {
  return memo(values, `curve ${columns}`, () => {
    const kept = curveIndices(values, values.length, columns);
    return { x: Array.from(kept), y: pick(values, kept) };
  });
}

function curveLayout(model, yaxis, uirevision) {
  return { font: FONT, margin: CURVE_MARGIN, showlegend: false, hovermode: "x unified", uirevision,
    xaxis: { title: { text: "step k" }, range: [0, model.steps] }, yaxis: { exponentformat: "power", ...yaxis },
    shapes: stepLine(model.step), paper_bgcolor: "rgba(0,0,0,0)" };
}

function lrFigure(model, gd) {
  const columns = plotColumns(gd);
  const type = lrAxisType(model);
  const runs = visibleRuns(model);
  const data = runs.map(({ run, i, result }) => ({ type: "scatter", mode: "lines", ...curve(result.lr, columns), name: run.label,
    line: { color: run.colour, width: 2 }, hovertemplate: `${run.label}: η = %{y:.4g}<extra></extra>`, meta: `run-${i}` }));
  const keys = runs.map(({ run, i, result }) => `lr-${i}-${idOf(result)}-${run.colour}-${run.label}-${columns}`);
  const axis = steadyRange(runs.map(({ result }) => result.lr), type === "log", true);
  const layoutKey = JSON.stringify([type, model.steps, model.step, axis]);
  const layout = () => curveLayout(model, { title: { text: "η" }, type, ...axis }, `lr-${type}`);
  return { data, keys, layoutKey, layout, animatable: true };
}

function lossFigure(model, gd) {
  const columns = plotColumns(gd);
  const best = model.target;  // f* or null
  const runs = visibleRuns(model);
  let offset = 0;
  if (model.logLoss) {
    const lowest = valueRange(runs.map(({ result }) => result.loss))[0];
    offset = best !== null && best !== undefined ? Math.min(best, lowest) : lowest;
  }
  const show = (v) => (v === null ? null : model.logLoss ? Math.max(v - offset, 1e-16) : v);
  const data = [];
  const keys = [];
  if (model.bands) {
    const steps = model.bands.mean_loss.map((_, k) => k);
    const at = (sign) => model.bands.mean_loss.map((m, k) => show(m === null ? null : m + sign * model.bands.std_loss[k]));
    const bandKey = `band-${idOf(model.bands)}-${offset}-${model.logLoss}`;
    data.push({ type: "scatter", mode: "lines", x: steps, y: at(1), hoverinfo: "skip", line: { width: 0 }, meta: "band" },
      { type: "scatter", mode: "lines", x: steps, y: at(-1), fill: "tonexty", line: { width: 0 },
        fillcolor: "rgba(120,120,120,0.25)", hoverinfo: "skip", meta: "band" },
      { type: "scatter", mode: "lines", x: steps, y: model.bands.mean_loss.map(show), meta: "band",
        line: { color: "#444", width: 1.5, dash: "dot" }, name: `mean of ${model.bands.paths.length} seeds` });
    keys.push(`${bandKey}-upper`, `${bandKey}-lower`, `${bandKey}-mean`);
  }
  for (const { run, i, result } of runs) {
    const { x, y } = curve(result.loss, columns);
    const gaps = model.logLoss ? memo(y, `gap ${offset}`, () => y.map(show)) : y;
    data.push({ type: "scatter", mode: "lines", x, y: gaps, customdata: y, name: run.label,
      line: { color: run.colour, width: 2 }, hovertemplate: `${run.label}: f = %{customdata:.6g}<extra></extra>`,
      meta: `run-${i}` });
    keys.push(`loss-${i}-${idOf(result)}-${run.colour}-${run.label}-${columns}-${model.logLoss}-${offset}`);
  }
  const axis = steadyRange(data.map((trace) => trace.y), model.logLoss);
  const layoutKey = JSON.stringify([model.logLoss, model.steps, model.step, axis]);
  const title = model.logLoss ? (best !== null && best !== undefined ? "f(θ_k) − f*" : "f(θ_k) − min") : "f(θ_k)";
  const layout = () => curveLayout(model, { title: { text: title }, type: model.logLoss ? "log" : "linear", ...axis },
    `loss-${model.logLoss}`);
  return { data, keys, layoutKey, layout, animatable: true };
}

// What each view shows now: its figure's keys and the kinds of its traces.
const shown = new WeakMap();
const kindsOf = (data) => data.map((trace) => `${trace.type}/${trace.mode}/${trace.meta}`).join("|");

// Draw one view: nothing if nothing in it changed; only the traces whose data changed where its layout and its
// kinds of traces are the same and its figure allows it (Plotly.animate without a redraw: "animated"); else the
// whole figure (Plotly.react, with the same layout object when the layout did not change: "reacted").
async function draw(gd, figure, config = VIEW_CONFIG) {
  const before = shown.get(gd);
  const kinds = kindsOf(figure.data);
  if (before && before.layoutKey === figure.layoutKey && before.keys.length === figure.keys.length &&
      before.keys.every((key, i) => key === figure.keys[i])) return null;
  const same = before && before.layoutKey === figure.layoutKey && before.kinds === kinds && gd.data;
  const layout = same ? before.layout : figure.layout();
  shown.set(gd, { keys: figure.keys, layoutKey: figure.layoutKey, layout, kinds, mode: figure.mode });
  if (same && figure.animatable) {
    const changed = figure.keys.map((key, i) => (key === before.keys[i] ? -1 : i)).filter((i) => i >= 0);
    await Plotly.animate(gd, { data: changed.map((i) => figure.data[i]), traces: changed }, ANIMATE);
    return "animated";
  }
  await Plotly.react(gd, figure.data, layout, config);
  // Plotly.react of new axis ranges under `constrain: "domain"` moves the axes but not the plot area when the
  // constraint changes its size (plotly.js 4.1: after an autoscale, the contour was drawn in the old frame,
  // shifted from the paths); Plotly.relayout of the same ranges moves both.
  if (before && !same && figure.ranges) {
    await Plotly.relayout(gd, { "xaxis.range": figure.ranges[0].slice(), "yaxis.range": figure.ranges[1].slice() });
  }
  return "reacted";
}

// Draw the three views of a model: {mesh, landscape, scene, results, step, mode: "surface" | "contour", logLoss,
// lrScale: "auto" | "linear" | "log", bands, steps, target}. `views`: {landscape (the paths), background (the
// contour or the surface under them), lr, loss}. Resolves once drawn; `framed`: an animation frame has passed
// in the meantime (an animated view is drawn in one), so what was drawn is about to be painted.
export async function render(views, model) {
  const boxes = [...resized];
  resized.clear();
  await Promise.all(boxes.map((gd) => Plotly.Plots.resize(gd)));
  const done = await Promise.all([  // a view left out of `views` (an embed's choice) is not drawn
    views.landscape && draw(views.background, backgroundFigure(model, views.landscape), BACKGROUND_CONFIG[model.mode]),
    views.landscape && draw(views.landscape, landscapeFigure(model, views.landscape)),
    views.lr && draw(views.lr, lrFigure(model, views.lr)),
    views.loss && draw(views.loss, lossFigure(model, views.loss)),
  ]);
  return { framed: done.includes("animated"), drawn: done.some((d) => d) };
}

// Hovering a step on any view reports it; clicking the contour view's map reports the point under the mouse; a
// zoom or a turn of the camera asks for a render (onMoved). Bound once per view; `current()` gives the model at
// the time of the event.
const bound = new WeakSet();
export function bindEvents(views, current, { onHoverStep, onPick, onMoved }) {
  const all = Object.values(views).filter(Boolean);
  if (!all.every((gd) => gd.on) || bound.has(all[0])) return;
  for (const gd of all) bound.add(gd);
  for (const gd of [views.lr, views.loss].filter(Boolean)) {
    gd.on("plotly_hover", (event) => { if (event.points?.length) onHoverStep(Math.round(event.points[0].x)); });
  }
  const gd = views.landscape;
  if (!gd) return;
  gd.on("plotly_hover", (event) => {
    const point = event.points?.find((p) => String(p.data.meta).startsWith("run-"));
    if (point) onHoverStep(point.customdata[0]);
  });
  // a zoom or pan of the paths, a turn of their camera, by the user (not a resize): what lies under follows, in
  // the next render (never two redraws of one figure at once)
  const follow = (event) => {
    if (!("autosize" in event) && Object.keys(event).some((k) => /^([xy]axis\.|scene\.camera)/.test(k))) onMoved();
  };
  gd.on("plotly_relayout", follow);
  gd.on("plotly_relayouting", follow);
  // the contour view: a click (not a drag) anywhere on the map
  let pressed = null;
  gd.addEventListener("mousedown", (e) => { pressed = [e.clientX, e.clientY]; }, true);
  gd.addEventListener("click", (e) => {
    const box = gd.querySelector(".nsewdrag")?.getBoundingClientRect();
    const still = pressed && Math.hypot(e.clientX - pressed[0], e.clientY - pressed[1]) < 4;
    if (current().mode !== "contour" || !box || !still) return;
    const [x, y] = [e.clientX - box.left, e.clientY - box.top];
    if (x < 0 || y < 0 || x > box.width || y > box.height) return;
    onPick(gd._fullLayout.xaxis.p2c(x), gd._fullLayout.yaxis.p2c(y));
  }, true);

}

// One PNG of the three views side by side.
export async function toPng(views) {
  const divs = [views.landscape, views.lr, views.loss];
  const images = await Promise.all(divs.map((gd) => Plotly.toImage(gd, { format: "png", width: 640, height: 480 })));
  const canvas = document.createElement("canvas");
  canvas.width = 640 * 3;
  canvas.height = 480;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  await Promise.all(images.map((src, i) => new Promise((resolve) => {
    const image = new Image();
    image.onload = () => { context.drawImage(image, 640 * i, 0); resolve(); };
    image.src = src;
  })));
  return canvas.toDataURL("image/png");
}

// A small chart of learning-rate curves (the schedule families section).
export function drawCurves(div, curves) {
  const data = curves.map((c) => ({ type: "scatter", mode: "lines", x: c.lr.map((_, k) => k), y: c.lr, name: c.name,
    line: { width: 2 } }));
  return Plotly.react(div, data, { font: FONT, margin: { l: 40, r: 8, t: 8, b: 24 }, showlegend: true,
    legend: { orientation: "h", x: 0, y: -0.18, yanchor: "top", font: { size: 11 } }, xaxis: { title: { text: "" } },
    yaxis: { rangemode: "tozero" }, paper_bgcolor: "rgba(0,0,0,0)" }, { displayModeBar: false, responsive: true });
}

const BASIN_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6",
  "#9d755d", "#bab0ac"];

// Basin map: each start coloured by the minimum it ends in; black diverged, grey escaped, white not settled.
export function drawBasins(div, grid, mesh, title = "Basin map: where each start ends (click a cell to start there)") {
  const codes = [-3, -2, -1, ...grid.minima.map((_, i) => i)];
  const colours = ["#ffffff", "#9e9e9e", "#000000", ...grid.minima.map((_, i) => BASIN_COLOURS[i % BASIN_COLOURS.length])];
  const z = grid.basin.map((row) => row.map((code) => codes.indexOf(code)));
  const n = codes.length;
  const colorscale = colours.flatMap((c, i) => [[i / n, c], [(i + 1) / n, c]]);
  const names = ["not settled", "escaped", "diverged", ...grid.minima.map((m, i) => m.name || `minimum ${i}`)];
  const data = [
    { type: "heatmap", x: grid.x, y: grid.y, z, zmin: 0, zmax: n, colorscale, showscale: false,
      customdata: grid.basin.map((row) => row.map((code) => names[codes.indexOf(code)])),
      hovertemplate: "start (%{x:.3f}, %{y:.3f}) → %{customdata}<extra></extra>" },
    { type: "contour", x: mesh.x, y: mesh.y, z: mesh.z, showscale: false, hoverinfo: "skip", ncontours: 18,
      contours: { coloring: "none" }, line: { color: "rgba(0,0,0,0.35)", width: 0.8 } },
    { type: "scatter", mode: "markers+text", x: grid.minima.map((m) => m.x), y: grid.minima.map((m) => m.y),
      text: grid.minima.map((m, i) => m.name || `${i}`), textposition: "top center", hoverinfo: "skip",
      marker: { symbol: "star", size: 12, color: "#fff", line: { color: "#000", width: 1 } } },
  ];
  return Plotly.react(div, data, { title: { text: title, font: { size: 13 } }, font: FONT, margin: MARGIN, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)",
    xaxis: { title: { text: "start x" } }, yaxis: { title: { text: "start y" }, scaleanchor: "x" } }, CONFIG);
}

function lossGap(loss, target) {
  return loss === null ? null : Math.max(loss - target, 1e-16);
}

// Sweep: a curve for one axis, a heatmap for two, of the final loss (gap to f* on a log scale), the steps to
// tolerance, or the status.
export function drawSweep(div, out, target, logAxes, metric = "final loss") {
  const [xAxis, yAxis] = out.axes;
  const STATUS = { ok: 0, escaped: 1, diverged: 2 };
  const value = (i, j) => {
    if (metric === "steps to tolerance") return out.steps_to_tolerance[i][j];  // null: never
    if (metric === "status") return STATUS[out.status[i][j]];
    const loss = out.final_loss[i][j];
    return loss === null ? null : yAxis ? Math.log10(lossGap(loss, target)) : lossGap(loss, target);
  };
  const label = { "final loss": yAxis ? "log10(f − f*)" : "final f − f*", "steps to tolerance": "steps to tolerance",
    status: "0 ok, 1 escaped, 2 diverged" }[metric];
  const layout = { font: FONT, margin: MARGIN, paper_bgcolor: "rgba(0,0,0,0)", showlegend: false,
    title: { text: `${metric} (click to add that run)`, font: { size: 13 } },
    xaxis: { title: { text: xAxis.param }, type: logAxes[0] ? "log" : "linear" } };
  const rows = out.status.map((row, i) => row.map((_, j) => value(i, j)));
  if (!yAxis) {
    layout.yaxis = { title: { text: label }, type: metric === "final loss" ? "log" : "linear", exponentformat: "power" };
    return Plotly.react(div, [{ type: "scatter", mode: "lines+markers", x: xAxis.values, y: rows[0], text: out.status[0],
      hovertemplate: `${xAxis.param} = %{x:.4g}: %{y:.4g} (%{text})<extra></extra>` }], layout, CONFIG);
  }
  layout.yaxis = { title: { text: yAxis.param }, type: logAxes[1] ? "log" : "linear" };
  return Plotly.react(div, [{ type: "heatmap", x: xAxis.values, y: yAxis.values, z: rows,
    colorscale: metric === "status" ? [[0, "#54a24b"], [0.5, "#9e9e9e"], [1, "#000000"]] : "Viridis",
    zmin: metric === "status" ? 0 : undefined, zmax: metric === "status" ? 2 : undefined,
    colorbar: { title: { text: label } }, text: out.status,
    hovertemplate: `${xAxis.param} = %{x:.4g}<br>${yAxis.param} = %{y:.4g}<br>%{z:.3g} (%{text})<extra></extra>` }],
  layout, CONFIG);
}

// Tuning η: each run's score against the rates tried (log axis), its best rate marked; null scores (the run
// stopped, or never reached the tolerance) leave gaps. `curves`: [{name, colour, metric, values, scores, best}].
export function drawTune(div, curves) {
  const metric = curves[0].metric;
  const positive = curves.every((c) => c.scores.every((v) => v === null || v > 0));
  const data = curves.flatMap((c) => [
    { type: "scatter", mode: "lines+markers", x: c.values, y: c.scores, name: c.name, line: { color: c.colour, width: 2 },
      marker: { size: 5 }, connectgaps: false, meta: "tune",
      hovertemplate: `${c.name}: η = %{x:.3g}, ${metric.replace(/_/g, " ")} %{y:.4g}<extra></extra>` },
    ...(c.best === null ? [] : [{ type: "scatter", mode: "markers", x: [c.best], y: [c.scores[c.values.indexOf(c.best)]],
      marker: { symbol: "star", size: 14, color: c.colour, line: { color: "#000", width: 1 } }, hoverinfo: "skip",
      meta: "tune-best", showlegend: false }]),
  ]);
  return Plotly.react(div, data, { font: FONT, margin: MARGIN, paper_bgcolor: "rgba(0,0,0,0)", showlegend: curves.length > 1,
    legend: { orientation: "h", y: -0.25 }, title: { text: `Tuning η: ${metric.replace(/_/g, " ")} at each rate (★ applied)`, font: { size: 13 } },
    xaxis: { title: { text: "base rate η" }, type: "log", exponentformat: "power" },
    yaxis: { title: { text: metric.replace(/_/g, " ") }, type: metric === "final_loss" && positive ? "log" : "linear",
      exponentformat: "power" } }, CONFIG);
}

// LR range test: loss against the rate, with the suggested bounds.
export function drawRangeTest(div, out) {
  const s = out.suggestion;
  const line = (x, label) => ({ type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1,
    line: { dash: "dash", color: "#d62728" }, label: { text: label, textposition: "end" } });
  return Plotly.react(div, [{ type: "scatter", mode: "lines", x: out.lr, y: out.loss, name: "loss",
    hovertemplate: "η = %{x:.3g}: f = %{y:.4g}<extra></extra>" }], { font: FONT, margin: MARGIN,
    title: { text: `LR range test (${out.status}${out.stopped_at ? ` at step ${out.stopped_at}` : ""})`, font: { size: 13 } },
    xaxis: { title: { text: "learning rate η" }, type: "log", exponentformat: "power" },
    yaxis: { title: { text: "loss" } }, shapes: [line(s.base_lr, "base_lr"), line(s.max_lr, "max_lr")],
    showlegend: false, paper_bgcolor: "rgba(0,0,0,0)" }, CONFIG);
}

// Seed bands: mean ± one standard deviation of the loss, and every seed's path over the contour.
export function drawSeeds(div, cloudDiv, bands, mesh, colour) {
  const steps = bands.mean_loss.map((_, k) => k);
  const upper = bands.mean_loss.map((m, k) => (m === null ? null : m + bands.std_loss[k]));
  const lower = bands.mean_loss.map((m, k) => (m === null ? null : m - bands.std_loss[k]));
  Plotly.react(div, [
    { type: "scatter", mode: "lines", x: steps, y: upper, line: { width: 0 }, hoverinfo: "skip" },
    { type: "scatter", mode: "lines", x: steps, y: lower, fill: "tonexty", fillcolor: "rgba(31,119,180,0.25)",
      line: { width: 0 }, hoverinfo: "skip" },
    { type: "scatter", mode: "lines", x: steps, y: bands.mean_loss, line: { color: colour, width: 2 }, name: "mean" },
  ], { font: FONT, margin: MARGIN, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)",
    title: { text: `Loss over ${bands.paths.length} seeds: mean ± std`, font: { size: 13 } },
    xaxis: { title: { text: "step k" } }, yaxis: { title: { text: "loss" } } }, CONFIG);
  return Plotly.react(cloudDiv, [
    { type: "contour", x: mesh.x, y: mesh.y, z: mesh.z, colorscale: "Greys", showscale: false, opacity: 0.5,
      contours: { coloring: "lines" }, hoverinfo: "skip" },
    ...bands.paths.map((p) => ({ type: "scatter", mode: "lines", x: p.x, y: p.y, line: { color: colour, width: 1 },
      opacity: 0.55, name: `seed ${p.seed}`, hovertemplate: `seed ${p.seed}<extra></extra>` })),
  ], { font: FONT, margin: MARGIN, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)",
    title: { text: "Cloud of paths", font: { size: 13 } }, xaxis: { title: { text: "x" } },
    yaxis: { title: { text: "y" }, scaleanchor: "x" } }, CONFIG);
}

// A click on an explore chart reports its first point ({x, y}); one handler at a time.
export function onClick(div, handler) {
  div.removeAllListeners?.("plotly_click");
  div.on("plotly_click", (event) => { const point = event.points?.[0]; if (point) handler(point); });
}

// Plotly follows the window's size only: the main views follow their own boxes (a legend that wraps, a panel
// opened, the window). A view whose box changed is resized at the start of the next render, never while one is
// under way; onResize() asks for that render.
const resized = new Set();
export function followSize(divs, onResize) {
  const observer = new ResizeObserver((entries) => {
    for (const { target } of entries) if (target.data) resized.add(target);
    if (resized.size) onResize();
  });
  for (const div of divs) observer.observe(div);
}

// After a view is shown or hidden, its neighbours have a new width: Plotly only follows window resizes.
export function resize(...divs) {
  return Promise.all(divs.filter((div) => div.data && !div.hidden).map((div) => Plotly.Plots.resize(div)));
}
