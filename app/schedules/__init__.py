"""Every learning-rate schedule of docs/mathematics.md, keyed by the ids the URL and JSON use.

`SCHEDULES[id]` is a `Schedule` (formula, parameter list, optax equivalent), built-in (`piecewise`, `smooth`,
`cyclical`, `warmup`), composed (`sequence`) or typed (`typed`); `learning_rate_tables` (`table`) turns a list of
resolved schedules into the (runs, steps) table that the trajectory kernels consume, in one compiled call.

Example:
    >>> from app.schedules import SCHEDULES
    >>> SCHEDULES["cosine"].family
    'smooth'
"""
from .base import Schedule
from .registry import SCHEDULES
from .table import learning_rate_tables

__all__ = ["SCHEDULES", "Schedule", "learning_rate_tables"]
