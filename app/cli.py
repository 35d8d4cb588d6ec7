"""The command line: `optiscape serve`, `optiscape run SCENE.json`, `optiscape open TOKEN_OR_URL`,
`optiscape report SCENE.json -o scene.html`, and the explorations.

Bad input never shows a traceback: one line naming the field and the allowed range, exit status 2.

Example:
    $ optiscape run examples/canyon.json --format csv --out canyon.csv
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path

import orjson
from pydantic import ValidationError

from .contract.permalink import DEFAULT_BASE_URL, TokenError, decode, token_of
from .server.runtime import use_every_core

EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    print(f"optiscape: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


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


class BadInput(Exception):
    """Input a command refuses: `main` prints its one line and exits with EXIT_BAD_INPUT."""


def _one_line(error: ValidationError) -> str:
    from .contract.scene import error_lines

    lines = error_lines(error)
    return lines[0] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")


def _read_json(path: str):
    """The JSON in a file, or on standard input for "-"."""
    try:
        return orjson.loads(sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes())
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}") from None
    except orjson.JSONDecodeError as e:
        raise BadInput(f"{path} is not valid JSON: {e}") from None


def _load_scene(data):
    """The validated Scene of JSON data, or BadInput with its first problem."""
    from .contract.scene import scene_of

    try:
        return scene_of(data)
    except ValidationError as e:
        raise BadInput(_one_line(e)) from None


def cmd_run(args) -> int:
    from .contract.compute import answer_runs

    document = answer_runs(_load_scene(_read_json(args.scene)))
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
    sys.stdout.buffer.write(orjson.dumps(scene.model_dump(), option=orjson.OPT_INDENT_2) + b"\n")
    return 0


def _axis(text: str) -> dict:
    """PARAM:FROM:TO:N[:log] or PARAM=V1,V2,..."""
    if "=" in text:
        param, values = text.split("=", 1)
        return {"param": param, "values": [float(v) for v in values.split(",")]}
    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise ValueError(f"axis {text!r}: write PARAM:FROM:TO:N[:log] or PARAM=V1,V2,...")
    axis = {"param": parts[0], "from": float(parts[1]), "to": float(parts[2]), "n": int(parts[3])}
    if len(parts) == 5:
        axis["scale"] = parts[4]
    return axis


def cmd_explore(args) -> int:
    """basins / sweep / tune / range-test / seeds: the same answers as the matching POST /api/... endpoints."""
    from .contract import compute
    from .contract.requests import BasinRequest, RangeTestRequest, SeedsRequest, SweepRequest, TuneRequest

    body = {"scene": _read_json(args.scene), "run": args.run}
    try:
        if args.command == "basins":
            answer = compute.answer_basins(BasinRequest.model_validate({**body, "n": args.n}))
        elif args.command == "sweep":
            axes = {"x": _axis(args.x), **({"y": _axis(args.y)} if args.y else {})}
            answer = compute.answer_sweep(SweepRequest.model_validate({**body, **axes}))
        elif args.command == "tune":
            given = {"from": args.start, "to": args.stop, "n": args.n}
            answer = compute.answer_tune(TuneRequest.model_validate(
                {**body, "metric": args.metric, **{k: v for k, v in given.items() if v is not None}}))
        elif args.command == "range-test":
            answer = compute.answer_range_test(RangeTestRequest.model_validate(
                {**body, "min_lr": args.min_lr, "max_lr": args.max_lr, "steps": args.steps, "mode": args.mode}))
        else:
            answer = compute.answer_seeds(SeedsRequest.model_validate({**body, "seeds": args.seeds}))
    except ValidationError as e:
        return _fail(_one_line(e))
    except ValueError as e:
        return _fail(str(e))
    payload = to_json(answer)
    if args.out:
        Path(args.out).write_bytes(payload)
    else:
        sys.stdout.buffer.write(payload + b"\n")
    return 0


def cmd_export(args) -> int:
    from .contract.compute import export_script

    script = export_script(_load_scene(_read_json(args.scene)))
    if args.out:
        Path(args.out).write_text(script)
    else:
        sys.stdout.write(script)
    return 0


def cmd_report(args) -> int:
    from .contract.compute import report

    page = report(_load_scene(_read_json(args.scene)), args.base_url)
    Path(args.out).write_text(page, encoding="utf-8")
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from .server.factory import WARM_UP_SETTING, served_app
    from .server.protocol import JSONErrorsH11Protocol
    from .vocabulary.limits import MAX_HEAD_BYTES

    os.environ[WARM_UP_SETTING] = "off" if args.no_warm_up else args.warm_up  # read by each worker's factory
    # uvicorn's own supervisor: N processes accepting on one socket, each building the app and warming up; a
    # worker that dies is replaced, and SIGTERM stops them all
    uvicorn.run(f"{served_app.__module__}:{served_app.__name__}", factory=True, workers=args.workers,
                host=args.host, port=args.port, log_level="info", http=JSONErrorsH11Protocol,
                h11_max_incomplete_event_size=MAX_HEAD_BYTES)
    return 0


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


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
    for name, doc in [("basins", "basin map: where a run ends from every start of an n x n grid"),
                      ("sweep", "vary one or two numbers of a run over a grid"),
                      ("tune", "tune a run's base rate: a log sweep, each rate scored, the best named"),
                      ("range-test", "Smith's LR range test with suggested cyclical bounds"),
                      ("seeds", "one noisy run over several seeds: mean, spread and paths")]:
        command = sub.add_parser(name, help=doc)
        command.add_argument("scene", help="scene JSON file (- for standard input)")
        command.add_argument("--run", type=int, default=0, help="index of the run")
        command.add_argument("--out", help="write here instead of standard output")
        command.set_defaults(func=cmd_explore)
        if name == "basins":
            command.add_argument("--n", type=int, default=64, help="grid size (n x n starts)")
        if name == "sweep":
            command.add_argument("--x", required=True, help="PARAM:FROM:TO:N[:log] or PARAM=V1,V2,...")
            command.add_argument("--y", help="a second axis, same form")
        if name == "tune":
            command.add_argument("--metric", default="final_loss", help="final_loss or steps_to_tolerance")
            command.add_argument("--from", dest="start", type=float, help="the lowest rate (default: the "
                                 "parameter's slider minimum)")
            command.add_argument("--to", dest="stop", type=float, help="the highest rate (default: its slider "
                                 "maximum)")
            command.add_argument("--n", type=int, help="rates tried, log-spaced (default 25)")
        if name == "range-test":
            command.add_argument("--min-lr", type=float, default=1e-5)
            command.add_argument("--max-lr", type=float, default=1.0)
            command.add_argument("--steps", type=int, default=500)
            command.add_argument("--mode", choices=("linear", "exponential"), default="exponential")
        if name == "seeds":
            command.add_argument("--seeds", type=int, default=8)
    export = sub.add_parser("export", help="a standalone Python script (jax + optax) reproducing the runs")
    export.add_argument("scene", help="scene JSON file (- for standard input)")
    export.add_argument("--out", help="write here instead of standard output")
    export.set_defaults(func=cmd_export)
    report = sub.add_parser("report", help="one self-contained HTML file: the three views, a step slider, the summary, "
                            "the scene and its permalink (opens offline)")
    report.add_argument("scene", help="scene JSON file (- for standard input)")
    report.add_argument("-o", "--out", required=True, help="the HTML file to write")
    report.add_argument("--base-url", default=DEFAULT_BASE_URL,
                        help="where the permalink opens the page (default: optiscape serve's address)")
    report.set_defaults(func=cmd_report)
    serve = sub.add_parser("serve", help="the app on http://HOST:PORT (API, docs and frontend)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--warm-up", choices=("full", "page", "off"), default="full", help="what the background JIT "
                       "warm-up compiles: the common kernels (about 650 MB a process), the page's first scene alone "
                       "(about 270 MB), or nothing")
    serve.add_argument("--no-warm-up", action="store_true", help="the same as --warm-up off")
    serve.add_argument("--workers", type=_at_least_one, default=1, help="server processes sharing the port (one "
                       "per core; they share the compilation cache and each warms up)")
    serve.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    use_every_core()
    try:
        return args.func(args)
    except BadInput as e:
        return _fail(str(e))


if __name__ == "__main__":
    sys.exit(main())
