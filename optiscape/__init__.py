"""Optiscape in Python (a notebook, a script): the engine the server runs, without a server.

- `Scene`: the scene model of the contract (docs/api.md); `Scene(landscape={"id": "rosenbrock"}, runs=[{}])`
  validates and fills every default, and raises pydantic's ValidationError naming each bad field.
- `run(scene)`: a Scene, a dict, a path to a scene JSON file or a preset, computed exactly as `POST /api/runs`
  computes it -> a `Result` (numpy arrays, status, summary, `figure()`).
- `presets`: the page's teaching presets by id (title, teaser, explanation, scene).
- `permalink(scene)`: the page's link to a scene; `open(link_or_token)`: the Scene a link holds.
- `report(scene, path)`: the scene as one self-contained HTML file (`optiscape report`, `POST /api/report`).

Bad input raises `SceneError` (a ValueError), one line per problem naming the field and the allowed range.

Example:
    >>> import optiscape
    >>> result = optiscape.run(optiscape.presets["canyon"])
    >>> result.scene.landscape.id, result.status
    ('rosenbrock', ['ok', 'ok', 'ok', 'ok', 'ok', 'escaped'])
    >>> optiscape.open(optiscape.permalink({"landscape": {"id": "booth"}, "runs": [{}]})).runs[0].start
    (-5.0, -5.0)
    >>> optiscape.run({"landscape": {"id": "booth"}, "runs": [{"schedule": {"id": "constant", "params": {"lr": -1}}}]})
    Traceback (most recent call last):
    ...
    optiscape.SceneError: runs.0.schedule.params.lr: must be in (0, 10], got -1
"""
from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Union

import orjson
from pydantic import ValidationError

from app.contract import compute
from app.contract.permalink import DEFAULT_BASE_URL, decode, encode, token_of
from app.contract.scene import Scene, error_lines, scene_of
from app.features.presets import PRESETS, Preset

from .result import Result, RunResult

__all__ = ["Scene", "Result", "RunResult", "SceneError", "run", "presets", "permalink", "open", "report",
           "DEFAULT_BASE_URL"]

presets: Mapping[str, Preset] = MappingProxyType(PRESETS)

SceneLike = Union[Scene, Mapping[str, Any], str, os.PathLike, Preset]


class SceneError(ValueError):
    """A scene that is not valid: one line per problem (`runs.0.schedule.params.lr: must be in (0, 10], got -1`);
    `errors` holds the lines."""

    def __init__(self, lines: list[str]):
        self.errors = lines
        super().__init__("\n".join(lines))


def scene(data: SceneLike) -> Scene:
    """The validated Scene of a Scene, a dict, a preset or a path to a scene JSON file; SceneError otherwise."""
    if isinstance(data, Preset):
        data = data.scene
    elif isinstance(data, (str, os.PathLike)):
        path = Path(data)
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as e:
            raise SceneError([f"{path} is not valid JSON: {e}"]) from None
    try:
        return scene_of(data)
    except ValidationError as e:
        raise SceneError(error_lines(e)) from None


def run(data: SceneLike) -> Result:
    """Compute every run of a scene (the server's own path: `app.contract.compute.computed`)."""
    return Result(compute.computed(scene(data)))


def permalink(data: SceneLike, base_url: str = DEFAULT_BASE_URL) -> str:
    """The page's link to a scene, `BASE_URL/?s=TOKEN` (the token of `POST /api/permalinks`: the normalised
    scene, deflated, base64url)."""
    return f"{base_url.rstrip('/')}/?s={encode(scene(data).model_dump())}"


def open(link_or_token: str) -> Scene:  # noqa: A001 (the name the issue asks for; builtins.open stays builtins')
    """The Scene a permalink holds (a URL with `?s=TOKEN`, or the token); ValueError when it holds none."""
    return scene(decode(token_of(link_or_token)))


def report(data: SceneLike, path: str | os.PathLike, base_url: str = DEFAULT_BASE_URL) -> Path:
    """Write the scene's one-file HTML report (three views, step slider, summary, scene, permalink at `base_url`)
    to `path`; returns the path."""
    out = Path(path)
    out.write_text(compute.report(scene(data), base_url), encoding="utf-8")
    return out
