"""Every learning-rate schedule of docs/mathematics.md, keyed by the ids the URL and JSON use.

Example:
    >>> SCHEDULES["cosine"].family, SCHEDULES["sequence"].family, SCHEDULES["expression"].family
    ('smooth', 'composition', 'custom')
"""
from . import cyclical, piecewise, sequence, smooth, typed, warmup
from .base import Schedule

SCHEDULES: dict[str, Schedule] = {
    s.id: s for s in piecewise.SCHEDULES + smooth.SCHEDULES + cyclical.SCHEDULES + warmup.SCHEDULES
    + (sequence.SCHEDULE, typed.SCHEDULE)
}
