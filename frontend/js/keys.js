// Keys for presenting, besides the timeline's own (arrows step, space plays): [ and ] the previous / next preset,
// f the views full-screen, ? this list. Ignored while typing in a field, so that a field keeps its keys.
//
//   keyAction("]", document.body)            // -> "next-preset"
//   keyAction("f", someTextInput)            // -> null (typing)
//   presetAfter(["a", "b", "c"], "c", +1)    // -> "a" (wraps round)

export const KEYS = [
  ["←  →", "one step back / forward"],
  ["space", "play / pause"],
  ["[  ]", "previous / next preset"],
  ["f", "views full-screen (again: back)"],
  ["?", "this list (Esc closes it)"],
];

const ACTIONS = { "[": "previous-preset", "]": "next-preset", f: "fullscreen", "?": "help", Escape: "close-help" };

/** The action of a key pressed on `target`, or null: none, or the target is a field being typed in. */
export function keyAction(key, target) {
  if (target?.closest?.("input, select, textarea, [contenteditable=true]")) return null;
  return ACTIONS[key] ?? null;
}

/** The preset `direction` (+1 / -1) places after `current` in `ids`, wrapping round; the first (or last) when none is open. */
export function presetAfter(ids, current, direction) {
  if (!ids.length) return null;
  const at = ids.indexOf(current);
  if (at < 0) return direction > 0 ? ids[0] : ids[ids.length - 1];
  return ids[(at + direction + ids.length) % ids.length];
}

/** Listen for the keys on the document; `on[action]()` does each (a missing one: the key does nothing). */
export function bindKeys(on) {
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const action = keyAction(e.key, e.target);
    if (!action || !on[action]) return;
    e.preventDefault();
    on[action]();
  });
}
