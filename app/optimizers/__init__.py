"""Optimizers: the registry of optax transformations keyed by id (`registry`), lookahead with a traced sync
period, and reduce-on-plateau as a pure state machine (`plateau`)."""
from .registry import OPTIMIZERS, Optimizer, flat_hyperparams, kernel_key, lookahead, resolve_optimizer, unflatten

__all__ = ["OPTIMIZERS", "Optimizer", "flat_hyperparams", "kernel_key", "lookahead", "resolve_optimizer", "unflatten"]
