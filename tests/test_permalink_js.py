"""The browser's codec (frontend/js/permalink.js, CompressionStream 'deflate-raw') and Python's zlib read each
other's tokens. Run with Node, which has the same web streams as the browser."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.contract.permalink import decode, encode
from app.contract.scene import normalise
from app.vocabulary.limits import MAX_SCENE_BYTES, MAX_TOKEN_LENGTH

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")  # the machine image ships it

SCENE = normalise({"landscape": {"id": "peaks"}, "steps": 700, "runs": [
    {"label": "momentum ✓ é", "optimizer": {"id": "momentum"}, "schedule": {"id": "sequence", "params": {"parts": [
        {"schedule": {"id": "linear_warmup", "params": {"lr": 0.02}}, "steps": 70},
        {"schedule": {"id": "cosine", "params": {"lr": 0.02}}}]}}, "start": [0, 1.5]},
    {"optimizer": {"id": "lookahead", "params": {"inner": {"id": "yogi"}}}, "noise": {"std": 0.3, "seed": 7}}]})


def node(mode: str, text: str) -> str:
    script = f"""
import {{ encodeScene, decodeToken }} from {json.dumps((ROOT / 'frontend/js/permalink.js').as_uri())};
let input = ""; for await (const chunk of process.stdin) input += chunk;
const limits = {{ max_token_length: {MAX_TOKEN_LENGTH}, max_scene_bytes: {MAX_SCENE_BYTES} }};
const out = "{mode}" === "encode" ? await encodeScene(JSON.parse(input)) : JSON.stringify(await decodeToken(input.trim(), limits));
process.stdout.write(out);
"""
    done = subprocess.run([NODE, "--input-type=module", "-e", script], input=text, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_python_reads_a_browser_token():
    token = node("encode", json.dumps(SCENE))
    assert normalise(decode(token)) == normalise(SCENE)


def test_the_browser_reads_a_python_token():
    assert normalise(json.loads(node("decode", encode(SCENE)))) == normalise(SCENE)
