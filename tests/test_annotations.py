"""Gold sets in both layouts, the checks of an annotation folder, agreement, and the
project's own annotations (``data/annotations``) against the corpus they point into."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from celebgraph.annotations import (
    agreement,
    check,
    load_gold,
    locate,
    write_gold,
)
from celebgraph.errors import GoldError
from conftest import SCRIPT

DATA = Path(__file__).parent / "data" / "gold"
CORPUS = DATA / "corpus"
ANNOTATIONS = Path(__file__).resolve().parents[1] / "data" / "annotations"
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture
def offsets(tmp_path: Path) -> Path:
    """The test gold set rewritten with character offsets instead of evidence."""
    write_gold(load_gold(DATA, corpus=CORPUS), tmp_path / "offsets", CORPUS)
    return tmp_path / "offsets"


def test_offsets_layout_reads_back_the_same_rows_and_evidence(offsets: Path):
    evidence = load_gold(DATA, corpus=CORPUS)
    anchored = load_gold(offsets, corpus=CORPUS)
    assert anchored.rows.keys() == evidence.rows.keys()
    for key, row in evidence.rows.items():
        assert anchored.rows[key].evidence == row.evidence
        assert anchored.rows[key].status == row.status
    header = (offsets / "relations.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t") == [
        "article",
        "subject",
        "relation",
        "object",
        "status",
        "start",
        "end",
    ]


def test_offsets_layout_holds_no_article_text(offsets: Path):
    text = (offsets / "relations.tsv").read_text(encoding="utf-8")
    assert "married" not in text and "slammed" not in text


def test_check_passes_a_good_folder_and_names_each_problem(offsets: Path):
    assert check(offsets, CORPUS) == []
    rows = (offsets / "relations.tsv").read_text(encoding="utf-8").splitlines()
    fields = rows[1].split("\t")
    bad = [*fields[:5], "10", "99999"]
    stranger = [fields[0], "Nobody Here", fields[2], fields[3], fields[4], "0", "5"]
    (offsets / "relations.tsv").write_text(
        "\n".join([*rows, "\t".join(bad), "\t".join(stranger)]) + "\n", encoding="utf-8"
    )
    with (offsets / "entities.tsv").open("a", encoding="utf-8") as handle:
        handle.write("a01\tZelda Unheard\t\n")
    problems = check(offsets, CORPUS)
    assert any("offsets 10-99999 outside the article" in p for p in problems)
    assert any("'Nobody Here' not in entities.tsv" in p for p in problems)
    assert any("'Zelda Unheard' not in the article" in p for p in problems)
    assert len(problems) == 3


def test_unknown_relation_or_status_is_a_gold_error(tmp_path: Path):
    folder = tmp_path / "g"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("corpus"))
    with (folder / "relations.tsv").open("a", encoding="utf-8") as handle:
        handle.write("a01\tMira Okafor\tlikes\tTom Hale\tasserted\tx\n")
    with pytest.raises(GoldError, match="unknown relation 'likes'"):
        load_gold(folder)


def test_locate_ignores_runs_of_white_space():
    assert locate("married  Daniel", "Mira married\nDaniel Reyes") == (5, 19)
    assert locate("not there", "Mira married Daniel") is None


def test_agreement_matches_names_through_aliases_and_either_order(tmp_path: Path):
    other = tmp_path / "other"
    shutil.copytree(DATA, other, ignore=shutil.ignore_patterns("corpus"))
    relations = (other / "relations.tsv").read_text(encoding="utf-8").splitlines()
    # A second annotator: one row written with surnames and the other order, one row
    # missing, one status different, one extra row.
    changed = [line for line in relations if "\tmetWith\t" not in line]
    changed = [
        line.replace(
            "a07\tLena Fischer\tcollaboratedWith\tAda Okafor",
            "a07\tOkafor\tcollaboratedWith\tFischer",
        ).replace("\tpartnerOf\tLena Fischer\treported", "\tpartnerOf\tLena Fischer\tasserted")
        for line in changed
    ]
    changed.append("a08\tDaniel Reyes\tfriendOf\tPaul Grant\tasserted\tReyes and Grant")
    (other / "relations.tsv").write_text("\n".join(changed) + "\n", encoding="utf-8")
    with (other / "entities.tsv").open("a", encoding="utf-8") as handle:
        handle.write("a07\tOkafor\t\na07\tFischer\t\n")
    result = agreement(load_gold(DATA), load_gold(other))
    assert (result.first, result.second, result.matched) == (25, 25, 24)
    assert result.same_status == 23
    assert result.f1 == pytest.approx(48 / 50)


def test_annotations_commands(offsets: Path):
    run = subprocess.run(
        [SCRIPT, "annotations", "check", str(offsets), "--corpus", str(CORPUS)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "0 problems"
    run = subprocess.run(
        [SCRIPT, "annotations", "agreement", str(DATA), str(offsets), "--corpus", str(CORPUS)],
        capture_output=True,
        text=True,
    )
    assert "matched 25: F1 1.000; same status 25 of 25" in run.stdout


# --- the project's own annotations -------------------------------------------------------


@pytest.mark.parametrize("folder", ["", "second"])
def test_project_annotations_point_inside_their_articles(folder: str):
    """Every row's offsets fall inside its article, every name occurs in it."""
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"the corpus is not here ({SHARED_CORPUS})")
    path = ANNOTATIONS / folder
    assert (path / "relations.tsv").is_file()
    assert check(path, SHARED_CORPUS) == []
    gold = load_gold(path, corpus=SHARED_CORPUS)
    assert all(row.evidence.strip() for row in gold.rows.values())


def test_project_annotations_are_in_the_offsets_layout_only():
    """No sentence of the corpus is copied into the repository: names and offsets only."""
    for name in ("relations.tsv", "second/relations.tsv"):
        header = (ANNOTATIONS / name).read_text(encoding="utf-8").splitlines()[0].split("\t")
        assert header == ["article", "subject", "relation", "object", "status", "start", "end"]
