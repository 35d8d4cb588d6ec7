"""The compiled run kernel: every step of every run of a group, recorded, as a pure function of arrays.

One kernel per (landscape, optimizer ids) and shape (chunk length, run bucket); everything else (learning rates,
hyperparameters, starts, clipping, noise, plateau options, landscape parameters) arrives as float64 arrays, so a new
number never recompiles. A call computes one group of runs that share their hyperparameters: those enter as scalars,
and the optimizer's step counts stay one scalar for the group (`state_axes`), so work that depends only on them is
done once per step, not once per run (Adam's bias corrections 1 − β^t: two float64 powers per run and step were
half the loop's time at 64 runs when measured with per-operation kernels, and still 40% with the loop compiled
whole: `trajectories.groups`). The numbers are those of per-run hyperparameters bit for bit; runs of one
optimizer with other hyperparameters are computed in calls of their own. `init` builds the carried state; `advance`
runs `length` steps of every run (`lax.scan` over `app.engine.step.trajectory_step`, vectorised over runs) and
returns the new state and per-step records. A whole run is one `advance` over its step bucket; a stream is several
`advance` calls over the same state, which gives the same numbers bit for bit. Each kernel is built for exactly one
shape, which its scan and vmap assert, so one cache entry is one compiled program and the cache's size bounds them.

Per step k the records hold x_k, y_k, loss_k = f(θ_k), ‖∇f‖ (the step's gradient, before noise and clipping), the
rate used (without plateau: the table's, passed through) and ‖θ_{k+1} − θ_k‖ (lookahead: also the fast weights;
its norms are those of the slow weights' step and of the gradient at the fast ones). A kernel built with
`internals` also records the gradient (x, y), the update and each field of the optimizer's state after it
(`INTERNAL_PREFIX` + "gradient", "update", "state.<field>", each (2,) per step). After the loop the chunk also
returns its `tail`: the iterate that starts the next chunk and its loss. The loop does nothing else: where a run
stops, its best loss and its first step within tolerance are read off the records afterwards, on the device
(`ends_kernel`, `app.engine.stop.run_ends`), so only (runs,) arrays wait for the host.

XLA:CPU compiles the loop as one function (`app/__init__.py`); before, it called one compiled kernel per operation
of every step (~50 ns each), and each record cost a few of those. Measured on Adam + cosine on Rosenbrock, 1000
steps, the `advance` call pinned to one core (CPU time, 1 / 64 runs):
- per-operation kernels, the loop unrolled by 4, the norms computed after the loop from the recorded iterates
  (one step at a time, so a stream equals a whole run): 0.47 / 2.8 ms;
- the loop compiled whole: 0.17 / 2.26 ms; not unrolled: 0.15 / 1.97 ms (unrolling gains nothing then, and a
  chunk whose length is not a multiple of the unroll took its last steps in code compiled apart, which rounds
  otherwise: a stream then differed from a whole run);
- the norms recorded in the loop again: 0.14 / 1.5-1.65 ms, and an expensive ∇f (a typed expression) is no
  longer evaluated twice;
- a call without noise or clipping skips them (`RunInputs.gradient_work`): 0.14 / 1.25-1.4 ms.
This table is the one the other modules' figures refer to. Plateau's state machine costs about 40% more per step;
the kernel holds the loop twice, with and without it, and a group's `use_plateau` flag picks one at run time (one
`lax.cond` per chunk, not per step), so choosing the plateau schedule compiles nothing either.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from landscapes import Landscape

from ..optimizers import transformation
from ..optimizers.plateau import PlateauOptions
from ..vocabulary.compile_once import bucket, kernel_cache
from .devices import on_accelerator
from .stop import run_ends
from .step import GradientWork, State, StepOptions, gradient_noise, norm2, start_state, trajectory_step


class RunInputs(NamedTuple):
    """The constants of a kernel call. Run kernel: `hyper` holds one group's scalars, every other leaf has a leading
    run axis; grid kernel: every leaf has a leading cell axis, or all are one run's scalars (`grid._shared`)."""

    hyper: dict  # flat optimizer hyperparameters, shared by every run of a group
    clip: Any  # +inf: no clipping
    noise_std: Any
    plateau: PlateauOptions  # read only by the loop with plateau

    def step_options(self, work: GradientWork) -> StepOptions:
        return StepOptions(self.clip, self.noise_std, self.plateau, work)

    def gradient_work(self) -> GradientWork:
        """Whether any run or cell of the call adds noise, whether any clips: computed outside the vmap, so each is
        one flag and a step without that work skips it (`step.when`, a branch). g + 0·ξ is g (but for the sign of
        a zero) and clipping at +inf keeps g (`step.clip_by_norm`), so a run's numbers do not depend on its company.
        On an accelerator both are computed: a branch inside the loop would copy its flag to the host every step.

        >>> import numpy as np
        >>> work = RunInputs({}, np.array([np.inf, 2.0]), np.zeros(2), None).gradient_work()
        >>> bool(work.noisy), bool(work.clipping)
        (False, True)
        """
        if on_accelerator():
            return GradientWork(True, True)
        return GradientWork(jnp.any(self.noise_std != 0), jnp.any(self.clip != jnp.inf))


RUN_AXES = RunInputs(hyper=None, clip=0, noise_std=0, plateau=0)  # vmap's axes: the hyperparameters are scalars


def state_axes(state: State) -> State:
    """vmap's axes of a group's state: the optimizer's integer leaves (optax's step counts, lookahead's steps since
    a sync) are one scalar for every run, all else has a run axis. Those counts start at 0 for every run and no
    per-run value reaches them (vmap says so, or fails at trace time), so Adam's 1 − β^t is a power per step, not
    one per run and step."""
    integer = lambda leaf: jnp.issubdtype(leaf.dtype, jnp.integer)
    return State(params=0, opt_state=jax.tree.map(lambda leaf: None if integer(leaf) else 0, state.opt_state),
                 plateau=0)


