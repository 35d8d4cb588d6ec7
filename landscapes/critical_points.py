"""Critical points of a landscape at any parameters, by Newton's method from a grid (the spec's own method).

At the default parameters the curated facts of `surfaces.py` are used where they are complete; otherwise (new
parameters, or surfaces with a lattice of local minima) every seed of a 41x41 grid over the plot domain takes
Newton steps on the gradient, the converged points inside the domain are deduplicated and classified by the
Hessian's eigenvalues. The 2x2 algebra is written out (`solve_2x2`, `eigenvalues_2x2`), not LAPACK's, so every
machine finds the same bits. One compiled function per landscape; parameters are arrays.

Example:
    >>> from landscapes import LANDSCAPES
    >>> [(round(p.x, 6), round(p.y, 6)) for p in minima(LANDSCAPES["rosenbrock"], {"a": 0.5, "b": 100.0})]
    [(0.5, 0.25)]
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from app.vocabulary.compile_once import kernel_cache
from .landscape import CriticalPoint, Landscape
from app.vocabulary.params import resolve_params

GRID = 41
NEWTON_STEPS = 60


def solve_2x2(h, g):
    """h⁻¹g for a 2x2 matrix h, by Cramer's rule: (h₁₁g₀ − h₀₁g₁, h₀₀g₁ − h₁₀g₀) / (h₀₀h₁₁ − h₀₁h₁₀).

    Written out so that XLA compiles it like the rest (capped at AVX2: `app/__init__.py`). jnp.linalg.solve calls
    LAPACK, whose OpenBLAS kernels are chosen by the CPU: SkylakeX and Haswell kernels left other subnormal
    residues at the quadratic's minimum, so the nearest minimum a summary reports differed between machines.
    Products of two entries overflow (or flush to zero) where h's entries pass about 1e±154, which LAPACK's
    scaled arithmetic survived: the step is then not finite and Newton stays where it is, and `_solve` drops a
    point whose eigenvalues are not finite. (Scaling h by a power of two first would keep that range, but moved
    the recorded minima of exp(x⁴) + y² by an ulp: XLA contracts the multiply-adds of the bigger program otherwise.)

    >>> [float(v) for v in solve_2x2(jnp.array([[2.0, 1.0], [1.0, 3.0]]), jnp.array([3.0, 4.0]))]
    [1.0, 1.0]
    """
    det = h[0, 0] * h[1, 1] - h[0, 1] * h[1, 0]
    return jnp.stack([h[1, 1] * g[0] - h[0, 1] * g[1], h[0, 0] * g[1] - h[1, 0] * g[0]]) / det


def eigenvalues_2x2(h):
    """The eigenvalues of a symmetric 2x2 matrix (its lower triangle, as jnp.linalg.eigvalsh reads it), ascending:
    λ = m ± r with m = (h₀₀ + h₁₁)/2, r = √(((h₀₀ − h₁₁)/2)² + h₁₀²); the one nearer zero as det / (the other),
    which keeps its digits where m ± r would cancel. Written out for the reason `solve_2x2` gives.

    >>> [float(v) for v in eigenvalues_2x2(jnp.array([[2.0, 1.0], [1.0, 2.0]]))]
    [1.0, 3.0]
    """
    mean, half_gap, off = (h[0, 0] + h[1, 1]) / 2, (h[0, 0] - h[1, 1]) / 2, h[1, 0]
    radius = jnp.hypot(half_gap, off)
    far = jnp.where(mean >= 0, mean + radius, mean - radius)  # the eigenvalue of larger magnitude
    near = jnp.where(far == 0, 0.0, (h[0, 0] * h[1, 1] - off * off) / jnp.where(far == 0, 1.0, far))
    return jnp.stack([jnp.minimum(far, near), jnp.maximum(far, near)])


@kernel_cache(maxsize=64)
def _newton_kernel(landscape: Landscape):
    names = tuple(p.name for p in landscape.params)
    (x0, x1), (y0, y1) = landscape.domain

    @jax.jit
    def kernel(values):
        q = dict(zip(names, values))
        f = lambda p: landscape.fn(p, q)
        grad, hess = jax.grad(f), jax.hessian(f)
        gx, gy = jnp.meshgrid(jnp.linspace(x0, x1, GRID), jnp.linspace(y0, y1, GRID))
        seeds = jnp.stack([gx.ravel(), gy.ravel()], axis=1)

        def newton(p):
            def step(p, _):
                h, g = hess(p), grad(p)
                delta = solve_2x2(h, g)
                return jnp.where(jnp.all(jnp.isfinite(delta)), p - delta, p), None

            p, _ = jax.lax.scan(step, p, None, length=NEWTON_STEPS)
            return p, jnp.linalg.norm(grad(p)), eigenvalues_2x2(hess(p)), f(p)

        return jax.vmap(newton)(seeds)

    return kernel


@lru_cache(maxsize=256)
def _solve(landscape: Landscape, values: tuple) -> tuple[CriticalPoint, ...]:
    points, grad_norms, eigenvalues, f_values = (
        np.asarray(a) for a in _newton_kernel(landscape)(np.asarray(values, dtype=np.float64))
    )
    (x0, x1), (y0, y1) = landscape.domain
    span = max(x1 - x0, y1 - y0)
    found: list[CriticalPoint] = []
    for p, gn, eig, value in zip(points, grad_norms, eigenvalues, f_values):
        scale = 1.0 + abs(value)
        if not (np.all(np.isfinite(p)) and np.all(np.isfinite(eig)) and gn < 1e-8 * scale):
            continue
        if not (x0 - 1e-9 <= p[0] <= x1 + 1e-9 and y0 - 1e-9 <= p[1] <= y1 + 1e-9):
            continue
        if np.min(np.abs(eig)) < 1e-9 * scale:
            continue  # degenerate (flat): not an isolated critical point
        if any(np.hypot(c.x - p[0], c.y - p[1]) < 1e-6 * span for c in found):
            continue
        kind = "minimum" if eig[0] > 0 else "maximum" if eig[1] < 0 else "saddle"
        found.append(CriticalPoint(kind, float(p[0]) + 0.0, float(p[1]) + 0.0, float(value)))  # + 0.0: no -0.0
    lowest = min((c.value for c in found if c.kind == "minimum"), default=None)
    marked = [
        CriticalPoint(c.kind, c.x, c.y, c.value, "global" if c.kind == "minimum" and c.value <= lowest + 1e-9 * (1 + abs(lowest)) else "",
                      c.kind == "minimum" and c.value <= lowest + 1e-9 * (1 + abs(lowest)))
        for c in found
    ]
    order = {"minimum": 0, "saddle": 1, "maximum": 2}
    return tuple(sorted(marked, key=lambda c: (order[c.kind], c.value, c.x, c.y)))


def critical_points(landscape: Landscape, params: Mapping[str, float] | None = None) -> tuple[CriticalPoint, ...]:
    """All critical points inside the plot domain at `params` (defaults when omitted)."""
    values = resolve_params(landscape.params, params or {}, steps=None)
    if values == landscape.default_params() and landscape.minima_complete and landscape.critical_points:
        return landscape.critical_points
    return _solve(landscape, tuple(float(values[p.name]) for p in landscape.params))


def minima(landscape: Landscape, params: Mapping[str, float] | None = None) -> tuple[CriticalPoint, ...]:
    """The minima inside the plot domain at `params`."""
    values = resolve_params(landscape.params, params or {}, steps=None)
    if values == landscape.default_params() and landscape.minima_complete:
        return landscape.minima()
    return tuple(c for c in critical_points(landscape, values) if c.kind == "minimum")
