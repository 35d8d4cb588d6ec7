"""Optiscape: optimizers and learning-rate schedules on 2D surfaces, computed with JAX/optax in float64."""
import jax

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"
