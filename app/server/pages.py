"""The pages: `/` (the whole page) and `/embed` (the views alone, for any site to frame).

`/embed?s=TOKEN` is checked before it is served, because an embed has no scene of its own to fall back on (the
page at `/?s=` shows its default scene and says the link could not be read): a token that cannot be read, a
`view` other than contour or 3d, or a `views` list naming anything but landscape, lr and loss is a JSON 422
whose `loc` names the query parameter (`["query", "s", ...]` for the scene inside the token). The middleware
lets `/embed` alone be framed (`middleware.FRAMEABLE`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from ..contract.embed import EMBED_VIEWS, embed_views
from ..vocabulary.limits import MAX_TOKEN_LENGTH
from .routes import scene_of_token

FRONTEND = Path(os.environ.get("OPTISCAPE_FRONTEND", Path(__file__).resolve().parents[2] / "frontend"))
NO_CACHE = {"Cache-Control": "no-cache"}

pages = APIRouter(include_in_schema=False)


@pages.get("/")
def index():
    return FileResponse(FRONTEND / "index.html", headers=NO_CACHE)


@pages.get("/embed")
async def embed(s: Annotated[str, Query(max_length=10 * MAX_TOKEN_LENGTH)],
                view: Literal["contour", "3d"] = "contour", views: str = ",".join(EMBED_VIEWS)):
    try:
        embed_views(views)
    except ValueError as e:
        raise HTTPException(422, [{"loc": ["query", "views"], "msg": str(e), "type": "value_error"}])
    try:
        await anyio.to_thread.run_sync(scene_of_token, s)  # inflate and validate off the loop
    except HTTPException as e:
        problems = e.detail if isinstance(e.detail, list) else [{"loc": ["token"], "msg": e.detail, "type": "token"}]
        raise HTTPException(422, [{**p, "loc": ["query", "s", *p["loc"][1:]]} for p in problems])
    return FileResponse(FRONTEND / "embed.html", headers=NO_CACHE)
