"""Optiscape's 2D test surfaces: pure jnp functions with their facts, a registry keyed by id, a mesh function.

Imports only jax and numpy. Turns on float64 for JAX, which every trajectory needs.

Example:
    >>> from landscapes import LANDSCAPES, mesh
    >>> sorted(LANDSCAPES)[:3]
    ['ackley', 'beale', 'booth']
    >>> xs, ys, zs = mesh(LANDSCAPES["booth"], {}, n=3)
    >>> zs.shape
    (3, 3)
"""
import jax

jax.config.update("jax_enable_x64", True)

from .landscape import CriticalPoint, Landscape, Start  # noqa: E402
from .surfaces import ALL  # noqa: E402

LANDSCAPES: dict[str, Landscape] = {landscape.id: landscape for landscape in ALL}

from .critical_points import critical_points, minima  # noqa: E402
from .mesh import mesh  # noqa: E402

__all__ = ["LANDSCAPES", "Landscape", "CriticalPoint", "Start", "mesh", "critical_points", "minima"]
