// The update rule of one step, written with that step's numbers per coordinate, from a run's internals (docs/api.md
// "Internals": the gradient before clipping and noise, the step applied, the optimizer's state after each update,
// by optax's field names). Pure: no DOM; tested under node against the engine's own steps (tests/js).
//
// Each family writes its rule as optax computes it, from the state after update k (and before it: the state
// after k − 1, or the initial one), t = k + 1:
//   SGD        θ ← θ − η g
//   momentum   m ← g + βm;  θ ← θ − η m                    Nesterov: θ ← θ − η(g + βm), g = m − βm_prev
//   Adagrad    G ← G + g²;  θ ← θ − η g/√(G + ε)           RMSprop: v ← ρv + (1−ρ)g²; θ ← θ − η g/√(v + ε)
//   Adam       m̂ = m/(1−β1^t), v̂ = v/(1−β2^t);  θ ← θ − η m̂/(√(v̂ + ε_root) + ε)    (AdamW adds − η·wd·θ;
//              AMSGrad divides by √v̂max; Yogi and AdaBelief by their own v̂, ŝ; RAdam multiplies by r_t once ρ_t ≥ threshold)
//   Lookahead  the inner rule on the fast weights; every sync_period steps slow ← slow + α(fast − slow), fast ← slow
// `step` is the rule's step from these numbers; `applied` the engine's (θ_{k+1} − θ_k): equal up to rounding,
// except where the rule needs the gradient the optimizer saw and clipping or noise changed it (`exact` false).
//
//   const rule = ruleAt({ optimizer: run.optimizer, k: 10, lr: result.lr[10], inside: result.internals,
//     theta: [result.x[10], result.y[10]], changedGradient: false });
//   rule.rows  // [{symbol: "g", label: "gradient ∇f(θ_k)", values: [gx, gy]}, {symbol: "m̂", ...}, ...]

// The pair [x, y] of row k of an internals array: a flat typed array (x0, y0, x1, y1, ...) or a list of pairs.
export function pairAt(values, k) {
  if (!values || k < 0) return null;
  if (ArrayBuffer.isView(values)) return 2 * k + 1 < values.length ? [values[2 * k], values[2 * k + 1]] : null;
  return values[k] ? [values[k][0], values[k][1]] : null;
}

const map2 = (f, ...pairs) => [0, 1].map((i) => f(...pairs.map((p) => p[i])));
const fill = (value) => [value, value];

// The state of field `name` after update k − 1: the row before, or the value optax starts it at.
function before(inside, name, k, start = 0) {
  return k > 0 ? pairAt(inside.state[name], k - 1) : fill(start);
}

const row = (symbol, label, values, extra = {}) => ({ symbol, label, values, ...extra });

// The Adam family's denominators: each returns {rows, rate (per coordinate), direction (what the rate multiplies)}.
function adamFamily(id, p, k, lr, at) {
  const t = k + 1;
  const mu = at("mu");
  const nu = at("nu");
  const mHat = map2((m) => m / (1 - p.b1 ** t), mu);
  const rows = [row("m", "first moment (after the update)", mu), row("m̂", `m/(1 − β1^${t})`, mHat)];
  const vHat = map2((v) => v / (1 - p.b2 ** t), nu);
  if (id === "adabelief") {
    rows.push(row("s", "belief (g − m)² average + ε_root", nu), row("ŝ", `s/(1 − β2^${t})`, vHat));
    return { rows, rate: map2((s) => lr / (Math.sqrt(s) + p.eps), vHat), direction: mHat, rateText: "η/(√ŝ + ε)" };
  }
  rows.push(row("v", "second moment (after the update)", nu), row("v̂", `v/(1 − β2^${t})`, vHat));
  if (id === "amsgrad") {
    const vMax = at("nu_max");
    rows.push(row("v̂max", "running maximum of v̂", vMax));
    return { rows, rate: map2((v) => lr / (Math.sqrt(v) + p.eps), vMax), direction: mHat, rateText: "η/(√v̂max + ε)" };
  }
  const root = p.eps_root ?? 0;
  const rate = map2((v) => lr / (Math.sqrt(v + root) + p.eps), vHat);
  if (id === "radam") {
    const rhoInf = 2 / (1 - p.b2) - 1;
    const rho = rhoInf - (2 * t * p.b2 ** t) / (1 - p.b2 ** t);
    if (rho < p.threshold) {
      rows.push(row("ρ_t", `below the threshold ${p.threshold}: an unrectified momentum step θ ← θ − η m̂`, fill(rho)));
      return { rows, rate: fill(lr), direction: mHat, rateText: "η (ρ_t below the threshold)" };
    }
    const r = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
    rows.push(row("r_t", `rectification (ρ_t = ${rho.toPrecision(4)})`, fill(r)));
    return { rows, rate: map2((q) => r * q, rate), direction: mHat, rateText: "η r_t/(√v̂ + ε)" };
  }
  return { rows, rate, direction: mHat, rateText: root ? "η/(√(v̂ + ε_root) + ε)" : "η/(√v̂ + ε)" };
}

