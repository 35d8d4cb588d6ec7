"""Arrays as Plotly's typed-array spec writes them: {"dtype": "f8", "bdata": base64 of little-endian float64}.

The opt-in transport of /api/runs and /api/runs/stream (`?arrays=bdata`): the page decodes each array straight
into a Float64Array, 8 bytes a number (10.7 characters in base64) instead of about 19 characters of JSON, and
with the same bits as the JSON answer's numbers. Where the JSON answer writes null (a number that is not
finite), the typed array holds that number as it is (NaN or ±Infinity).

Example:
    >>> import numpy as np
    >>> typed(np.array([1.0, 0.5]))
    {'dtype': 'f8', 'bdata': 'AAAAAAAA8D8AAAAAAADgPw=='}
    >>> with_typed_arrays({"run": 0, "x": np.array([2.0])})
    {'run': 0, 'x': {'dtype': 'f8', 'bdata': 'AAAAAAAAAEA='}}
"""
from __future__ import annotations

import base64

import numpy as np

ARRAY_FIELDS = ("x", "y", "loss", "lr", "grad_norm", "step_norm", "fast_x", "fast_y")  # of a run and a chunk


def typed(values) -> dict:
    """One array of numbers as {"dtype": "f8", "bdata": base64 of its little-endian float64 bytes}."""
    array = np.ascontiguousarray(values, dtype="<f8")
    return {"dtype": "f8", "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


def with_typed_arrays(record: dict) -> dict:
    """A run result or a stream chunk with its arrays typed; every other field as it is."""
    return {name: typed(value) if name in ARRAY_FIELDS and value is not None else value
            for name, value in record.items()}
