// The timeline under the views: play / pause, one step back or forward, scrub, and the arrow keys outside inputs.
// It owns the step shown (null: the whole run) and reports every change through onStep(step).
//
//   const timeline = createTimeline({ onStep: (k) => redraw(k) });
//   timeline.reset(500);   // a new result of 500 steps: the whole run
//   timeline.play();       // from step 0 (or where it stands) to the end, once

const $ = (selector) => document.querySelector(selector);
const TICK_MS = 50;

export function createTimeline({ onStep }) {
  const t = { steps: 0, step: null, timer: null };

  function show(step) {
    t.step = step === null ? null : Math.max(0, Math.min(t.steps, step));
    const value = String(t.step ?? t.steps);
    const label = `step ${t.step ?? t.steps} / ${t.steps}`;
    if ($("#timeline").value !== value) $("#timeline").value = value;
    if ($("#step-label").textContent !== label) $("#step-label").textContent = label;
    onStep(t.step);
  }

  function stop() {
    if (t.timer) clearInterval(t.timer);
    t.timer = null;
    $("#play").textContent = "▶ play";
    $("#play").setAttribute("aria-pressed", "false");
  }

  function play() {
    if (t.timer || !t.steps) return;
    if (t.step === null || t.step >= t.steps) show(0);
    $("#play").textContent = "❚❚ pause";
    $("#play").setAttribute("aria-pressed", "true");
    t.timer = setInterval(() => {
      const next = (t.step ?? 0) + Number($("#speed").value);
      if (next >= t.steps) { stop(); show(null); } else show(next);
    }, TICK_MS);
  }

  $("#play").addEventListener("click", () => (t.timer ? stop() : play()));
  $("#back").addEventListener("click", () => { stop(); show((t.step ?? t.steps) - 1); });
  $("#forward").addEventListener("click", () => { stop(); show((t.step ?? t.steps) + 1); });
  $("#timeline").addEventListener("input", (e) => { stop(); show(Number(e.target.value)); });
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea, button, summary")) return;
    if (e.key === " ") { e.preventDefault(); if (t.timer) stop(); else play(); }
    if (e.key === "ArrowLeft") show((t.step ?? t.steps) - 1);
    if (e.key === "ArrowRight") show((t.step ?? t.steps) + 1);
  });

  return {
    get step() { return t.step; },
    get playing() { return t.timer !== null; },
    play,
    stop,
    show,
    // A new result: the whole run, unless it is playing (then it plays on over the new paths).
    reset(steps) {
      const changed = steps !== t.steps;
      t.steps = steps;
      if ($("#timeline").max !== String(steps)) $("#timeline").max = steps;
      if (!t.timer && (t.step !== null || changed)) show(null);
    },
    hover(step) { if (!t.timer) show(step); },
  };
}
