"""Training a relation model and cross-validating it, on a small gold set written for the
tests (``tests/data/gold``: eight short articles, 25 rows)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from celebgraph import api, train
from celebgraph.annotations import load_gold
from celebgraph.extraction.relations import RelationModel
from celebgraph.models import Article
from conftest import SCRIPT

DATA = Path(__file__).parent / "data" / "gold"
CORPUS = DATA / "corpus"


@pytest.fixture(scope="module")
def samples():
    gold = load_gold(DATA, corpus=CORPUS)
    return gold, train.collect(gold, CORPUS)


def test_pairs_get_the_labels_of_rows_in_their_sentence(samples):
    gold, found = samples
    by_article = {s.article.id: s for s in found}
    a05 = by_article["a05"]
    labels = {
        (a05.gold_names.get(p.first), a05.gold_names.get(p.second)): yes
        for p, yes in zip(a05.pairs, a05.positive, strict=True)
    }
    assert labels[("Rosa Diaz", "Mark Dunn")] == {"spouseOf="}
    assert labels[("Rosa Diaz", "Lily Dunn")] == {"parentOf>"}
    # A relation stated in another sentence is neither a positive nor a negative here.
    a04 = by_article["a04"]
    for pair, yes, unknown in zip(a04.pairs, a04.positive, a04.unknown, strict=True):
        names = {a04.gold_names.get(pair.first), a04.gold_names.get(pair.second)}
        if names == {"Sam Ortiz", "Paul Grant"} and not yes:
            assert "sued>" in unknown or "sued<" in unknown
    assert sum(len(s.unread) for s in found) < len(gold.rows) / 2


def test_fit_is_reproducible_and_predicts_what_it_learnt(samples):
    gold, found = samples
    first = train.fit(found, gold)
    second = train.fit(found, gold)
    assert np.array_equal(first.weights, second.weights)
    assert first.threshold == second.threshold
    assert 0.0 < first.threshold <= 1.0
    probabilities = first.predict([p.features for s in found for p in s.pairs])
    assert probabilities.shape == (sum(len(s.pairs) for s in found), len(train.LABELS))
    assert ((probabilities >= 0.0) & (probabilities <= 1.0)).all()
    # Trained on it, the model gives the marriage of a05 a higher probability than the
    # marriage of two people who only dined together.
    spouse = train.LABELS.index("spouseOf=")
    scores = {}
    for sample in found:
        for pair in sample.pairs:
            names = frozenset(
                (sample.gold_names.get(pair.first), sample.gold_names.get(pair.second))
            )
            scores[names] = first.predict([pair.features])[0, spouse]
    assert (
        scores[frozenset(("Rosa Diaz", "Mark Dunn"))]
        > scores[frozenset(("Daniel Reyes", "Paul Grant"))]
    )


def test_train_command_writes_a_model_ingest_can_use(tmp_path: Path, write_article):
    output = tmp_path / "model"
    run = subprocess.run(
        [SCRIPT, "train", "--gold", str(DATA), "--corpus", str(CORPUS), "-o", str(output)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("trained on 8 articles (")
    assert {f.name for f in output.iterdir()} == {"model.json", "weights.npz"}
    model = RelationModel.load(output)
    assert model.info["articles"] == 8
    report = api.ingest([CORPUS / "a05.txt"], store=tmp_path / "store", jobs=1, model=output)
    assert (report.articles, report.failed) == (1, 0)


def test_train_without_rows_says_so(tmp_path: Path):
    gold = tmp_path / "empty"
    shutil.copytree(DATA, gold, ignore=shutil.ignore_patterns("corpus"))
    (gold / "relations.tsv").write_text(
        "article\tsubject\trelation\tobject\tstatus\tevidence\n", encoding="utf-8"
    )
    run = subprocess.run(
        [SCRIPT, "train", "--gold", str(gold), "--corpus", str(CORPUS), "-o", str(tmp_path / "m")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert (
        run.stderr.strip()
        == "error: no annotated relation falls on a candidate pair: nothing to learn"
    )
    assert not (tmp_path / "m").exists()


def test_evaluate_folds_retrains_per_fold_and_reports(tmp_path: Path):
    run = subprocess.run(
        [SCRIPT, "evaluate", "--gold", str(DATA), "--corpus", str(CORPUS), "--folds", "2"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["relation", "pred", "gold", "match", "P", "R", "F1"]
    assert any(line.startswith("overall") for line in lines)
    assert "rumours/denials asserted as fact: " in run.stdout
    assert lines[-1].startswith("thresholds of the 2 folds: ")


def test_cross_validation_predicts_each_article_once_by_a_model_that_never_saw_it(samples):
    gold, found = samples
    result = train.cross_validate(found, gold, folds=4)
    assert sorted(e.article.id for e in result.extractions) == sorted(s.article.id for s in found)
    assert len(result.thresholds) == 4


def test_rules_layer_needs_no_model():
    from celebgraph.extraction import Extractor

    extractor = Extractor(relations="/nonexistent", layer="rules")
    claims = extractor.extract(Article("t", "", "Mira Okafor married Daniel Reyes.")).claims
    assert [(c.relation, c.rule) for c in claims] == [("spouseOf", "verb.marry.v1")]
