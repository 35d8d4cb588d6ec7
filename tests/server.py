"""A real `optiscape serve` under uvicorn on a free loopback port, for tests and benchmarks."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """The base URL of a started server; `.pid` is its process id (to read its memory); `.returncode` its exit
    status once stopped."""

    pid: int
    returncode: int | None = None


@contextmanager
def serving(*extra: str, env: dict | None = None, timeout: float = 120.0):
    """Start the server, wait until it answers, yield its base URL (a ServerURL), stop it."""
    port = free_port()
    log = tempfile.TemporaryFile()  # a file, not a pipe: an unread pipe fills up and stalls a busy server
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), *extra], cwd=ROOT,
                               env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = ServerURL(f"http://127.0.0.1:{port}")
    url.pid = process.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError("server exited: " + log.read().decode(errors="replace"))
            try:
                if httpx.get(url + "/api/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("server did not answer")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        url.returncode = process.returncode
        log.close()
