"""The composition of schedules: `sequence`, each part with its own step counter (optax.join_schedules).

Its parts are validated with the scene (`app.contract.scene`) and stitched into rows of the learning-rate table
(`app.schedules.table`).
"""
from ..vocabulary.params import Param
from .base import Schedule

SCHEDULE = Schedule(
    "sequence", "Sequence of schedules", "composition",
    "η(k) = s_j(k − b_{j−1}) for b_{j−1} ≤ k < b_j",
    "Each part runs for its `steps` (the last one for the rest) and sees its own step counter from 0; defaults "
    "written in T use the part's length. optax.join_schedules; torch SequentialLR.",
    (Param("parts", "list of {schedule: {id, params}, steps}; the last part omits steps", None, kind="parts"),),
    None,
)
