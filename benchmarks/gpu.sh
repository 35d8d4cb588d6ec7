#!/usr/bin/env bash
# The engine and grid benchmarks on an NVIDIA GPU, as is, from any directory: installs JAX's CUDA wheels (the
# `cuda` extra, `cuda13` with OPTISCAPE_CUDA=cuda13) when JAX sees no GPU yet, then prints the device and the
# figures of issue 17's GPU targets: basin map 1024² x 500 steps under 0.5 s, 64 runs x 50,000 steps under 50 ms.
# Needs the package index (or a wheel cache) for the first install. Output: stdout, one block per benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
EXTRA=${OPTISCAPE_CUDA:-cuda}

test -x "$PY" || python3 -m venv .venv
if ! "$PY" -c "import jax, sys; sys.exit(jax.default_backend() != 'gpu')" 2>/dev/null; then
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -e ".[test,$EXTRA]"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
"$PY" -c "import app, jax; print('devices', jax.devices(), 'backend', jax.default_backend(), 'float64', jax.config.jax_enable_x64)"
uptime

echo "== engine: 1 / 8 / 64 runs x 1000 steps against the NumPy loop =="
"$PY" benchmarks/engine.py --repeat 10
echo "== engine: 64 runs x 50,000 steps (target < 50 ms) =="
"$PY" benchmarks/engine.py --long 64x50000 --repeat 5
echo "== grid: basin map 256² x 500 =="
"$PY" benchmarks/grid.py --n 256 --no-numpy
"$PY" benchmarks/grid.py --n 256 --optimizer adam --no-numpy
echo "== grid: basin map 1024² x 500 (target < 0.5 s) =="
"$PY" benchmarks/grid.py --n 1024 --no-numpy
"$PY" benchmarks/grid.py --n 1024 --optimizer adam --no-numpy
uptime
