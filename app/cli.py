"""The command line: `optiscape serve`, `optiscape run SCENE.json`, `optiscape open TOKEN_OR_URL`.

Bad input never shows a traceback: one line naming the field and the allowed range, exit status 2.

Example:
    $ optiscape run examples/canyon.json --format csv --out canyon.csv
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import orjson
from pydantic import ValidationError

from .permalink import TokenError, decode, token_of

EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    print(f"optiscape: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def result_document(scene: dict) -> dict:
    """What `POST /api/runs` answers: the normalised scene and every run's result."""
    from .engine import run_scene

    return {"scene": scene, "runs": [result.as_dict() for result in run_scene(scene)]}


def to_json(document: dict) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)


def to_csv(document: dict) -> str:
    """One row per run and step: iterate, loss, and the update that starts there (empty after the last)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", "label", "step", "x", "y", "loss", "lr", "grad_norm", "step_norm", "status"])
    for index, (run, result) in enumerate(zip(document["scene"]["runs"], document["runs"])):
        for k in range(len(result["x"])):
            update = [repr(float(result[name][k])) if k < len(result["lr"]) else ""
                      for name in ("lr", "grad_norm", "step_norm")]
            writer.writerow([index, run["label"], k, repr(float(result["x"][k])), repr(float(result["y"][k])),
                             repr(float(result["loss"][k])), *update, result["status"]])
    return out.getvalue()


def _load_scene(data) -> dict | str:
    from .scene import error_lines, normalise

    try:
        return normalise(data)
    except ValidationError as e:
        lines = error_lines(e)
        return lines[0] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")


def cmd_run(args) -> int:
    try:
        text = sys.stdin.buffer.read() if args.scene == "-" else Path(args.scene).read_bytes()
    except OSError as e:
        return _fail(f"cannot read {args.scene}: {e.strerror}")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        return _fail(f"{args.scene} is not valid JSON: {e}")
    scene = _load_scene(data)
    if isinstance(scene, str):
        return _fail(scene)
    document = result_document(scene)
    payload = to_json(document) if args.format == "json" else to_csv(document).encode()
    if args.out:
        Path(args.out).write_bytes(payload)
    else:
        sys.stdout.buffer.write(payload + (b"\n" if args.format == "json" else b""))
    return 0


def cmd_open(args) -> int:
    try:
        data = decode(token_of(args.token))
    except TokenError as e:
        return _fail(str(e))
    scene = _load_scene(data)
    if isinstance(scene, str):
        return _fail(scene)
    sys.stdout.buffer.write(orjson.dumps(scene, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from .main import create_app

    uvicorn.run(create_app(warm=not args.no_warm_up), host=args.host, port=args.port, log_level="info")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="optiscape", description="Optimizers and learning-rate schedules on 2D "
                                "surfaces.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="compute every run of a scene")
    run.add_argument("scene", help="scene JSON file (- for standard input)")
    run.add_argument("--format", choices=("json", "csv"), default="json")
    run.add_argument("--out", help="write here instead of standard output")
    run.set_defaults(func=cmd_run)
    open_ = sub.add_parser("open", help="print the scene a permalink holds")
    open_.add_argument("token", help="a token or a URL with ?s=TOKEN")
    open_.set_defaults(func=cmd_open)
    serve = sub.add_parser("serve", help="the app on http://HOST:PORT (API, docs and frontend)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-warm-up", action="store_true", help="skip the background JIT warm-up")
    serve.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
