// What the views draw, from what a page holds: the model plots.render takes. Pure: no DOM. The page (main.js)
// and the embed (embed.js) both draw through it.
//
//   plots.render(views, viewModel({ catalog, scene, effective, mesh, results, mode: "contour", logLoss: true,
//     lrScale: "auto", bands: null }, timeline.step));

// f*, the target of the loss view: the catalog's lowest minimum, which holds at the landscape's default
// parameters; null otherwise (the loss view then uses the lowest loss).
export function targetOf(landscape, params = {}) {
  const atDefaults = landscape.params.every((p) => (params[p.name] ?? p.default) === p.default);
  const minima = landscape.critical_points.filter((p) => p.kind === "minimum").map((p) => p.value);
  const target = atDefaults ? (minima.length ? Math.min(...minima) : landscape.infimum) : null;
  return Number.isFinite(target) ? target : null;
}

export function viewModel(page, step) {
  const landscape = page.catalog.landscapes[page.scene.landscape.id];
  const scene = page.effective || page.scene;
  return { mesh: page.mesh, landscape, scene, results: page.results, step, mode: page.mode, logLoss: page.logLoss,
    lrScale: page.lrScale, bands: page.bands, steps: scene.steps,
    target: targetOf(landscape, page.effective?.landscape.params) };
}
