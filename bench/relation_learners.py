"""Which learner for the relation model: scikit-learn or spaCy's own trainable component.

On the same five folds of the annotated articles (by article), at the level of candidate
pairs (each pair and label scored, labels stated elsewhere in the article left out):

- scikit-learn: one logistic regression per label over the pair's features (what
  ``celebgraph train`` ships);
- spaCy: ``textcat_multilabel`` (its default ensemble, a bag of words and a CNN tok2vec)
  over the pair's sentence with the two people replaced by PERSON_A and PERSON_B, trained
  for eight epochs from a blank English pipeline.

Reported: average precision and ROC AUC over all pairs and labels, and the training time.

    python bench/relation_learners.py [CORPUS]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import spacy
from _common import DEFAULT_CORPUS, record
from sklearn.metrics import average_precision_score, roc_auc_score
from spacy.training import Example

import celebgraph.extraction.candidates as candidates
from celebgraph import train
from celebgraph.annotations import load_gold
from celebgraph.extraction.relations import RelationModel

ANNOTATIONS = Path(__file__).resolve().parents[1] / "data" / "annotations"
TEXT = "#text="
_features = candidates.pair_features


def _with_text(a, b, joint, ctx, rules, in_headline):
    """The pair's features, and its sentence with the two people marked (for spaCy)."""
    words = []
    for token in a.sent:
        if a.start <= token.i < a.end or b.start <= token.i < b.end:
            if token.i in (a.start, b.start):
                words.append("PERSON_A" if token.i == a.start else "PERSON_B")
        else:
            words.append(token.text)
    return [*_features(a, b, joint, ctx, rules, in_headline), TEXT + " ".join(words)]


def _samples(corpus: Path):
    candidates.pair_features = _with_text  # this benchmark only: keep the marked sentence
    gold = load_gold(ANNOTATIONS, corpus=corpus)
    samples = train.collect(gold, corpus)
    for sample in samples:
        for pair in sample.pairs:
            pair.text = next((f[len(TEXT) :] for f in pair.features if f.startswith(TEXT)), "")
            pair.features = [f for f in pair.features if not f.startswith(TEXT)]
    return samples


def sklearn_scores(train_set, test_set):
    fitted = train._fit_linear(train_set, train.Settings(), None)
    model = RelationModel(train.LABELS, *fitted, train._identity())
    return [model.predict([p.features for p in s.pairs]) for s in test_set]


def spacy_scores(train_set, test_set, epochs: int = 8):
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel")
    for label in train.LABELS:
        textcat.add_label(label)
    examples = [
        Example.from_dict(
            nlp.make_doc(pair.text),
            {"cats": {label: float(label in yes) for label in train.LABELS}},
        )
        for sample in train_set
        for pair, yes in zip(sample.pairs, sample.positive, strict=True)
        if pair.text
    ]
    optimizer = nlp.initialize(lambda: examples)
    for epoch in range(epochs):
        random.Random(epoch).shuffle(examples)
        for start in range(0, len(examples), 32):
            nlp.update(examples[start : start + 32], sgd=optimizer, drop=0.2)
    scores = []
    for sample in test_set:
        docs = nlp.pipe([pair.text or "-" for pair in sample.pairs])
        rows = [[doc.cats[label] for label in train.LABELS] for doc in docs]
        scores.append(np.array(rows).reshape(len(sample.pairs), len(train.LABELS)))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    samples = _samples(args.corpus)
    folds = train._folds(samples, 5, 1)
    lines = [
        "| learner | average precision | ROC AUC | training, 5 folds (s) |",
        "|---|---|---|---|",
    ]
    for name, learner in (
        ("scikit-learn logistic regression", sklearn_scores),
        ("spaCy textcat_multilabel (ensemble)", spacy_scores),
    ):
        truth, predicted = [], []
        start = time.perf_counter()
        for fold in folds:
            inside = set(fold)
            test_set = [samples[i] for i in fold]
            train_set = [s for i, s in enumerate(samples) if i not in inside]
            for sample, scores in zip(test_set, learner(train_set, test_set), strict=True):
                for n, (yes, unknown) in enumerate(
                    zip(sample.positive, sample.unknown, strict=True)
                ):
                    for j, label in enumerate(train.LABELS):
                        if label not in unknown:
                            truth.append(label in yes)
                            predicted.append(scores[n, j])
        seconds = time.perf_counter() - start
        lines.append(
            f"| {name} | {average_precision_score(truth, predicted):.3f} | "
            f"{roc_auc_score(truth, predicted):.3f} | {seconds:.0f} |"
        )
    lines += [
        "",
        f"- {len(samples)} articles, {sum(len(s.pairs) for s in samples)} candidate pairs",
    ]
    record("Relation learners (bench/relation_learners.py)", lines)


if __name__ == "__main__":
    main()