INTERNAL_PREFIX = "internals."  # the records a kernel built with internals adds
KERNEL_CACHE = 128  # compiled kernels kept (each a few MB at most): bounded whatever requests come


@kernel_cache(maxsize=KERNEL_CACHE)
def init_kernel(key: tuple, runs: int):
    """Jitted: (starts (runs, 2), hyper scalars) -> the state at θ_0 of every run (axes: `state_axes`)."""
    lookahead = key[0] == "lookahead"

    def one(start, hyper):
        return start_state(lambda rate: transformation(key, hyper, rate), lookahead, start)

    def init(starts, hyper):
        axes = state_axes(jax.eval_shape(one, starts[0], hyper))
        return jax.vmap(one, in_axes=(0, None), out_axes=axes, axis_size=runs)(starts, hyper)

    return jax.jit(init)


@kernel_cache(maxsize=KERNEL_CACHE)
def advance_kernel(landscape: Landscape, key: tuple, length: int, runs: int, internals: bool):
    """The jitted chunk function of one kernel group; see the module docstring. `internals`: record the gradient,
    the update and the optimizer's state at every step too (a program of its own).

    Inputs per step: `lr` (runs, length) and `noise` (length, runs, 2), step-major as the loop reads it (run-major,
    XLA transposed 1 MB of noise before each loop: 64 runs, a 1000-step chunk 0.75 -> 0.62 ms, one core).
    `use_plateau` (a bool array) picks the loop with the plateau state machine. Returns (state, records, tail):
    records (runs, length) per field, tail (runs,) per field."""
    lookahead = key[0] == "lookahead"
    names = tuple(p.name for p in landscape.params)

    def run_chunk(with_plateau: bool, landscape_values, work, state: State, inputs: RunInputs, lr, noise):
        q = dict(zip(names, landscape_values))
        f = lambda p: landscape.fn(p, q)
        optimizer = lambda rate: transformation(key, inputs.hyper, rate)
        options = inputs.step_options(work)

        def step(state: State, per_step):
            lr_k, xi_k = per_step
            state, seen = trajectory_step(f, optimizer, lookahead, with_plateau, state, options, lr_k, xi_k,
                                          internals)
            moved_to = state.params.slow if lookahead else state.params  # θ_{k+1}
            record = {"x": seen.point[0], "y": seen.point[1], "loss": seen.loss, "grad_norm": norm2(seen.gradient),
                      "step_norm": norm2(moved_to - seen.point)}
            if with_plateau:
                record["lr"] = seen.rate
            if lookahead:
                record["fast_x"], record["fast_y"] = seen.grad_point[0], seen.grad_point[1]
            if internals:
                record[INTERNAL_PREFIX + "gradient"] = seen.gradient
                record[INTERNAL_PREFIX + "update"] = seen.internals["update"]
                record.update({f"{INTERNAL_PREFIX}state.{name}": value
                               for name, value in seen.internals["state"].items()})
            return state, record

        state, records = jax.lax.scan(step, state, (lr, noise), length=length)  # not unrolled: see above
        point = state.params.slow if lookahead else state.params
        tail = {"x": point[0], "y": point[1], "loss": f(point)}
        if lookahead:
            tail["fast_x"], tail["fast_y"] = state.params.fast[0], state.params.fast[1]
        return state, records if with_plateau else {**records, "lr": lr}, tail  # without plateau: the table's rate

    def chunk(landscape_values, state, inputs, lr, noise, use_plateau):
        axes = state_axes(state)
        work = inputs.gradient_work()  # over every run

        def branch(with_plateau):
            return lambda: jax.vmap(lambda *args: run_chunk(with_plateau, landscape_values, work, *args),
                                    in_axes=(axes, RUN_AXES, 0, 1), out_axes=(axes, 0, 0), axis_size=runs)(
                state, inputs, lr, noise)

        return jax.lax.cond(use_plateau, branch(True), branch(False))

    return jax.jit(chunk)


@kernel_cache(maxsize=KERNEL_CACHE)
def ends_kernel(landscape: Landscape, length: int, runs: int):
    """Jitted: (records of a whole run, count of valid columns, f* (NaN: unknown), tolerance) -> `run_ends`:
    (stop, code, best loss, reached), each (runs,)."""
    return jax.jit(lambda records, count, target, tolerance: run_ends(landscape, records, count, target, tolerance,
                                                                       xp=jnp))


@kernel_cache(maxsize=32)
def noise_kernel(length: int):
    """ξ_k for k = offset .. offset+length−1 of one run (`gradient_noise`), shape (length, 2).

    One run at a time, so it compiles once per step bucket, whatever the number of runs."""

    def one(seed, offset):
        steps = offset + jnp.arange(length, dtype=jnp.uint32)
        return jax.vmap(lambda k: gradient_noise(seed, k))(steps)

    return jax.jit(one)


def noise_table(seed: int, steps: int) -> np.ndarray:
    """ξ_0 .. ξ_{steps−1} of one run, (steps, 2), computed by the same kernel as a run's chunks."""
    return np.asarray(noise_kernel(bucket(steps))(np.uint32(seed), np.uint32(0)))[:steps]


@lru_cache(maxsize=64)
def zero_noise(runs: int, length: int):
    """The noise input of a group where no run is noisy, (length, runs, 2), kept on the device."""
    return jax.device_put(np.zeros((length, runs, 2)))  # a transfer; jnp.zeros would be an eager compile
