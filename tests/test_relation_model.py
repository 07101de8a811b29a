"""The relation model: its files, its arithmetic, and that extraction uses the one asked for."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from celebgraph.errors import ModelError
from celebgraph.extraction.decide import pair_readings
from celebgraph.extraction.relations import RelationModel, bundled_model_path, label_of, parse_label
from celebgraph.ontology import RELATIONS
from celebgraph.train import LABELS
from conftest import SCRIPT


def _model(bias: dict[str, float], threshold: float = 0.5) -> RelationModel:
    """A model by hand: one feature, ``headline``, worth +2 for every label."""
    return RelationModel(
        LABELS,
        {"headline": 0},
        np.full((1, len(LABELS)), 2.0),
        np.array([bias.get(label, -20.0) for label in LABELS]),
        np.tile([1.0, 0.0], (len(LABELS), 1)),
        threshold,
        {"name": "handmade.v1"},
    )


def test_bundled_model_is_small_and_speaks_the_ontology():
    model = RelationModel.load(bundled_model_path())
    assert set(model.labels) == set(LABELS)
    assert {parse_label(label)[0] for label in model.labels} == set(RELATIONS)
    assert 0.0 < model.threshold <= 1.0
    size = sum(f.stat().st_size for f in bundled_model_path().iterdir())
    assert size < 5_000_000
    assert model.info["articles"] >= 200  # trained on the project's annotations


def test_labels_carry_direction_only_for_asymmetric_relations():
    assert label_of("parentOf", True) == "parentOf>"
    assert label_of("parentOf", False) == "parentOf<"
    assert label_of("spouseOf", False) == "spouseOf="
    assert parse_label("parentOf<") == ("parentOf", False)


def test_save_load_round_trip_keeps_predictions(tmp_path: Path):
    model = _model({"friendOf=": -1.0})
    model.save(tmp_path / "m")
    again = RelationModel.load(tmp_path / "m")
    features = [["headline", "unknown"], ["nothing"], []]
    assert np.allclose(again.predict(features), model.predict(features))
    j = LABELS.index("friendOf=")
    assert again.predict(features)[0, j] == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert again.predict(features)[1, j] == pytest.approx(1 / (1 + np.exp(1.0)))


def test_model_files_hold_no_pickle(tmp_path: Path):
    _model({}).save(tmp_path / "m")
    with np.load(tmp_path / "m" / "weights.npz", allow_pickle=False) as arrays:
        assert set(arrays.files) == {"weights", "bias"}
    json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("damage", ["missing", "format", "labels", "shape"])
def test_a_broken_model_folder_is_a_model_error(tmp_path: Path, damage: str):
    folder = tmp_path / "m"
    _model({}).save(folder)
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    if damage == "missing":
        (folder / "weights.npz").unlink()
    elif damage == "format":
        meta["format"] = "something-else/9"
    elif damage == "labels":
        meta["labels"][0] = "likes="
    elif damage == "shape":
        meta["features"].append("extra")
    (folder / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match=str(folder)):
        RelationModel.load(folder)


def test_layers_decide_who_proposes_a_claim():
    from celebgraph.extraction.candidates import Pair, RuleReading
    from celebgraph.ontology import Status

    rule = RuleReading("spouseOf", True, "verb.marry.v1", 0.8, Status.ASSERTED)
    pair = Pair("ann", "bo", 0, (0, 9), "Ann married Bo.", [], Status.REPORTED, [rule])
    probabilities = np.zeros((1, len(LABELS)))
    probabilities[0, LABELS.index("friendOf=")] = 0.9
    probabilities[0, LABELS.index("spouseOf=")] = 0.3

    def found(layer: str) -> set[tuple[str, str, str]]:
        readings = pair_readings([pair], probabilities, LABELS, 0.5, layer, "m")
        return {(c.relation, c.status.value, c.rule) for c, _ in readings}

    assert found("model") == {("friendOf", "reported", "m")}
    assert found("rules") == {("spouseOf", "asserted", "verb.marry.v1")}
    assert found("union") == {
        ("friendOf", "reported", "m"),
        ("spouseOf", "asserted", "m+verb.marry.v1"),
    }
    with pytest.raises(ValueError, match="unknown layer"):
        pair_readings([pair], probabilities, LABELS, 0.5, "everything")


def test_ingest_uses_the_model_it_is_given(tmp_path: Path, write_article):
    """A model that calls every pair of the headline friends, through `ingest --model`."""
    folder = tmp_path / "friends-model"
    _model({"friendOf=": 0.0}, threshold=0.5).save(folder)
    article = write_article(tmp_path / "in" / "a.txt", "Kanye West And Taylor Swift\n\nNo news.")
    store = tmp_path / "store"
    run = subprocess.run(
        [SCRIPT, "ingest", str(article), "--store", str(store), "--model", str(folder), "-q"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    query = "SELECT ?r WHERE { ?c cg:rule ?r ; rdf:predicate cg:friendOf }"
    rows = subprocess.run(
        [SCRIPT, "query", query, "--store", str(store), "--format", "csv"],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert rows == ["r", "handmade.v1"]
    # The bundled model sees no friendship in that headline.
    plain = tmp_path / "plain"
    subprocess.run([SCRIPT, "ingest", str(article), "--store", str(plain), "-q"], check=True)
    rows = subprocess.run(
        [SCRIPT, "query", query, "--store", str(plain), "--format", "csv"],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert rows == ["r"]


def test_ingest_with_a_missing_model_says_so(tmp_path: Path, write_article):
    article = write_article(tmp_path / "a.txt", "Headline\n\nMira Okafor married Daniel Reyes.")
    run = subprocess.run(
        [
            SCRIPT,
            "ingest",
            str(article),
            "--store",
            str(tmp_path / "s"),
            "--model",
            str(tmp_path / "none"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert run.stderr.startswith("error: ") and "not a celebgraph relation model" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
