"""Optimizers: the registry of optax transformations keyed by the ids the URL and JSON use (`registry`), lookahead
with a traced sync period (`lookahead`), and reduce-on-plateau as a pure state machine (`plateau`)."""
from .lookahead import lookahead
from .registry import (OPTIMIZERS, Optimizer, flat_hyperparams, kernel_key, resolve_optimizer, transformation,
                       unflatten)

__all__ = ["OPTIMIZERS", "Optimizer", "flat_hyperparams", "kernel_key", "lookahead", "resolve_optimizer",
           "transformation", "unflatten"]