// The inner rule (every optimizer but lookahead): {formula, rows, step, gradientSeen}.
function innerRule(id, p, k, lr, inside, theta) {
  const g = pairAt(inside.gradient, k);
  const at = (name) => pairAt(inside.state[name], k);
  const gRow = row("g", "gradient ∇f(θ_k), before clipping and noise", g);
  const rateRow = (rate, text) => row("η_eff", `per-coordinate rate ${text}`, rate);
  switch (id) {
    case "sgd":
      return { formula: "θ ← θ − η g", rows: [gRow], step: map2((v) => -lr * v, g), usesGradient: true };
    case "momentum":
    case "nesterov": {
      const m = at("trace");
      const rows = [gRow, row("m", "velocity: m ← g + βm", m)];
      if (id === "momentum") return { formula: "m ← g + βm;  θ ← θ − η m", rows, step: map2((v) => -lr * v, m) };
      const seen = map2((now, was) => now - p.momentum * was, m, before(inside, "trace", k));
      return { formula: "m ← g + βm;  θ ← θ − η(g + βm)", rows,
        step: map2((gv, mv) => -lr * (gv + p.momentum * mv), seen, m) };
    }
    case "adagrad":
    case "rmsprop": {
      const name = id === "adagrad" ? "sum_of_squares" : "nu";
      const acc = at(name);
      const rate = map2((s) => (s > 0 ? lr / Math.sqrt(s + p.eps) : 0), acc);
      const text = id === "adagrad" ? "η/√(G + ε)" : "η/√(v + ε)";
      return { formula: id === "adagrad" ? "G ← G + g²;  θ ← θ − η g/√(G + ε)" : "v ← ρv + (1−ρ)g²;  θ ← θ − η g/√(v + ε)",
        rows: [gRow, row(id === "adagrad" ? "G" : "v", id === "adagrad" ? "sum of squared gradients" : "squared-gradient average", acc),
          rateRow(rate, text)], step: map2((r, gv) => -r * gv, rate, g), usesGradient: true };
    }
    default: {
      const { rows, rate, direction, rateText } = adamFamily(id, p, k, lr, at);
      let step = map2((r, d) => -r * d, rate, direction);
      let formula = `θ ← θ − ${rateText} · m̂`;
      if (id === "adamw") {
        step = map2((s, th) => s - lr * p.weight_decay * th, step, theta);
        rows.push(row("θ_k", "the weights (decayed by η·wd)", theta));
        formula = "θ ← θ − η(m̂/(√v̂ + ε) + wd·θ)";
      }
      return { formula, rows: [gRow, ...rows, rateRow(rate, rateText)], step };
    }
  }
}

/** The rule of update k of a run: {formula, rows, step, applied, exact, notes}. `theta`: the weights the
 * optimizer moves at k (Lookahead: the fast ones); `start`: the run's start (Lookahead's first slow weights);
 * `changedGradient`: clipping or noise is on, so the optimizer may have seen another gradient than `g`. */
export function ruleAt({ optimizer, k, lr, inside, theta, start = theta, changedGradient = false }) {
  const applied = pairAt(inside.update, k);
  const notes = [];
  let rule;
  if (optimizer.id === "lookahead") {
    const { inner, sync_period: period, slow_step_size: alpha } = optimizer.params;
    rule = innerRule(inner.id, inner.params, k, lr, inside, theta);
    const slowBefore = k > 0 ? pairAt(inside.state.slow, k - 1) : start;
    rule.rows.push(row("slow", "slow weights (after the update)", pairAt(inside.state.slow, k)));
    if ((k + 1) % period === 0) {  // a synchronisation: the fast weights jump to the new slow ones
      const gap = map2((f, u, s) => f + u - s, theta, rule.step, slowBefore);
      rule.step = map2((u, d) => u - (1 - alpha) * d, rule.step, gap);
      notes.push(`step ${k} ends a period of ${period}: slow ← slow + α(fast − slow), fast ← slow (α = ${alpha})`);
    }
    rule.formula = `fast: ${rule.formula};  every ${period} steps slow ← slow + α(fast − slow), fast ← slow`;
  } else {
    rule = innerRule(optimizer.id, optimizer.params, k, lr, inside, theta);
  }
  const exact = !(changedGradient && rule.usesGradient);
  if (!exact) notes.push("clipping or noise changed the gradient this optimizer saw: its step differs from η·g");
  rule.rows.unshift(row("η", "learning rate of this step", fill(lr)));
  return { formula: rule.formula, rows: rule.rows, step: rule.step, applied, exact, notes };
}

/** What the cursor shows of the selected run at step `step` (null: its last update): the rule and the arrows
 * drawn from θ_k (the fast weights for Lookahead): −∇f, the first moment or velocity pointing the way it pushes
 * (−m), and the step applied. `result`: the run with its internals; `run`: the normalised run. Null when the run
 * has no update at that step. */
export function cursorAt(run, result, step) {
  const k = Math.min(step ?? result.lr.length - 1, result.lr.length - 1);
  if (k < 0) return null;
  const fast = run.optimizer.id === "lookahead";
  const at = fast ? [result.fast_x[k], result.fast_y[k]] : [result.x[k], result.y[k]];
  const rule = ruleAt({ optimizer: run.optimizer, k, lr: result.lr[k], inside: result.internals, theta: at,
    start: [result.x[0], result.y[0]], changedGradient: run.clip_norm !== null || (run.noise?.std ?? 0) > 0 });
  const g = pairAt(result.internals.gradient, k);
  const moment = result.internals.state.mu ?? result.internals.state.trace;
  const vectors = [{ name: "−∇f", kind: "force", vector: [-g[0], -g[1]] }];
  if (moment) {
    const m = pairAt(moment, k);
    vectors.push({ name: "−m", kind: "force", vector: [-m[0], -m[1]] });
  }
  vectors.push({ name: "step", kind: "step", vector: rule.applied });
  return { k, at, rule, vectors };
}
