"""Every learning-rate schedule of SPEC section 1, keyed by the ids the URL and JSON use.

`SCHEDULES[id]` is a `Schedule` (formula, parameter list, optax equivalent); `learning_rate_tables` turns a list
of resolved schedules into the (runs, steps) table that the trajectory kernels consume, in one compiled call.

Example:
    >>> from app.schedules import SCHEDULES
    >>> SCHEDULES["cosine"].family
    'smooth'
"""
from landscapes.params import Param

from . import cyclical, piecewise, smooth, warmup
from .base import Schedule

SEQUENCE = Schedule(
    "sequence", "Sequence of schedules", "composition",
    "η(k) = s_j(k − b_{j−1}) for b_{j−1} ≤ k < b_j",
    "Each part runs for its `steps` (the last one for the rest) and sees its own step counter from 0; defaults "
    "written in T use the part's length. optax.join_schedules; torch SequentialLR.",
    (Param("parts", "list of {schedule: {id, params}, steps}; the last part omits steps", None, kind="parts"),),
    None,
)

SCHEDULES: dict[str, Schedule] = {
    s.id: s for s in piecewise.SCHEDULES + smooth.SCHEDULES + cyclical.SCHEDULES + warmup.SCHEDULES + (SEQUENCE,)
}

from .table import learning_rate_tables  # noqa: E402

__all__ = ["SCHEDULES", "Schedule", "learning_rate_tables"]
