// The only file that calls Plotly. Three views: the landscape (3D surface or contour) with every run's path,
// the learning-rate curves and the loss traces. Whole figures are described with Plotly.react (uirevision keeps
// the camera and zoom); the step highlight moves with restyle/relayout only.
/* global Plotly */

const FONT = { family: "system-ui, -apple-system, Segoe UI, sans-serif", size: 12 };
const MARGIN = { l: 56, r: 16, t: 48, b: 44 };
const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };

// Display transform of f for the landscape's colour scale: log and sqrt compress large dynamic ranges.
export function zTransform(landscape, zMin) {
  if (landscape.colour_scale === "log") return { f: (z) => Math.log10(z - zMin + 1), label: "log10(f − min + 1)" };
  if (landscape.colour_scale === "sqrt") return { f: (z) => Math.sqrt(Math.max(z - zMin, 0)), label: "√(f − min)" };
  return { f: (z) => z, label: "f" };
}

function meshMin(mesh) {
  let m = Infinity;
  for (const row of mesh.z) for (const v of row) if (v !== null && v < m) m = v;
  return m;
}

function visibleRuns(model) {
  return model.scene.runs.map((run, i) => ({ run, i, result: model.results[i] })).filter((r) => r.run.visible !== false && r.result);
}

function upTo(array, k) {
  return k === null || k === undefined ? array : array.slice(0, k + 1);
}

// The displayed surface of a mesh, computed once: the same arrays on every redraw let Plotly.react skip
// re-uploading an unchanged surface (the costly part of a 3D redraw).
const displayed = new WeakMap();
function displayedMesh(mesh, landscape) {
  let entry = displayed.get(mesh);
  if (!entry || entry.landscape !== landscape.id) {
    const t = zTransform(landscape, meshMin(mesh));
    entry = { landscape: landscape.id, t, z: mesh.z.map((row) => row.map((v) => (v === null ? null : t.f(v)))) };
    displayed.set(mesh, entry);
  }
  return entry;
}

export function landscapeFigure(model) {
  const { mesh, landscape, mode } = model;
  const { t, z } = displayedMesh(mesh, landscape);
  const data = [];
  const colorscale = landscape.colour_scale === "diverging" ? "RdBu" : "Viridis";
  const reverse = landscape.colour_scale === "diverging";
  const runs = visibleRuns(model);
  const minima = landscape.critical_points.filter((p) => p.kind === "minimum");
  if (mode === "surface") {
    data.push({ type: "surface", x: mesh.x, y: mesh.y, z, colorscale, reversescale: reverse, opacity: 0.88,
      showscale: false, hoverinfo: "x+y+z", name: "f", contours: { z: { show: true, usecolormap: true, project: { z: true } } } });
    for (const { run, result } of runs) {
      data.push({ type: "scatter3d", mode: "lines", x: upTo(result.x, model.step), y: upTo(result.y, model.step),
        z: upTo(result.loss, model.step).map(t.f), line: { color: run.colour, width: 5 }, name: run.label,
        hovertemplate: `${run.label}<br>step %{pointNumber}<br>x %{x:.4f}, y %{y:.4f}<extra></extra>` });
    }
    for (const { run, result } of runs) {
      const k = Math.min(model.step ?? result.x.length - 1, result.x.length - 1);
      data.push({ type: "scatter3d", mode: "markers", x: [result.x[k]], y: [result.y[k]], z: [t.f(result.loss[k])],
        marker: { color: run.colour, size: 5, line: { color: "#000", width: 1 } }, showlegend: false, hoverinfo: "skip",
        meta: "step-marker" });
    }
  } else {
    data.push({ type: "contour", x: mesh.x, y: mesh.y, z, colorscale, reversescale: reverse, showscale: false,
      contours: { coloring: "heatmap", showlines: true }, line: { width: 0.5, color: "rgba(0,0,0,0.25)" },
      hovertemplate: "x %{x:.3f}, y %{y:.3f}<extra></extra>", name: "f" });
    data.push({ type: "scatter", mode: "markers", x: minima.map((p) => p.x), y: minima.map((p) => p.y),
      marker: { symbol: "star", size: 12, color: "#fff", line: { color: "#000", width: 1 } }, name: "minima",
      text: minima.map((p) => `${p.name || "minimum"} f = ${p.value}`), hoverinfo: "text", showlegend: false });
    for (const { run, result } of runs) {
      data.push({ type: "scatter", mode: "lines", x: upTo(result.x, model.step), y: upTo(result.y, model.step),
        line: { color: run.colour, width: 2.5 }, name: run.label,
        hovertemplate: `${run.label}<br>step %{pointNumber}<br>x %{x:.4f}, y %{y:.4f}<extra></extra>` });
    }
    for (const { run, result } of runs) {
      const k = Math.min(model.step ?? result.x.length - 1, result.x.length - 1);
      data.push({ type: "scatter", mode: "markers", x: [result.x[k]], y: [result.y[k]], hoverinfo: "skip",
        marker: { color: run.colour, size: 10, line: { color: "#000", width: 1.5 } }, showlegend: false, meta: "step-marker" });
    }
  }
  const stopped = runs.filter(({ result }) => result.status && result.status !== "ok");
  if (stopped.length) {
    const last = ({ result }) => result.x.length - 1;
    const trace = { mode: "markers+text", x: stopped.map((r) => r.result.x[last(r)]), y: stopped.map((r) => r.result.y[last(r)]),
      text: stopped.map(({ result }) => `${result.status} at ${result.stopped_at}`), textposition: "top center",
      marker: { symbol: "x", size: mode === "surface" ? 6 : 12, color: stopped.map(({ run }) => run.colour),
        line: { color: "#000", width: 1 } }, hoverinfo: "text", showlegend: false, meta: "stopped" };
    if (mode === "surface") data.push({ ...trace, type: "scatter3d", z: stopped.map((r) => t.f(r.result.loss[last(r)])) });
    else data.push({ ...trace, type: "scatter" });
  }
  // the grid's extent is the domain (a typed landscape has its own)
  const [x0, x1, y0, y1] = [mesh.x[0], mesh.x[mesh.x.length - 1], mesh.y[0], mesh.y[mesh.y.length - 1]];
  const layout = {
    title: { text: landscape.id === "expression" ? `f(x, y) = ${model.scene.landscape.params.f}` : landscape.title, font: { size: 13 } },
    font: FONT, margin: mode === "surface" ? { l: 0, r: 0, t: 48, b: 0 } : MARGIN, showlegend: false,
    uirevision: `${landscape.id}-${mode}`, paper_bgcolor: "rgba(0,0,0,0)",
  };
  if (mode === "surface") {
    layout.scene = { xaxis: { title: { text: "x" }, range: [x0, x1] }, yaxis: { title: { text: "y" }, range: [y0, y1] },
      zaxis: { title: { text: t.label } }, aspectmode: "manual", aspectratio: { x: 1, y: 1, z: 0.6 },
      camera: { eye: { x: 1.5, y: -1.5, z: 1.1 } } };
  } else {
    layout.xaxis = { title: { text: "x" }, range: [x0, x1], constrain: "domain" };
    layout.yaxis = { title: { text: "y" }, range: [y0, y1], scaleanchor: "x", constrain: "domain" };
  }
  return { data, layout };
}

