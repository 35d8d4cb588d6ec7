// The scene in the browser: edits, and the permalink token both ways.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { decodeToken } from "../../frontend/js/permalink.js";
import * as state from "../../frontend/js/state.js";
import { runsCsv } from "../../frontend/js/export.js";

const catalog = JSON.parse(readFileSync(process.env.OPTISCAPE_CATALOG, "utf8"));

test("the default scene is the catalog's, with the catalog's colours", () => {
  const scene = state.defaultScene(catalog);
  assert.equal(scene.landscape.id, catalog.default_scene.landscape.id);
  assert.equal(scene.runs.length, catalog.default_scene.runs.length);
  assert.deepEqual(scene.runs.map((r) => r.colour), catalog.palette.slice(0, scene.runs.length));
});

test("the URL holds the scene and the view", async () => {
  const scene = state.defaultScene(catalog);
  const url = await state.urlOf(scene, "surface");
  assert.match(url, /^\?s=[A-Za-z0-9_-]+&view=3d$/);
  assert.deepEqual(await state.sceneFromUrl(url, catalog.limits), scene);
  assert.equal(state.viewFromUrl(url), "surface");
  assert.equal(state.viewFromUrl(await state.urlOf(scene, "contour")), "contour");
  assert.equal(state.viewFromUrl("?s=abc"), "contour");
  assert.equal(state.viewFromUrl("?view=bogus"), "contour");
});

test("scene <-> token round trip through the URL", async () => {
  const scene = state.setAt(state.defaultScene(catalog), "runs.1.schedule.params.lr", 0.05);
  const token = await state.tokenOf(scene);
  assert.match(token, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(await state.sceneFromUrl(`?s=${token}&x=1`, catalog.limits), scene);
  assert.deepEqual(await decodeToken(token, catalog.limits), scene);
  assert.equal(await state.sceneFromUrl("", catalog.limits), null);
});

test("tokens over the catalog's limits are refused before they are read", async () => {
  const long = "A".repeat(catalog.limits.max_token_length + 1);
  await assert.rejects(decodeToken(long, catalog.limits), /characters; the limit is/);
  const big = await state.tokenOf({ label: "x".repeat(catalog.limits.max_scene_bytes) });  // compresses to little
  assert.ok(big.length < catalog.limits.max_token_length);
  await assert.rejects(decodeToken(big, catalog.limits), /inflates beyond/);
});

test("edits never mutate the scene they start from", () => {
  const scene = state.defaultScene(catalog);
  const before = structuredClone(scene);
  const added = state.addRun(scene, catalog.palette);
  const duplicated = state.duplicateRun(added, 0, catalog.palette);
  const removed = state.removeRun(duplicated, 1);
  assert.deepEqual(scene, before);
  assert.equal(added.runs.length, scene.runs.length + 1);
  assert.equal(duplicated.runs[1].optimizer.id, scene.runs[0].optimizer.id);
  assert.notEqual(duplicated.runs[1].colour, duplicated.runs[0].colour);
  assert.equal(removed.runs.length, added.runs.length);
  assert.equal(state.removeRun(state.setAt(scene, "runs", [scene.runs[0]]), 0).runs.length, 1);  // never below one run
});

test("setAt sets and clears dotted paths", () => {
  const scene = state.setAt(state.defaultScene(catalog), "runs.0.optimizer.params.momentum", 0.5);
  assert.equal(state.getAt(scene, "runs.0.optimizer.params.momentum"), 0.5);
  assert.equal(state.getAt(state.setAt(scene, "runs.0.optimizer.params.momentum", undefined), "runs.0.optimizer.params.momentum"), undefined);
});

test("changing a schedule keeps the learning rate and builds a sequence", () => {
  const scene = state.setAt(state.defaultScene(catalog), "runs.0.schedule", { id: "cosine", params: { lr: 0.3, alpha: 0.1 } });
  const stepped = state.setComponent(scene, "runs.0.schedule", "step", catalog);
  assert.deepEqual(stepped.runs[0].schedule, { id: "step", params: { lr: 0.3 } });
  const smith = state.setComponent(scene, "runs.0.schedule", "triangular", catalog);
  assert.deepEqual(smith.runs[0].schedule, { id: "triangular", params: { max_lr: 0.3 } });
  assert.deepEqual(state.setComponent(smith, "runs.0.schedule", "cosine", catalog).runs[0].schedule.params, { lr: 0.3 });
  const sequence = state.setComponent(scene, "runs.0.schedule", "sequence", catalog);
  assert.equal(sequence.runs[0].schedule.params.parts.length, 2);
  assert.equal(sequence.runs[0].schedule.params.parts[0].steps, 50);
  assert.deepEqual(sequence.runs[0].schedule.params.parts[1], { schedule: { id: "cosine", params: { lr: 0.3 } } });
  const lookahead = state.setComponent(scene, "runs.0.optimizer", "lookahead", catalog);
  assert.equal(lookahead.runs[0].optimizer.params.inner.id, "adam");
});

test("changing the landscape moves every start to its suggested start", () => {
  const scene = state.setLandscape(state.defaultScene(catalog), catalog, "saddle2");
  assert.deepEqual(scene.runs.map((r) => r.start), scene.runs.map(() => [2, 0]));
});

test("CSV export has one row per run and iterate", () => {
  const scene = { runs: [{ label: "a, b" }] };
  const csv = runsCsv(scene, [{ x: [0, 1], y: [2, 3], loss: [4, 5], lr: [0.1], grad_norm: [1], step_norm: [0.5], status: "ok" }]);
  assert.equal(csv, 'run,label,step,x,y,loss,lr,grad_norm,step_norm,status\n0,"a, b",0,0,2,4,0.1,1,0.5,ok\n0,"a, b",1,1,3,5,,,,ok\n');
});

test("an embed shows the views its URL names, in that order, all three by default", () => {
  assert.deepEqual(state.viewsFromUrl("?s=abc"), ["landscape", "lr", "loss"]);
  assert.deepEqual(state.viewsFromUrl("?s=abc&views=loss,landscape"), ["loss", "landscape"]);
  assert.deepEqual(state.viewsFromUrl("?views=lr"), ["lr"]);
});

test("the share menu's <iframe> frames /embed with the page's token and view, as valid HTML", async () => {
  const scene = state.defaultScene(catalog);
  const search = await state.urlOf(scene, "surface");
  const { url, snippet } = state.embedOf("http://example.org:8000", search);
  const token = new URLSearchParams(search).get("s");
  assert.equal(url, `http://example.org:8000/embed?s=${token}&view=3d`);
  const src = snippet.match(/^<iframe src="([^"]*)" width="960" height="540" [^<>]*><\/iframe>$/)[1];
  assert.equal(src.replace(/&amp;/g, "&"), url);  // what a browser reads from the attribute
  assert.ok(!/&(?!amp;)/.test(src));
  assert.deepEqual(await decodeToken(new URL(url).searchParams.get("s"), catalog.limits), scene);
  assert.equal(state.embedOf("http://h", "?s=abc").url, "http://h/embed?s=abc&view=contour");
});
