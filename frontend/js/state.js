// The scene in the browser: a sparse scene (only what the user set; the server fills every default) and the
// edits a user makes to it. The URL holds it as a permalink token, and the view as `view=contour|3d`. Pure: no
// DOM. Runs keep the colour they were given (from the catalog's palette), so removing a run recolours no other.

import { decodeToken, encodeScene } from "./permalink.js";

// The page's default scene comes from the catalog (the server warms exactly that one up).
export function defaultScene(catalog) {
  const scene = structuredClone(catalog.default_scene);
  scene.runs = scene.runs.map((run, i) => newRun(run, i, catalog.palette));
  return scene;
}

export function newRun(partial, index, palette) {
  return {
    label: "",
    optimizer: { id: "sgd", params: {} },
    schedule: { id: "constant", params: {} },
    clip_norm: null,
    noise: { std: 0, seed: 0 },
    colour: palette[index % palette.length],
    visible: true,
    ...structuredClone(partial),
  };
}

const clone = (scene) => structuredClone(scene);

export function addRun(scene, palette) {
  const next = clone(scene);
  const last = next.runs[next.runs.length - 1];
  next.runs.push(newRun({ start: last ? [...last.start] : [0, 0] }, next.runs.length, palette));
  return next;
}

export function duplicateRun(scene, index, palette) {
  const next = clone(scene);
  const copy = structuredClone(next.runs[index]);
  copy.colour = palette[next.runs.length % palette.length];
  copy.label = copy.label ? `${copy.label} (copy)` : "";
  next.runs.splice(index + 1, 0, copy);
  return next;
}

export function removeRun(scene, index) {
  const next = clone(scene);
  if (next.runs.length > 1) next.runs.splice(index, 1);
  return next;
}

// Set a value at a dotted path ("runs.0.schedule.params.lr"); undefined removes it (back to the default).
export function setAt(scene, path, value) {
  const next = clone(scene);
  const parts = path.split(".");
  let node = next;
  for (const part of parts.slice(0, -1)) {
    if (node[part] === undefined) node[part] = {};
    node = node[part];
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return next;
}

export function getAt(scene, path) {
  return path.split(".").reduce((node, part) => (node === undefined || node === null ? undefined : node[part]), scene);
}

// Changing a component's id drops the parameters of the old one (they would be unknown to the new one),
// except the base or peak rate, which is carried over under the new schedule's name for it (lr or max_lr).
export function setComponent(scene, path, id, catalog) {
  const old = getAt(scene, path) || {};
  if (path.endsWith("optimizer")) {
    return setAt(scene, path, { id, params: id === "lookahead" ? { inner: { id: "adam", params: {} } } : {} });
  }
  const rate = typeof old.params?.lr === "number" ? old.params.lr : old.params?.max_lr;
  const carry = (scheduleId) => {
    const names = new Set(catalog.schedules[scheduleId].params.map((p) => p.name));
    const name = names.has("lr") ? "lr" : names.has("max_lr") ? "max_lr" : null;
    return typeof rate === "number" && name ? { [name]: rate } : {};
  };
  if (id === "sequence") {
    return setAt(scene, path, { id, params: { parts: [
      { schedule: { id: "linear_warmup", params: carry("linear_warmup") }, steps: Math.max(1, Math.floor((scene.steps || 500) / 10)) },
      { schedule: { id: "cosine", params: carry("cosine") } },
    ] } });
  }
  return setAt(scene, path, { id, params: carry(id) });
}

export function setLandscape(scene, catalog, id) {
  const next = clone(scene);
  const landscape = catalog.landscapes[id];
  next.landscape = { id, params: {} };
  const starts = landscape.starts.map((s) => [s.x, s.y]);
  next.runs.forEach((run, i) => { run.start = starts.length ? [...starts[0]] : [0, 0]; });
  return next;
}

export async function tokenOf(scene) {
  return encodeScene(scene);
}

// The scene a URL holds (null: none); `limits`: the catalog's.
export async function sceneFromUrl(search, limits) {
  const token = new URLSearchParams(search).get("s");
  return token ? decodeToken(token, limits) : null;
}

export const VIEWS = { contour: "contour", "3d": "surface" };  // the URL's name of a view -> the page's mode

// The view a URL asks for ("contour" unless it says view=3d).
export function viewFromUrl(search) {
  return VIEWS[new URLSearchParams(search).get("view")] ?? "contour";
}

// The page's URL for a scene and a view: ?s=TOKEN&view=contour|3d.
export async function urlOf(scene, mode) {
  const view = Object.keys(VIEWS).find((name) => VIEWS[name] === mode);
  return `?s=${await tokenOf(scene)}&view=${view}`;
}

// ---- Embeds: /embed?s=TOKEN&view=contour|3d&views=landscape,lr,loss (the server refuses anything else) ----

export const EMBED_VIEWS = ["landscape", "lr", "loss"];

// The views an embed URL shows, in the order it names them (all three unless it says views=...).
export function viewsFromUrl(search) {
  const named = new URLSearchParams(search).get("views");
  return named ? named.split(",").filter((name, i, all) => EMBED_VIEWS.includes(name) && all.indexOf(name) === i)
    : [...EMBED_VIEWS];
}

// The embed of a page URL's query (?s=TOKEN&view=...): its address on `origin`, and an <iframe> that frames it.
//
//   embedOf("https://example.org", "?s=abc&view=3d").snippet
//   // -> '<iframe src="https://example.org/embed?s=abc&amp;view=3d" width="960" height="540" ...></iframe>'
export function embedOf(origin, search, { width = 960, height = 540 } = {}) {
  const page = new URLSearchParams(search);
  const query = new URLSearchParams({ s: page.get("s") ?? "", view: page.get("view") ?? "contour" });
  const url = `${origin}/embed?${query}`;
  const attribute = (text) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return { url, snippet: `<iframe src="${attribute(url)}" width="${width}" height="${height}" style="border:0" ` +
    `title="Optiscape: optimizers on a 2D surface" loading="lazy" allowfullscreen></iframe>` };
}
