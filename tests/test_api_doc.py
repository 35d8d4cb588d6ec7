"""docs/api.md against the code: every limit with its value, every endpoint, every command and option, every
scene and run field. The code is the truth; a change to it that the contract does not mention fails here."""
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.contract.catalog import catalog
from app.cli import parser
from app.server.factory import create_app
from app.contract.scene import Run, Scene

API = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def test_every_limit_of_the_catalog_is_in_the_api_doc_with_its_value():
    rows = re.findall(r"^\| [^|]+ \| (?:[\d,]+ to )?([\d,]+)[^|]* \| `(\w+)` \|$", API.read_text(encoding="utf-8"),
                      re.MULTILINE)
    assert {name: int(value.replace(",", "")) for value, name in rows} == catalog()["limits"]


def test_every_endpoint_is_in_the_api_doc():
    text = API.read_text(encoding="utf-8")
    with TestClient(create_app(warm_up_scope="off")) as client:
        spec = client.get("/openapi.json").json()
    operations = [(method.upper(), re.sub(r"\{\w+\}", "{id}" if "landscape" in path else "{token}", path))
                  for path, item in spec["paths"].items() for method in item]
    assert len(operations) >= 12
    assert [f"{m} {p}" for m, p in operations if f"{m} {p}" not in text] == []


def test_every_command_and_option_of_the_cli_is_in_the_api_doc():
    text = API.read_text(encoding="utf-8")
    commands = parser()._subparsers._group_actions[0].choices
    for name, command in commands.items():
        assert f"optiscape {name}" in text, name
        for action in command._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help":
                    assert flag in text, (name, flag)


@pytest.mark.parametrize("model", [Scene, Run])
def test_every_scene_and_run_field_is_in_the_api_doc(model):
    text = API.read_text(encoding="utf-8")
    assert [name for name in model.model_fields if f"| `{name}` |" not in text] == []
