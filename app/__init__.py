"""Optiscape: optimizers and learning-rate schedules on 2D surfaces, computed with JAX/optax in float64.

Two XLA:CPU settings are added to XLA_FLAGS before JAX starts (each unless XLA_FLAGS names that option already),
and JAX's dispatch on the CPU is synchronous (below):

- `--xla_cpu_max_isa=AVX2` on x86-64. XLA:CPU compiles for the host's instruction set, and its rounding follows
  (which multiply-adds fuse, how wide the vectors are): the same scene gave other bits on a machine with AVX-512
  than on one with AVX2 only. Capped, every such machine computes the same numbers; tests/test_same_numbers.py
  holds them.
- `--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=LOOP_BYTES`. XLA:CPU runs a program as a
  sequence of compiled kernels ("thunks"), one per fused operation, each call ~50 ns, and a trajectory step is a
  few dozen small operations on a few runs: the per-call cost was most of a run's time. A while loop whose bytes
  accessed are under this threshold is compiled instead as one function, the loop included
  (`SmallWhileLoopHoistingPass`, default threshold 1 KB); a trajectory loop is one such loop. Raised, every loop
  of the engine is compiled whole: the run kernel 2.8-3x faster at 1 run and 1.2x at 64 (the table in
  `app/engine/kernels.py`), and compiled in half the time. Loops holding a dot, a convolution, a scatter or a
  custom call stay as before (the pass leaves them alone). The option is added beside any other backend option
  the user sets (XLA merges them), unless XLA_FLAGS sets this one.
"""
import os
import platform

MAX_ISA = "AVX2"
LOOP_BYTES = 1 << 40  # every loop: the engine's largest (a grid block, a long run's records) is far below


def _add_xla_flag(option: str, flag: str) -> None:
    """Append `flag` to XLA_FLAGS unless they name `option` already (a setting of the user's wins)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if option not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {flag}".strip()


if platform.machine().lower() in ("x86_64", "amd64"):
    _add_xla_flag("--xla_cpu_max_isa", f"--xla_cpu_max_isa={MAX_ISA}")
_add_xla_flag("xla_cpu_small_while_loop_byte_threshold",
              f"--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold={LOOP_BYTES}")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
# XLA:CPU runs a call on the calling thread instead of handing it to another and waiting: the engine's calls are
# small and each answer waits for them. Measured back to back (benchmarks/engine.py): a 1-run scene 0.89 -> 0.75
# ms, the learning-rate table 0.16 -> 0.06 ms. Through the server (benchmarks/api.py) a first pair of runs showed
# POST /api/runs of 8 x 1000 steps 17.4 -> 16.1 ms, a later one no difference beyond the noise (HTTP and JSON are
# most of those milliseconds). A grid runs its blocks on one thread per device (`app.engine.grid.run_grid`).
jax.config.update("jax_cpu_enable_async_dispatch", False)

__version__ = "0.1.0"
