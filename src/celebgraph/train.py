"""Train the relation model on annotated articles, and cross-validate it.

The annotated articles are read once: each is run through the extraction pipeline up to
the candidate pairs (``cg_pairs``), and each pair gets the gold labels of the rows whose
evidence lies in its sentence. A gold row of the same two people whose evidence is in
another sentence says nothing about this one, so that label is left out for the pair
(neither positive nor negative). Then one logistic regression per label (scikit-learn,
liblinear) on the binary features; Platt scaling per label on held-out folds; and the
decision threshold, also from held-out folds, as the lowest that keeps precision at or
above :data:`TARGET_PRECISION`.

Training needs scikit-learn (``pip install 'celebgraph[train]'``); running a model does not.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from celebgraph.annotations import Gold, GoldRow, Key, locate, relation_key
from celebgraph.articles import load_articles
from celebgraph.errors import CelebgraphError
from celebgraph.extraction.candidates import Pair
from celebgraph.extraction.decide import DEFAULT_LAYER, article_claims, pair_readings
from celebgraph.extraction.names import normalize
from celebgraph.extraction.pipeline import Extractor, release
from celebgraph.extraction.relations import RelationModel, label_of
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import RELATIONS

TARGET_PRECISION = 0.80
#: Every label the model can give: each relation, asymmetric ones in both directions.
LABELS = [
    label
    for name, relation in RELATIONS.items()
    for label in ([f"{name}="] if relation.symmetric else [f"{name}>", f"{name}<"])
]

Progress = Callable[[int], None]


class TrainingError(CelebgraphError):
    """Training cannot run: scikit-learn missing, or no usable annotations."""


@dataclass
class Sample:
    """One annotated article, read up to its candidate pairs."""

    article: Article
    entities: dict[str, Entity]
    pairs: list[Pair]
    positive: list[set[str]]  # per pair: its gold labels
    unknown: list[set[str]]  # per pair: labels stated elsewhere in the article
    gold_names: dict[str, str]  # entity key → the gold's canonical name
    unread: list[GoldRow] = field(default_factory=list)  # gold rows no pair carries


def _canonical(entity: Entity, names: dict[str, str]) -> str | None:
    for form in (entity.name, *entity.aliases):
        found = names.get(normalize(form))
        if found is not None:
            return found
    return None


def label_pairs(
    article: Article, entities: dict[str, Entity], pairs: list[Pair], gold: Gold, text: str
) -> Sample:
    """Give each pair its gold labels (see the module docstring)."""
    names = gold.names.get(article.id, {})
    canonical = {
        key: found for key, e in entities.items() if (found := _canonical(e, names)) is not None
    }
    rows_by_pair: dict[frozenset[str], list[tuple[GoldRow, tuple[int, int] | None]]] = defaultdict(
        list
    )
    for row in gold.rows.values():
        if row.article == article.id:
            where = locate(row.evidence, text) if row.evidence else None
            rows_by_pair[frozenset((row.subject, row.object))].append((row, where))
    positive, unknown = [], []
    carried: set[Key] = set()
    for pair in pairs:
        one, two = canonical.get(pair.first), canonical.get(pair.second)
        yes, maybe = set(), set()
        for row, where in rows_by_pair.get(frozenset((one, two)), []) if one and two else []:
            label = label_of(row.relation, row.subject == one)
            if where is not None and where[0] < pair.span[1] and pair.span[0] < where[1]:
                yes.add(label)
                carried.add(relation_key(row.article, row.subject, row.relation, row.object))
            else:
                maybe.add(label)
        positive.append(yes)
        unknown.append(maybe - yes)
    unread = [
        row for key, row in gold.rows.items() if row.article == article.id and key not in carried
    ]
    return Sample(article, entities, pairs, positive, unknown, canonical, unread)


def collect(
    gold: Gold,
    corpus: str | Path,
    extractor: Extractor | None = None,
    progress: Progress | None = None,
) -> list[Sample]:
    """Read every gold article up to its candidate pairs, with gold labels."""
    extractor = extractor or Extractor(layer="rules")
    paths = [Path(corpus) / f"{p}.txt" for p in gold.articles]
    articles = list(load_articles(paths))
    samples = []
    for article, doc in extractor.docs(articles, until="cg_pairs"):
        samples.append(
            label_pairs(article, dict(doc._.cg_entities), list(doc._.cg_pairs), gold, doc.text)
        )
        release(doc)
        if progress:
            progress(1)
    return samples


def _sklearn():
    try:
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression
    except ImportError:  # pragma: no cover - depends on the installation
        raise TrainingError(
            "training needs scikit-learn: pip install 'celebgraph[train]'"
        ) from None
    return csr_matrix, LogisticRegression


@dataclass
class Settings:
    """How a model is trained."""

    c: float = 0.5  # inverse regularisation strength
    min_count: int = 2  # features seen fewer times are dropped
    article_pairs: float = 30.0  # an article's pairs weigh at most this many pairs
    calibration_folds: int = 3
    target_precision: float = TARGET_PRECISION
    layer: str = DEFAULT_LAYER
    seed: int = 0


def _matrix(samples: Sequence[Sample], vocabulary: dict[str, int]):
    csr_matrix, _ = _sklearn()
    rows, cols = [], []
    n = 0
    for sample in samples:
        for pair in sample.pairs:
            index = sorted({vocabulary[f] for f in pair.features if f in vocabulary})
            rows += [n] * len(index)
            cols += index
            n += 1
    data = np.ones(len(rows), dtype=np.float64)
    return csr_matrix((data, (rows, cols)), shape=(n, len(vocabulary)))


def _targets(samples: Sequence[Sample], label: str) -> tuple[np.ndarray, np.ndarray]:
    y, keep = [], []
    for sample in samples:
        for yes, maybe in zip(sample.positive, sample.unknown, strict=True):
            y.append(label in yes)
            keep.append(label not in maybe)
    return np.array(y, dtype=bool), np.array(keep, dtype=bool)


def _fit_linear(samples: Sequence[Sample], settings: Settings, progress: Progress | None):
    """Vocabulary, weights (features × labels) and biases of one logistic model per label."""
    _, logistic = _sklearn()
    counts = Counter(f for s in samples for p in s.pairs for f in p.features)
    vocabulary = {
        f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= settings.min_count))
    }
    x = _matrix(samples, vocabulary)
    # An article with a long cast list gives hundreds of like pairs: cap what one article
    # weighs, so that the model learns from many articles rather than from a few.
    per_pair = (
        np.concatenate(
            [
                np.full(len(s.pairs), min(1.0, settings.article_pairs / max(len(s.pairs), 1)))
                for s in samples
            ]
        )
        if samples
        else np.zeros(0)
    )
    weights = np.zeros((len(vocabulary), len(LABELS)))
    bias = np.full(len(LABELS), -12.0)  # a label never seen is never given
    for j, label in enumerate(LABELS):
        y, keep = _targets(samples, label)
        if y[keep].sum() >= 1 and (~y[keep]).sum() >= 1:
            model = logistic(C=settings.c, solver="liblinear", max_iter=200)
            model.fit(x[keep], y[keep], sample_weight=per_pair[keep])
            weights[:, j] = model.coef_[0]
            bias[j] = model.intercept_[0]
        if progress:
            progress(1)
    return vocabulary, weights, bias


def _folds(samples: Sequence[Sample], k: int, seed: int) -> list[list[int]]:
    """Article indices of k folds, articles shuffled with a fixed seed."""
    order = list(range(len(samples)))
    random.Random(seed).shuffle(order)
    return [sorted(order[i::k]) for i in range(k)]


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """sigmoid(a * score + b) fitted to held-out outcomes; identity when too few."""
    _, logistic = _sklearn()
    if y.sum() < 5 or (~y).sum() < 5:
        return 1.0, 0.0
    model = logistic(C=100.0, solver="lbfgs")
    model.fit(scores.reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def fit(
    samples: Sequence[Sample],
    gold: Gold,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> RelationModel:
    """Train a relation model: calibration and threshold from held-out folds of ``samples``."""
    settings = settings or Settings()
    if not any(any(p) for s in samples for p in s.positive):
        raise TrainingError("no annotated relation falls on a candidate pair: nothing to learn")
    held_out: list[tuple[Sample, np.ndarray]] = []
    for fold in _folds(samples, settings.calibration_folds, settings.seed):
        inside = set(fold)
        train = [s for i, s in enumerate(samples) if i not in inside]
        model = RelationModel(LABELS, *_fit_linear(train, settings, progress), _identity())
        for i in fold:
            held_out.append((samples[i], model.scores([p.features for p in samples[i].pairs])))
    scores = np.concatenate([s for _, s in held_out])
    calibration = []
    for j, label in enumerate(LABELS):
        y, keep = _targets([sample for sample, _ in held_out], label)
        calibration.append(_platt(scores[keep, j], y[keep]))
    calibration = np.array(calibration)
    model = RelationModel(LABELS, *_fit_linear(samples, settings, progress), calibration)
    model.support = [int(_targets(samples, label)[0].sum()) for label in LABELS]
    probabilities = [(sample, _calibrated(scores, calibration)) for sample, scores in held_out]
    model.threshold = choose_threshold(probabilities, gold, settings, model.trusted())
    model.info = {
        "name": "relations.v1",
        "trained": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "articles": len(samples),
        "pairs": sum(len(s.pairs) for s in samples),
        "settings": {
            "c": settings.c,
            "min_count": settings.min_count,
            "calibration_folds": settings.calibration_folds,
            "target_precision": settings.target_precision,
        },
    }
    return model


def _identity() -> np.ndarray:
    return np.tile([1.0, 0.0], (len(LABELS), 1))


def _calibrated(scores: np.ndarray, calibration: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(scores * calibration[:, 0] + calibration[:, 1])))


def sample_claims(
    sample: Sample,
    probabilities: np.ndarray | None,
    threshold: float,
    layer: str = DEFAULT_LAYER,
    name: str = "relations.v1",
    trusted: frozenset[str] | None = None,
) -> list[Claim]:
    """The claims the decision rules give one sample at a threshold."""
    readings = pair_readings(sample.pairs, probabilities, LABELS, threshold, layer, name, trusted)
    return article_claims(readings)


def choose_threshold(
    scored: Sequence[tuple[Sample, np.ndarray]],
    gold: Gold,
    settings: Settings,
    trusted: frozenset[str] | None = None,
) -> float:
    """The model's decision threshold, from held-out articles.

    Layer ``union``: the rules' readings are kept as they are, and the threshold is the
    lowest at which what the model adds to them is right at least ``target_precision`` of
    the time (1.0, nothing added, if no threshold gets there). Layer ``model``: the
    threshold with the best F1 among those whose precision reaches the target, else the
    best F1 among those at least as precise as the rules alone.
    """
    articles = {s.article.id for s, _ in scored}
    total = sum(1 for k in gold.rows if k[0] in articles)
    base = [_gold_keys(s, sample_claims(s, None, 1.0, "rules")) for s, _ in scored]

    def measure(threshold: float) -> tuple[float, float, float]:
        matched = predicted = added = added_right = 0
        for (sample, probabilities), rules in zip(scored, base, strict=True):
            keys = _gold_keys(
                sample,
                sample_claims(sample, probabilities, threshold, settings.layer, trusted=trusted),
            )
            predicted += len(keys)
            matched += sum(1 for k in keys if k in gold.rows)
            added += len(keys - rules)
            added_right += sum(1 for k in keys - rules if k in gold.rows)
        precision = matched / predicted if predicted else 0.0
        recall = matched / total if total else 0.0
        return precision, recall, added_right / added if added else 1.0

    matched = sum(1 for keys in base for k in keys if k in gold.rows)
    rules_precision = matched / max(sum(len(keys) for keys in base), 1)
    best: dict[str, tuple[float, float]] = {}  # criterion → (f1, threshold)
    for threshold in np.round(np.arange(0.96, 0.04, -0.02), 2):
        precision, recall, added = measure(float(threshold))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if settings.layer == "union":
            ok = {"target": added >= settings.target_precision}
        else:
            ok = {
                "target": precision >= settings.target_precision,
                "floor": precision >= rules_precision,
            }
        for criterion, met in ok.items():
            if met and f1 >= best.get(criterion, (-1.0, 0.0))[0]:
                best[criterion] = (f1, float(threshold))
    chosen = best.get("target") or best.get("floor")
    return chosen[1] if chosen else 1.0


def _gold_keys(sample: Sample, claims: Iterable[Claim]) -> set[Key]:
    keys = set()
    for claim in claims:
        s = sample.gold_names.get(claim.subject, claim.subject)
        o = sample.gold_names.get(claim.object, claim.object)
        keys.add(relation_key(sample.article.id, s, claim.relation, o))
    return keys


@dataclass
class FoldResult:
    """Cross-validated extractions: every article predicted by a model that never saw it."""

    extractions: list[Extraction]
    thresholds: list[float]  # one per fold


def cross_validate(
    samples: Sequence[Sample],
    gold: Gold,
    folds: int = 5,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> FoldResult:
    """Train on k-1 folds of articles, predict the last; every article predicted once."""
    settings = settings or Settings()
    extractions: list[Extraction] = []
    thresholds = []
    for fold in _folds(samples, folds, settings.seed + 1):
        inside = set(fold)
        train = [s for i, s in enumerate(samples) if i not in inside]
        model = None if settings.layer == "rules" else fit(train, gold, settings, progress)
        if model is not None:
            thresholds.append(model.threshold)
        for i in fold:
            sample = samples[i]
            probabilities = (
                model.predict([p.features for p in sample.pairs]) if model is not None else None
            )
            threshold = model.threshold if model is not None else 1.0
            trusted = model.trusted() if model is not None else None
            claims = sample_claims(
                sample, probabilities, threshold, settings.layer, trusted=trusted
            )
            extractions.append(Extraction(sample.article, sample.entities, claims))
    return FoldResult(extractions, thresholds)


def steps(folds: int, settings: Settings) -> int:
    """How many progress steps ``fit`` (``folds`` 0) or ``cross_validate`` report."""
    if settings.layer == "rules":
        return 0
    per_fit = (settings.calibration_folds + 1) * len(LABELS)
    return per_fit * (folds if folds else 1)
