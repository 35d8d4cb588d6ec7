"""A mesh request: `GET /api/landscapes/{id}/mesh?n=...&NAME=VALUE`, its query read as landscape parameters, and
for a typed landscape `f=EXPRESSION&domain=x_min,x_max,y_min,y_max` with every other name a named parameter.

Example:
    >>> landscape, values = mesh_request("rosenbrock", {"n": "40", "a": "0.5"})
    >>> landscape.id, values
    ('rosenbrock', {'a': 0.5, 'b': 100.0})
    >>> mesh_request("rosenbrock", {"a": "two"})
    Traceback (most recent call last):
    ...
    app.contract.mesh.QueryError: [{'loc': ['query', 'a'], 'msg': "must be a number, got 'two'", 'type': 'invalid'}]
"""
from __future__ import annotations

from typing import Mapping

from pydantic import ValidationError

from landscapes import LANDSCAPES, Landscape, typed

from ..vocabulary.params import ParamErrors, resolve_params
from .scene import scene_of


class UnknownLandscape(LookupError):
    """No landscape has this id (a 404)."""


class QueryError(ValueError):
    """Query parameters out of range or unknown (a 422): `detail` holds one {loc, msg, type} per problem."""

    def __init__(self, detail: list[dict]):
        self.detail = detail
        super().__init__(detail)


def _number(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise QueryError([{"loc": ["query", name], "msg": f"must be a number, got {text!r}", "type": "invalid"}])


def mesh_request(landscape_id: str, query: Mapping[str, str]) -> tuple[Landscape, dict]:
    """The landscape and its parameter values (defaults filled) that a mesh query asks for."""
    if landscape_id == "expression":
        return _typed_mesh_request(query)
    landscape = LANDSCAPES.get(landscape_id)
    if landscape is None:
        raise UnknownLandscape(f"unknown landscape {landscape_id!r}; one of: {', '.join(LANDSCAPES)}, expression")
    given = {name: _number(name, text) for name, text in query.items() if name != "n"}
    try:
        return landscape, resolve_params(landscape.params, given, steps=None)
    except ParamErrors as e:
        raise QueryError([{"loc": ["query", name], "msg": msg, "type": "invalid"} for name, msg in e.errors])


def _typed_mesh_request(query: Mapping[str, str]) -> tuple[Landscape, dict]:
    data = {"f": query.get("f", typed.PARAMS[0].default)}
    if "domain" in query:
        try:
            x0, x1, y0, y1 = (float(v) for v in query["domain"].split(","))
        except ValueError:
            raise QueryError([{"loc": ["query", "domain"], "msg": "must be x_min,x_max,y_min,y_max",
                               "type": "invalid"}])
        data["domain"] = [[x0, x1], [y0, y1]]
    # every other query parameter is a named parameter of f
    data["constants"] = {name: _number(name, query[name]) for name in set(query) - {"n", "f", "domain"}}
    try:
        scene = scene_of({"landscape": {"id": "expression", "params": data}, "runs": [{"start": [0, 0]}]})
    except ValidationError as e:
        raise QueryError([{"loc": ["query", err["loc"][-1]], "msg": err["msg"], "type": err["type"]}
                          for err in e.errors() if err["loc"][0] == "landscape"])
    return scene.resolved_landscape, scene.landscape.params["constants"]
