"""A resolved plan: everything the engine computes from, already validated and resolved by the contract layer
(`app.contract.plans.plan_of`). The landscape is a callable with its parameter values, each run's optimizer and
schedule carry every parameter (defaults filled), the learning rates are a table, and each option is a number or
None. The engine reads it; it never parses or validates.

Example:
    >>> import numpy as np
    >>> from landscapes import LANDSCAPES
    >>> quadratic = LANDSCAPES["quadratic"]
    >>> run = RunPlan(label="SGD", optimizer_id="sgd", optimizer_params={}, schedule_id="constant",
    ...               schedule_params={"lr": 0.1}, start=(1.0, 1.0))
    >>> plan = Plan(quadratic, {"kappa": 10.0, "theta": 0.0}, quadratic.minima(), steps=3, tolerance=1e-3,
    ...             learning_rates=np.full((1, 3), 0.1), runs=(run,))
    >>> plan.landscape_values.tolist(), plan.target, run.kernel_key
    ([10.0, 0.0], 0.0, ('sgd',))
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping

import numpy as np

from landscapes import CriticalPoint, Landscape

from ..optimizers import flat_hyperparams, kernel_key


@dataclass(frozen=True)
class RunPlan:
    """One run, resolved."""

    label: str
    optimizer_id: str
    optimizer_params: Mapping[str, Any]  # every parameter (lookahead's inner optimizer resolved too)
    schedule_id: str
    schedule_params: Mapping[str, Any]  # every parameter: what its row of the learning-rate table came from
    start: tuple[float, float]
    clip_norm: float | None = None  # None: no clipping
    noise_std: float = 0.0
    noise_seed: int = 0
    plateau: Mapping[str, Any] | None = None  # reduce-on-plateau options (app.optimizers.plateau); None: off

    @property
    def kernel_key(self) -> tuple:
        """What the compiled kernels depend on: the optimizer ids."""
        return kernel_key(self.optimizer_id, self.optimizer_params)

    @cached_property
    def hyperparameters(self) -> dict[str, float]:
        """The optimizer's numbers, flat (`app.optimizers.flat_hyperparams`); computed once, so not to be changed."""
        return flat_hyperparams(self.optimizer_id, self.optimizer_params)

    @cached_property
    def hyperparameter_bits(self) -> tuple[tuple[str, ...], bytes]:
        """The hyperparameters' names and exact float64 bits: equal only where every value is the same number (0.0
        and −0.0 differ), so runs that share them can share a kernel call's scalars.

        >>> still = lambda m: RunPlan("", "momentum", {"momentum": m}, "constant", {"lr": 0.1}, (0.0, 0.0))
        >>> still(0.0).hyperparameter_bits == still(-0.0).hyperparameter_bits, still(0.0).hyperparameter_bits[0]
        (False, ('momentum',))
        """
        names = tuple(sorted(self.hyperparameters))
        return names, struct.pack(f"<{len(names)}d", *(self.hyperparameters[name] for name in names))


@dataclass(frozen=True)
class Plan:
    """A scene, resolved: the landscape and its parameters, the runs and their learning-rate table."""

    landscape: Landscape
    landscape_params: Mapping[str, float]  # every parameter of the landscape
    minima: tuple[CriticalPoint, ...]  # at these parameters
    steps: int
    tolerance: float
    learning_rates: np.ndarray  # (runs, steps): η(k) of each run's schedule, before any plateau scaling
    runs: tuple[RunPlan, ...]
    internals: bool = False  # record each update's gradient, step and optimizer state too

    @property
    def landscape_values(self) -> np.ndarray:
        """The landscape's parameters as the kernels take them: float64, in the landscape's parameter order."""
        return np.asarray([self.landscape_params[p.name] for p in self.landscape.params], dtype=np.float64)

    @property
    def target(self) -> float | None:
        """f*: the lowest minimum, or the infimum where none is attained; None when neither is known."""
        return min((p.value for p in self.minima), default=self.landscape.infimum)
