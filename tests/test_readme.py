"""The README's SPARQL examples run on a real store and match the files in queries/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import celebgraph

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```sparql\n(.*?)```", README, flags=re.S)


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


def test_readme_has_at_least_five_queries():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("query", BLOCKS, ids=[f"query{i}" for i in range(len(BLOCKS))])
def test_readme_query_runs_and_is_in_queries_folder(seed_store, query):
    files = {_body(p.read_text(encoding="utf-8")) for p in (ROOT / "queries").glob("*.rq")}
    assert query.strip() in files
    result = celebgraph.query(seed_store, query)
    assert result.kind == "select"


@pytest.mark.parametrize(
    ("name", "left", "right", "expected"),
    [
        ("interrupted", "who", "whom", ("Kanye West", "Taylor Swift")),
        ("couples", "a", "b", ("Amber Rose", "Kanye West")),
    ],
)
def test_readme_query_finds_seed_facts(seed_store, name, left, right, expected):
    rows = celebgraph.select(seed_store, (ROOT / "queries" / f"{name}.rq").read_text())
    found = {tuple(sorted((r[left].value, r[right].value))) for r in rows}
    assert tuple(sorted(expected)) in found


def test_readme_person_links_shows_evidence_for_kanye(seed_store):
    rows = celebgraph.select(seed_store, (ROOT / "queries" / "person-links.rq").read_text())
    others = {r["other"].value for r in rows}
    assert {"Taylor Swift", "Jay Leno"} <= others
    assert all(r["evidence"].value for r in rows)


def test_readme_python_api_runs_twice_in_one_process(tmp_path, seed_path):
    """The README's Python API block, run twice in one interpreter with the extraction
    modules loaded in between: the public API stays the same (``celebgraph.extract`` is
    the function, never the package of the pipeline)."""
    import shutil
    import subprocess
    import sys

    (block,) = re.findall(r"## Python API.*?```python\n(.*?)```", README, flags=re.S)
    (tmp_path / "articles").mkdir()
    shutil.copy(seed_path, tmp_path / "articles")
    script = tmp_path / "api.py"
    script.write_text(f"{block}\nimport celebgraph.scoring\n{block}", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    printed = run.stdout.splitlines()
    assert len(printed) >= 2 and len(printed) % 2 == 0
    assert printed[: len(printed) // 2] == printed[len(printed) // 2 :]
    assert any("interrupted" in line for line in printed)
