"""Every learning-rate schedule of SPEC section 1, keyed by the ids the URL and JSON use.

`SCHEDULES[id]` is a `Schedule` (formula, parameter list, optax equivalent); `learning_rate_tables` turns a list
of resolved schedules into the (runs, steps) table that the trajectory kernels consume, in one compiled call.

Example:
    >>> from app.schedules import SCHEDULES
    >>> SCHEDULES["cosine"].family
    'smooth'
"""
from ..vocabulary.params import Param

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

def _expression_schedule() -> Schedule:
    from landscapes.typed import SCHEDULE_PARAMS, SCHEDULE_VARIABLES, ExpressionError, check

    def parses(values, T):
        if not isinstance(values["f"], str):
            return [("f", "must be a string")]
        try:
            check(values["f"], SCHEDULE_VARIABLES)
        except ExpressionError as e:
            return [("f", str(e))]
        return []

    return Schedule("expression", "Your own schedule", "custom", "η(k) = f(k, T, lr)",
                    "An expression you type, parsed by a whitelist grammar (never evaluated as Python); compiled once "
                    "per distinct expression.", SCHEDULE_PARAMS, None, check=parses)


SCHEDULES: dict[str, Schedule] = {
    s.id: s for s in piecewise.SCHEDULES + smooth.SCHEDULES + cyclical.SCHEDULES + warmup.SCHEDULES + (SEQUENCE,)
}
SCHEDULES["expression"] = _expression_schedule()

from .table import learning_rate_tables  # noqa: E402

__all__ = ["SCHEDULES", "Schedule", "learning_rate_tables"]
