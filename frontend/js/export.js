// What the Export menu writes: CSV and JSON of every run's steps, the scene JSON. Pure: no DOM.

export function runsCsv(scene, runs) {
  const rows = ["run,label,step,x,y,loss,lr,grad_norm,step_norm,status"];
  runs.forEach((run, index) => {
    const label = JSON.stringify(scene.runs[index].label || "");
    for (let k = 0; k < run.x.length; k++) {
      const update = k < run.lr.length ? [run.lr[k], run.grad_norm[k], run.step_norm[k]] : ["", "", ""];
      rows.push([index, label, k, run.x[k], run.y[k], run.loss[k], ...update, run.status].join(","));
    }
  });
  return rows.join("\n") + "\n";
}

export function runsJson(scene, runs) {
  return JSON.stringify({ scene, runs });
}

export function sceneJson(scene) {
  return JSON.stringify(scene, null, 2);
}
