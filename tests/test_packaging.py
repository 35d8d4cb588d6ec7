"""The accelerator extras: `pip install '.[cuda]'` (or `.[cuda13]`) adds JAX's CUDA wheels of exactly the JAX the
project pins, so the GPU computes with the same JAX as the CPU; benchmarks/gpu.sh, which installs them, is a valid
executable script."""
import os
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_cuda_extras_pin_the_projects_jax_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    jax_pin = next(d for d in project["dependencies"] if d.startswith("jax=="))
    version = jax_pin.split("==")[1]
    extras = project["optional-dependencies"]
    assert extras["cuda"] == [f"jax[cuda12]=={version}"]
    assert extras["cuda13"] == [f"jax[cuda13]=={version}"]


def test_the_gpu_benchmark_script_is_executable_and_parses():
    script = ROOT / "benchmarks" / "gpu.sh"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True, timeout=30).returncode == 0
    text = script.read_text()
    assert "--long 64x50000" in text and "--n 1024" in text  # the GPU targets