function stepLine(k) {
  return k === null || k === undefined ? [] : [{ type: "line", xref: "x", yref: "paper", x0: k, x1: k, y0: 0, y1: 1,
    line: { color: "rgba(0,0,0,0.45)", width: 1, dash: "dot" } }];
}

export function lrFigure(model) {
  const data = visibleRuns(model).map(({ run, result }) => ({ type: "scatter", mode: "lines",
    x: result.lr.map((_, k) => k), y: result.lr, name: run.label, line: { color: run.colour, width: 2 },
    hovertemplate: `${run.label}<br>step %{x}: η = %{y:.4g}<extra></extra>` }));
  return { data, layout: { title: { text: "Learning rate η(k)", font: { size: 13 } }, font: FONT, margin: MARGIN,
    xaxis: { title: { text: "step k" }, range: [0, model.steps] },
    yaxis: { title: { text: "η" }, exponentformat: "power", type: model.logLr ? "log" : "linear", dtick: model.logLr ? 1 : undefined },
    showlegend: false, hovermode: "x", uirevision: `lr-${model.logLr}`, shapes: stepLine(model.step), paper_bgcolor: "rgba(0,0,0,0)" } };
}

export function lossFigure(model) {
  const best = model.target;  // f* or null
  const runs = visibleRuns(model);
  let offset = 0;
  let label = "f(θ_k)";
  if (model.logLoss) {
    const lowest = Math.min(...runs.map(({ result }) => Math.min(...result.loss)));
    offset = best !== null && best !== undefined ? Math.min(best, lowest) : lowest;
    label = best !== null && best !== undefined ? "f(θ_k) − f*" : "f(θ_k) − min";
  }
  const show = (v) => (v === null ? null : model.logLoss ? Math.max(v - offset, 1e-16) : v);
  const band = model.bands ? [
    { type: "scatter", mode: "lines", x: model.bands.mean_loss.map((_, k) => k), hoverinfo: "skip", line: { width: 0 },
      y: model.bands.mean_loss.map((m, k) => show(m === null ? null : m + model.bands.std_loss[k])), meta: "band" },
    { type: "scatter", mode: "lines", x: model.bands.mean_loss.map((_, k) => k), fill: "tonexty", line: { width: 0 },
      fillcolor: "rgba(120,120,120,0.25)", hoverinfo: "skip", meta: "band",
      y: model.bands.mean_loss.map((m, k) => show(m === null ? null : m - model.bands.std_loss[k])) },
    { type: "scatter", mode: "lines", x: model.bands.mean_loss.map((_, k) => k), y: model.bands.mean_loss.map(show),
      line: { color: "#444", width: 1.5, dash: "dot" }, name: `mean of ${model.bands.paths.length} seeds`, meta: "band" },
  ] : [];
  const data = band.concat(runs.map(({ run, result }) => ({ type: "scatter", mode: "lines", x: result.loss.map((_, k) => k),
    y: model.logLoss ? result.loss.map((v) => Math.max(v - offset, 1e-16)) : result.loss, name: run.label,
    line: { color: run.colour, width: 2 }, hovertemplate: `${run.label}<br>step %{x}: f = %{customdata:.6g}<extra></extra>`,
    customdata: result.loss })));
  return { data, layout: { title: { text: "Loss", font: { size: 13 } }, font: FONT, margin: MARGIN,
    xaxis: { title: { text: "step k" }, range: [0, model.steps] },
    yaxis: { title: { text: label }, type: model.logLoss ? "log" : "linear", exponentformat: "power",
      dtick: model.logLoss ? 1 : undefined },
    showlegend: false, hovermode: "x", uirevision: `loss-${model.logLoss}`, shapes: stepLine(model.step),
    paper_bgcolor: "rgba(0,0,0,0)" } };
}

