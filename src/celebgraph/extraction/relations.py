"""The relation model: which relation (if any) joins a pair of people, in which direction,
and how likely that is.

A linear model over the pair's features (:mod:`celebgraph.extraction.features`), one
logistic scorer per label, trained by ``celebgraph train`` (:mod:`celebgraph.train`, with
scikit-learn). A label is a relation and a direction: ``parentOf>`` (the pair's first
person is the parent), ``parentOf<``, ``spouseOf=`` (symmetric). The model is stored as
plain files, read with numpy alone, so running it needs neither scikit-learn nor pickle:

* ``model.json``: labels, feature vocabulary, decision threshold, how it was trained;
* ``weights.npz``: the weight matrix (features × labels) and the biases.

Scores are calibrated on held-out folds (Platt scaling per label), so a claim's
``cg:confidence`` is the probability that it is right.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from celebgraph.errors import ModelError
from celebgraph.ontology import RELATIONS
from celebgraph.resources import package_path

FORMAT = "celebgraph-relations/1"
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"


def label_of(relation: str, forward: bool) -> str:
    """``parentOf`` read forward (first person the subject) → ``parentOf>``."""
    if RELATIONS[relation].symmetric:
        return f"{relation}="
    return f"{relation}{'>' if forward else '<'}"


def parse_label(label: str) -> tuple[str, bool]:
    """``parentOf<`` → (``parentOf``, False): the pair's second person is the subject."""
    return label[:-1], label[-1] != "<"


@dataclass
class RelationModel:
    labels: list[str]
    vocabulary: dict[str, int]
    weights: np.ndarray  # features × labels
    bias: np.ndarray  # labels
    calibration: np.ndarray  # labels × 2: probability = sigmoid(a * score + b)
    threshold: float = 0.5
    info: dict = field(default_factory=dict)
    support: list[int] | None = None  # positive training pairs per label

    #: A label learnt from fewer positive pairs than this is not one the model speaks for:
    #: it adds no claims of it, and the rules' own confidence stands.
    MIN_SUPPORT = 10

    def trusted(self) -> frozenset[str]:
        """The labels the model learnt from enough examples to give them a probability."""
        if self.support is None:
            return frozenset(self.labels)
        return frozenset(
            label
            for label, n in zip(self.labels, self.support, strict=True)
            if n >= self.MIN_SUPPORT
        )

    @property
    def name(self) -> str:
        return self.info.get("name", "relations")

    def scores(self, features: list[list[str]]) -> np.ndarray:
        """Raw linear scores, pairs × labels."""
        out = np.tile(self.bias, (len(features), 1))
        for row, names in enumerate(features):
            index = [i for f in names if (i := self.vocabulary.get(f)) is not None]
            if index:
                out[row] += self.weights[index].sum(axis=0)
        return out

    def predict(self, features: list[list[str]]) -> np.ndarray:
        """Calibrated probabilities, pairs × labels."""
        if not features:
            return np.zeros((0, len(self.labels)))
        z = self.scores(features) * self.calibration[:, 0] + self.calibration[:, 1]
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        vocabulary = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        meta = {
            "format": FORMAT,
            "labels": self.labels,
            "threshold": self.threshold,
            "calibration": self.calibration.tolist(),
            "info": self.info,
            "support": self.support,
            "features": vocabulary,
        }
        (folder / MODEL_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        np.savez_compressed(
            folder / WEIGHTS_FILE, weights=self.weights.astype(np.float32), bias=self.bias
        )

    @classmethod
    def load(cls, folder: str | Path) -> RelationModel:
        """Read a model folder; a missing or foreign one is a :class:`ModelError`."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
            with np.load(folder / WEIGHTS_FILE, allow_pickle=False) as arrays:
                weights, bias = arrays["weights"], arrays["bias"]
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{folder}: not a celebgraph relation model ({exc})") from None
        if meta.get("format") != FORMAT:
            raise ModelError(f"{folder}: unknown model format {meta.get('format')!r}")
        unknown = [label for label in meta["labels"] if parse_label(label)[0] not in RELATIONS]
        if unknown:
            raise ModelError(f"{folder}: labels the ontology does not define: {unknown}")
        vocabulary = {f: i for i, f in enumerate(meta["features"])}
        if weights.shape != (len(vocabulary), len(meta["labels"])):
            raise ModelError(f"{folder}: weights do not fit the vocabulary and labels")
        return cls(
            meta["labels"],
            vocabulary,
            weights,
            bias,
            np.asarray(meta["calibration"], dtype=float),
            float(meta["threshold"]),
            meta.get("info", {}),
            meta.get("support"),
        )


def bundled_model_path() -> Path:
    """The model that ships with celebgraph (trained on ``data/annotations``)."""
    return package_path("relation_model")
