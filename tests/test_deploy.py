"""deploy/: the compose file and the proxy's config wired to each other, to the Dockerfile and to the app.

No Docker daemon runs here; `docker compose config` checks the file where the compose plugin exists, and these
tests read both files as the tools would.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
CADDYFILE = (DEPLOY / "Caddyfile").read_text()
APP = COMPOSE["services"]["app"]


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_several_replicas_of_several_workers_serve_on_every_interface():
    command = APP["command"]
    assert command[:2] == ["optiscape", "serve"] and _option(command, "--host") == "0.0.0.0"
    assert APP["deploy"]["replicas"] >= 2 and int(_option(command, "--workers")) >= 2
    assert (ROOT / APP["build"].replace("..", ".") / "Dockerfile").exists()


def test_the_health_check_asks_the_app_on_its_port():
    port = _option(APP["command"], "--port")
    assert f"127.0.0.1:{port}/api/health" in " ".join(APP["healthcheck"]["test"])
    assert APP["expose"] == [port]
    assert COMPOSE["services"]["proxy"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_every_replica_shares_the_compilation_cache_volume_the_image_declares():
    volume, target = APP["volumes"][0].split("#")[0].strip().split(":")
    assert volume in COMPOSE["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r'VOLUME \["' + re.escape(target) + r'"\]', dockerfile)


def test_the_proxy_routes_to_every_replica_on_the_apps_port_and_streams():
    proxy = COMPOSE["services"]["proxy"]
    source, target = proxy["volumes"][0].split(":")[:2]
    assert (DEPLOY / source).resolve() == DEPLOY / "Caddyfile" and target == "/etc/caddy/Caddyfile"
    upstream = re.search(r"dynamic a \{\s*name (\S+)\s*port (\d+)", CADDYFILE)
    assert upstream and upstream.groups() == ("app", _option(APP["command"], "--port"))
    assert re.search(r"health_uri /api/health\b", CADDYFILE)
    assert re.search(r"flush_interval -1\b", CADDYFILE)  # Server-Sent Events pass unbuffered
    assert CADDYFILE.count("{") == CADDYFILE.count("}")


@pytest.mark.skipif(shutil.which("docker") is None or subprocess.run(
    ["docker", "compose", "version"], capture_output=True).returncode != 0, reason="no docker compose plugin here")
def test_docker_compose_reads_it():
    result = subprocess.run(["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