export async function renderAll(views, model) {
  await Promise.all([
    Plotly.react(views.landscape, ...Object.values(landscapeFigure(model)), CONFIG),
    Plotly.react(views.lr, ...Object.values(lrFigure(model)), CONFIG),
    Plotly.react(views.loss, ...Object.values(lossFigure(model)), CONFIG),
  ]);
}

// Move the step highlight (markers, path length, vertical lines) without describing the figures again.
export function setStep(views, model) {
  const runs = visibleRuns(model);
  const gd = views.landscape;
  if (!gd.data) return;
  const { t } = displayedMesh(model.mesh, model.landscape);
  const first = gd.data.findIndex((trace) => trace.meta === "step-marker");
  const pathFirst = model.mode === "surface" ? 1 : 2;
  const markers = runs.map((_, i) => first + i);
  const paths = runs.map((_, i) => pathFirst + i);
  const at = (result) => Math.min(model.step ?? result.x.length - 1, result.x.length - 1);
  const update = { x: runs.map(({ result }) => [result.x[at(result)]]), y: runs.map(({ result }) => [result.y[at(result)]]) };
  const pathUpdate = { x: runs.map(({ result }) => upTo(result.x, model.step)), y: runs.map(({ result }) => upTo(result.y, model.step)) };
  if (model.mode === "surface") {
    update.z = runs.map(({ result }) => [t.f(result.loss[at(result)])]);
    pathUpdate.z = runs.map(({ result }) => upTo(result.loss, model.step).map(t.f));
  }
  if (first >= 0 && markers.length) {
    Plotly.restyle(gd, update, markers);
    Plotly.restyle(gd, pathUpdate, paths);
  }
  Plotly.relayout(views.lr, { shapes: stepLine(model.step) });
  Plotly.relayout(views.loss, { shapes: stepLine(model.step) });
}

// Hovering a step on any view reports it; clicking the landscape reports the data point under the mouse.
export function bindEvents(views, model, { onHoverStep, onPick }) {
  for (const gd of [views.lr, views.loss]) {
    gd.removeAllListeners?.("plotly_hover");
    gd.on("plotly_hover", (event) => { if (event.points?.length) onHoverStep(Math.round(event.points[0].x)); });
  }
  const gd = views.landscape;
  gd.removeAllListeners?.("plotly_hover");
  gd.removeAllListeners?.("plotly_click");
  gd.on("plotly_hover", (event) => {
    const point = event.points?.find((p) => p.data.type === "scatter3d" || (p.data.type === "scatter" && p.data.mode === "lines"));
    if (point && point.data.meta !== "step-marker") onHoverStep(point.pointNumber);
  });
  gd.on("plotly_click", (event) => {
    if (model.mode === "contour" && event.event) {
      const layout = gd._fullLayout;
      const box = gd.querySelector(".nsewdrag")?.getBoundingClientRect();
      if (box) {
        const x = layout.xaxis.p2c(event.event.clientX - box.left);
        const y = layout.yaxis.p2c(event.event.clientY - box.top);
        onPick(x, y);
        return;
      }
    }
    const point = event.points?.[0];
    if (point && (point.data.type === "surface" || point.data.type === "contour")) onPick(point.x, point.y);
  });
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

// After a view is shown or hidden, its neighbours have a new width: Plotly only follows window resizes.
export function resize(...divs) {
  return Promise.all(divs.filter((div) => div.data && !div.hidden).map((div) => Plotly.Plots.resize(div)));
}
