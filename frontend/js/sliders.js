// The slider beside a number: the catalog's span for it (`slider` of a parameter, or catalog.sliders) on a linear
// or log scale, as positions 0..N of an <input type=range>, and back to a value rounded to what one position can
// tell apart. Pure: no DOM.
//
//   const s = sliderFor({ min: 1e-5, max: 10, scale: "log" }, { steps: 500 });
//   fromPosition(s, toPosition(s, 0.003))   // 0.00301: 1000 positions over 6 decades
//
// A log slider whose parameter allows 0 (min 0, included) has 0 at its left end, the log span after it.

export const POSITIONS = 1000;

const bound = (value, steps) => (value === "T" ? steps : value);

export function sliderFor(span, { steps, integer = false, zeroEnd = false } = {}) {
  const lo = bound(span.min, steps);
  const hi = bound(span.max, steps);
  const log = span.scale === "log";
  const positions = integer && !log ? Math.max(1, Math.min(POSITIONS, hi - lo)) : POSITIONS;
  return { lo, hi, log, integer, zeroEnd: log && zeroEnd, positions };
}

// The position of a value (clamped to the slider's ends).
export function toPosition(slider, value) {
  const { lo, hi, log, zeroEnd, positions } = slider;
  if (typeof value !== "number" || !Number.isFinite(value)) return 0;
  if (zeroEnd && value <= 0) return 0;
  let fraction;
  if (log) fraction = value <= 0 ? 0 : Math.log(value / lo) / Math.log(hi / lo);
  else fraction = (value - lo) / (hi - lo);
  fraction = Math.min(1, Math.max(0, fraction));
  if (zeroEnd) return Math.max(1, Math.round(1 + fraction * (positions - 1)));
  return Math.round(fraction * positions);
}

// The value at a position: 3 significant digits on a log scale, the position's resolution on a linear one.
export function fromPosition(slider, position) {
  const { lo, hi, log, integer, zeroEnd, positions } = slider;
  const p = Math.min(positions, Math.max(0, Math.round(position)));
  if (zeroEnd && p === 0) return 0;
  let value;
  if (log) {
    const fraction = zeroEnd ? (p - 1) / (positions - 1) : p / positions;
    value = +(lo * (hi / lo) ** fraction).toPrecision(3);
  } else {
    const step = (hi - lo) / positions;
    const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 0.05));
    value = +(lo + p * step).toFixed(Math.min(decimals, 15));
  }
  if (integer) value = Math.round(value);
  return Math.min(hi, Math.max(lo, value));
}
