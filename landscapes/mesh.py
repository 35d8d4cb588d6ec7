"""The plotting grid of a landscape: f on an n x n grid over the plot domain.

`zs[i][j] = f(xs[j], ys[i])`, Plotly's convention (rows follow y). One compiled function per landscape and n;
parameters are arrays, so new parameter values reuse it.

Example:
    >>> from landscapes import LANDSCAPES
    >>> xs, ys, zs = mesh(LANDSCAPES["saddle1"], {}, n=3)
    >>> xs.tolist(), zs[0].tolist()
    ([-3.5, 0.0, 3.5], [0.0, -12.25, 0.0])
"""
from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from app.vocabulary.compile_once import kernel_cache
from .landscape import Landscape
from app.vocabulary.params import resolve_params


@kernel_cache(maxsize=64)
def _mesh_kernel(landscape: Landscape, n: int):
    names = tuple(p.name for p in landscape.params)
    (x0, x1), (y0, y1) = landscape.domain

    @jax.jit
    def kernel(values):
        q = dict(zip(names, values))
        xs = jnp.linspace(x0, x1, n)
        ys = jnp.linspace(y0, y1, n)
        gx, gy = jnp.meshgrid(xs, ys)
        points = jnp.stack([gx.ravel(), gy.ravel()], axis=1)
        zs = jax.vmap(lambda p: landscape.fn(p, q))(points).reshape(n, n)
        return xs, ys, zs

    return kernel


def mesh(landscape: Landscape, params: Mapping[str, float], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid coordinates `xs` (n), `ys` (n) and values `zs` (n, n) over the plot domain, in float64."""
    values = resolve_params(landscape.params, params, steps=None)
    array = np.asarray([values[p.name] for p in landscape.params], dtype=np.float64)
    xs, ys, zs = _mesh_kernel(landscape, int(n))(array)
    return np.asarray(xs), np.asarray(ys), np.asarray(zs)
