"""`optiscape serve --workers N`: N processes answer on one port, each warmed up, and stopping the server stops
them all."""
from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from app.server.factory import served_app
from server import serving


def children(pid: int) -> set[int]:
    return {int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return f"{pid} (gone)"


def test_two_workers_answer_on_one_port_and_stop_with_the_server():
    with serving("--workers", "2", "--warm-up", "page", timeout=300) as url:
        answered, deadline = set(), time.monotonic() + 300
        while len(answered) < 2 and time.monotonic() < deadline:  # each call a new connection: either may take it
            health = httpx.get(url + "/api/health", timeout=30).json()
            if health["warm"]:  # each process warms up its own kernels
                answered.add(health["pid"])
            time.sleep(0.05)
        below = children(url.pid)  # the workers, and multiprocessing's resource tracker
        assert len(answered) == 2 and answered <= below, (answered, below)
        scene = {"landscape": {"id": "peaks"}, "steps": 50, "runs": [{}]}
        assert httpx.post(url + "/api/runs", json=scene, timeout=300).status_code == 200
    assert url.returncode == 0
    # the workers are joined before the server exits; the resource tracker ends once it reads the end of its
    # pipe, a moment after (seconds on a loaded machine)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in below if alive(pid)]
    assert not left, f"processes of the stopped server live on: {[command_line(pid) for pid in left]}"


def test_a_warm_up_setting_that_does_not_exist_stops_the_start(monkeypatch):
    monkeypatch.setenv("OPTISCAPE_WARM_UP", "most")
    with pytest.raises(ValueError, match="OPTISCAPE_WARM_UP must be one of full, page, off"):
        served_app()
