"""docs/mathematics.md and docs/api.md current with the registries and limits, and complete; nothing in the repository pointing outside it."""
import re
import subprocess
from pathlib import Path

import pytest

from app.contract import doc_blocks
from app.contract.catalog import catalog

ROOT = Path(__file__).resolve().parents[1]
MATHEMATICS = ROOT / "docs" / "mathematics.md"
API = ROOT / "docs" / "api.md"
SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__", "test-artifacts", "build", "dist"}


def test_the_generated_docs_are_what_the_registries_and_limits_say():
    texts = [path.read_text(encoding="utf-8") for path in (MATHEMATICS, API)]
    assert sum(text.count("<!-- generated: ") for text in texts) == len(doc_blocks.BLOCKS)
    for path, text in zip((MATHEMATICS, API), texts):
        assert doc_blocks.render(text) == text, f"{path.name} is stale: run `make docs`"


def test_a_changed_default_makes_the_checked_in_doc_stale(monkeypatch):
    """The staleness test above can fail: a registry default that changes no longer matches the file."""
    text = MATHEMATICS.read_text(encoding="utf-8")
    changed = catalog()["schedules"]["step"]["params"]
    gamma = next(p for p in changed if p["name"] == "gamma")
    monkeypatch.setitem(gamma, "default", 0.25)
    assert doc_blocks.render(text) != text


@pytest.mark.parametrize("kind", ["landscapes", "optimizers", "schedules"])
def test_every_id_of_every_registry_is_in_the_mathematics_doc(kind):
    text = MATHEMATICS.read_text(encoding="utf-8")
    missing = [i for i in catalog()[kind] if f"`{i}`" not in text]
    assert not missing


def test_every_preset_and_claim_is_in_the_mathematics_doc():
    text = MATHEMATICS.read_text(encoding="utf-8")
    assert [p["id"] for p in catalog()["presets"] if f"`{p['id']}`" not in text] == []
    claims = {claim for p in catalog()["presets"] for claim in _claim_ids(p["claims"])}
    assert claims and [c for c in sorted(claims) if f"| {c} |" not in text] == []


def _claim_ids(text: str) -> list[str]:
    """"R1-R6, P1" -> R1 ... R6, P1: the survey claim ids a preset names."""
    ids = []
    for letter, first, last in re.findall(r"\b([RPSC])(\d)(?:-[RPSC]?(\d))?\b", text):
        ids += [f"{letter}{n}" for n in range(int(first), int(last or first) + 1)]
    return ids


def _repository_files() -> list[Path]:
    """The files git tracks or would track (ignored build outputs left out); every file where git is absent."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
        return [ROOT / name for name in listed if name]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob("*") if not SKIPPED_DIRS.intersection(p.relative_to(ROOT).parts)
                and not any(part.endswith(".egg-info") for part in p.parts)]


def _text_files():
    for path in _repository_files():
        if path.is_file():
            try:
                yield path, path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue


def test_no_file_points_outside_the_repository():
    outside = ".." + "/shared"  # written in two parts, so that this file does not match itself
    assert [str(p.relative_to(ROOT)) for p, text in _text_files() if outside in text] == []


def test_links_in_readme_and_docs_stay_inside_the_repository():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue  # a URL, not a file
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), (page.name, target)
