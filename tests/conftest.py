import logging
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import app  # noqa: E402,F401  (float64 on before anything else touches JAX)
from app.contract.scene import normalise  # noqa: E402


def make_scene(landscape="rosenbrock", steps=500, runs=None, landscape_params=None, **extra) -> dict:
    """A normalised scene from a few keywords; each run is a partial run dict."""
    data = {"landscape": {"id": landscape, "params": landscape_params or {}}, "steps": steps,
            "runs": runs or [{}], **extra}
    return normalise(data)


def run(optimizer="sgd", schedule="constant", start=None, optimizer_params=None, **schedule_params) -> dict:
    entry = {"optimizer": {"id": optimizer, "params": optimizer_params or {}},
             "schedule": {"id": schedule, "params": schedule_params}}
    if start is not None:
        entry["start"] = list(start)
    return entry


@contextmanager
def compile_log():
    """The messages of every JAX compilation or retrace inside the block (empty: nothing compiled)."""
    import jax

    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            text = record.getMessage()
            if "Compiling" in text or "Finished tracing" in text:
                messages.append(text)

    handler = Collect()
    logger = logging.getLogger("jax")
    logger.addHandler(handler)
    try:
        with jax.log_compiles():
            yield messages
    finally:
        logger.removeHandler(handler)
