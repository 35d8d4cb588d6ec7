"""Optiscape: optimizers and learning-rate schedules on 2D surfaces, computed with JAX/optax in float64.

XLA:CPU compiles for the host's instruction set, and its rounding follows (which multiply-adds fuse, how wide the
vectors are): the same scene gave other bits on a machine with AVX-512 than on one with AVX2 only. On x86-64 the
code is capped at AVX2 (`--xla_cpu_max_isa`, added to XLA_FLAGS before JAX starts unless it names one already),
so every such machine computes the same numbers; tests/test_same_numbers.py holds them.
"""
import os
import platform

MAX_ISA = "AVX2"
if platform.machine().lower() in ("x86_64", "amd64") and "--xla_cpu_max_isa" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_cpu_max_isa={MAX_ISA}".strip()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"
