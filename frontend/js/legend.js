// The line above each view: its title and its legend, one chip per visible run in the run's colour (the same
// colour in every view, in the controls and in the summary). Rewritten only when a title or a run's label,
// colour or visibility changes, never while a value is dragged.
//
//   renderHeads({ landscape: el, lr: el, loss: el }, plots.titles(model), scene.runs);

import { el } from "./dom.js";

const drawn = new WeakMap();

export function renderHeads(heads, titles, runs) {
  const visible = runs.filter((run) => run.visible !== false);
  for (const [view, head] of Object.entries(heads)) {
    const key = JSON.stringify([titles[view], visible.map((run) => [run.label, run.colour])]);
    if (drawn.get(head) === key) continue;
    drawn.set(head, key);
    const chips = visible.map((run) => {
      const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
      swatch.style.background = run.colour;
      return el("li", {}, swatch, run.label);
    });
    head.replaceChildren(el("span", { class: "view-title", text: titles[view] }),
      el("ul", { class: "legend", "aria-label": `runs in this view` }, ...chips));
  }
}
