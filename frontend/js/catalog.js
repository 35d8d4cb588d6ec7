// The controls model: catalog parameter lists -> field descriptors, and the same range rules as the server
// (landscapes/params.py). Pure: no DOM.
//
//   const fields = fieldsOf(catalog.schedules.step.params, {lr: 0.02}, 500);
//   validate(fields[1], 900, 500)   // "must be in [1, 500], got 900"

export function bound(value, steps) {
  return value === "T" ? steps : value;
}

export function rangeText(param, steps) {
  if (param.kind === "bool") return "true or false";
  if (param.kind === "choice") return "one of " + param.choices.map((c) => `'${c}'`).join(", ");
  const lo = bound(param.min, steps);
  const hi = bound(param.max, steps);
  const left = lo === null || lo === undefined ? "(-inf" : (param.min_exclusive ? "(" : "[") + fmt(lo);
  const right = hi === null || hi === undefined ? "inf)" : fmt(hi) + (param.max_exclusive ? ")" : "]");
  return `${left}, ${right}`;
}

function fmt(x) {
  return Number.isInteger(x) ? String(x) : String(+x.toPrecision(6));
}

// One scalar against kind and range: an error message, or null.
export function validate(param, value, steps) {
  if (value === null || value === undefined || value === "") {
    return param.nullable ? null : "must not be empty";
  }
  if (param.kind === "bool") return typeof value === "boolean" ? null : "must be true or false";
  if (param.kind === "text") return typeof value === "string" ? null : "must be text";
  if (param.kind === "constants") {
    const ok = value && typeof value === "object" && !Array.isArray(value) && Object.values(value).every(Number.isFinite);
    return ok ? null : "write name = number, separated by commas";
  }
  if (param.kind === "domain") {
    const ok = Array.isArray(value) && value.length === 2 && value.every((r) => Array.isArray(r) && r.length === 2 && r[0] < r[1]);
    return ok ? null : "must be x_min, x_max, y_min, y_max with min < max";
  }
  if (param.kind === "choice") return param.choices.includes(value) ? null : `must be ${rangeText(param, steps)}`;
  if (param.kind === "float_list" || param.kind === "int_list") {
    if (!Array.isArray(value)) return "must be a list of numbers";
    if (value.length > param.max_length) return `must have at most ${param.max_length} entries`;
    for (let i = 0; i < value.length; i++) {
      const err = validate({ ...param, kind: param.kind === "int_list" ? "int" : "float" }, value[i], steps);
      if (err) return `entry ${i} ${err}`;
    }
    return null;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return "must be a finite number";
  if (param.kind === "int" && !Number.isInteger(value)) return `must be an integer, got ${value}`;
  const lo = bound(param.min, steps);
  const hi = bound(param.max, steps);
  const low = lo !== null && lo !== undefined && (value < lo || (param.min_exclusive && value === lo));
  const high = hi !== null && hi !== undefined && (value > hi || (param.max_exclusive && value === hi));
  return low || high ? `must be in ${rangeText(param, steps)}, got ${fmt(value)}` : null;
}

// Field descriptors for a parameter list: what a control needs to render and check itself.
export function fieldsOf(params, given, steps, effective = {}) {
  return params.map((p) => {
    const explicit = Object.prototype.hasOwnProperty.call(given || {}, p.name);
    const value = explicit ? given[p.name] : (p.name in effective ? effective[p.name] : p.default);
    return {
      name: p.name,
      kind: p.kind,
      doc: p.doc,
      unit: p.unit || "",
      scale: p.scale,
      choices: p.choices || [],
      nullable: p.nullable,
      defaultExpr: p.default_expr || null,
      range: rangeText(p, steps),
      min: bound(p.min, steps),
      max: bound(p.max, steps),
      explicit,
      value,
      error: explicit ? validate(p, given[p.name], steps) : null,
      param: p,
    };
  });
}

// Parse what a user typed into a control into the parameter's value type (or return it as is for validation).
export function parseInput(param, text) {
  if (param.kind === "bool" || param.kind === "choice" || param.kind === "text") return text;
  if (param.kind === "constants") {
    const pairs = String(text).split(",").map((s) => s.trim()).filter(Boolean).map((s) => s.split("=").map((t) => t.trim()));
    return pairs.every((p) => p.length === 2 && p[0] && Number.isFinite(Number(p[1])))
      ? Object.fromEntries(pairs.map(([k, v]) => [k, Number(v)])) : text;
  }
  if (param.kind === "domain") {
    const v = String(text).split(",").map((s) => Number(s.trim()));
    return v.length === 4 && v.every(Number.isFinite) ? [[v[0], v[1]], [v[2], v[3]]] : text;
  }
  if (text === "" || text === null) return param.nullable ? null : "";
  if (param.kind === "float_list" || param.kind === "int_list") {
    return String(text).split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  }
  const number = Number(text);
  return Number.isNaN(number) ? text : number;
}

// Every problem in a sparse scene against the catalog: [{loc: "runs.0.schedule.params.lr", msg}].
export function sceneErrors(catalog, scene) {
  const errors = [];
  const steps = scene.steps ?? catalog.defaults.steps;
  const check = (params, given, loc, T) => {
    const known = new Set(params.map((p) => p.name));
    for (const name of Object.keys(given || {})) {
      if (!known.has(name)) errors.push({ loc: `${loc}.${name}`, msg: "unknown parameter" });
    }
    for (const p of params) {
      if (p.kind === "parts" || p.kind === "optimizer") continue;
      if (given && p.name in given) {
        const msg = validate(p, given[p.name], T);
        if (msg) errors.push({ loc: `${loc}.${p.name}`, msg });
      }
    }
  };
  const limits = catalog.limits;
  if (!Number.isInteger(steps) || steps < 1 || steps > limits.max_steps) {
    errors.push({ loc: "steps", msg: `must be an integer in [1, ${limits.max_steps}]` });
  }
  const landscape = catalog.landscapes[scene.landscape.id];
  if (landscape) check(landscape.params, scene.landscape.params, "landscape.params", null);
  scene.runs.forEach((run, i) => {
    const optimizer = catalog.optimizers[run.optimizer?.id ?? "sgd"];
    if (optimizer) check(optimizer.params, run.optimizer?.params, `runs.${i}.optimizer.params`, steps);
    const inner = run.optimizer?.params?.inner;
    if (inner && catalog.optimizers[inner.id]) {
      check(catalog.optimizers[inner.id].params, inner.params, `runs.${i}.optimizer.params.inner.params`, steps);
    }
    const schedule = catalog.schedules[run.schedule?.id ?? "constant"];
    if (schedule && run.schedule.id !== "sequence") {
      check(schedule.params, run.schedule?.params, `runs.${i}.schedule.params`, steps);
    }
    if (run.clip_norm !== null && run.clip_norm !== undefined && !(run.clip_norm > 0)) {
      errors.push({ loc: `runs.${i}.clip_norm`, msg: "must be greater than 0 (empty: off)" });
    }
    if (run.noise?.std !== undefined && !(run.noise.std >= 0)) errors.push({ loc: `runs.${i}.noise.std`, msg: "must be ≥ 0" });
    if (landscape && run.start && scene.landscape.id !== "expression") {  // a typed domain is checked by the server
      const [[x0, x1], [y0, y1]] = landscape.escape_box;
      const [x, y] = run.start;
      if (!(x >= x0 && x <= x1 && y >= y0 && y <= y1)) {
        errors.push({ loc: `runs.${i}.start`, msg: `must lie in [${x0}, ${x1}] × [${y0}, ${y1}]` });
      }
    }
  });
  return errors;
}

// A server 422 detail list -> [{loc: "runs.0.schedule.params.lr", msg}] (dropping "body" / "token").
export function serverErrors(detail) {
  if (!Array.isArray(detail)) return [{ loc: "scene", msg: String(detail) }];
  return detail.map((e) => ({
    loc: e.loc.filter((part, i) => !(i === 0 && (part === "body" || part === "token"))).join("."),
    msg: e.msg,
  }));
}
