"""Score extraction against a gold set (the scoring rule of the annotation guidelines).

A predicted relation matches a gold row when article, relation and both names match
(names normalised; any alias of a gold entity stands for it; symmetric relations in
either order). Predictions are read back from RDF through the data model, exactly as a
researcher's SPARQL would see them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from celebgraph.errors import GoldError
from celebgraph.extract.names import normalize
from celebgraph.ontology import CG, RELATIONS, Status

CLAIMS_QUERY = """
SELECT DISTINCT ?id ?s ?p ?o ?status ?confidence ?evidence WHERE {
  ?c a cg:Claim ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
     cg:status ?status ; prov:wasDerivedFrom ?a .
  OPTIONAL { ?c cg:confidence ?confidence }
  OPTIONAL { ?c cg:evidence ?evidence }
  ?a dcterms:identifier ?id .
}"""

LABELS_QUERY = """
SELECT ?e ?l ?kind WHERE {
  { ?e rdfs:label ?l BIND("pref" AS ?kind) } UNION { ?e skos:altLabel ?l BIND("alt" AS ?kind) }
}"""

Key = tuple[str, str, str, str]  # article, subject, relation, object


def _key(article: str, subject: str, relation: str, obj: str) -> Key:
    if RELATIONS[relation].symmetric and obj < subject:
        subject, obj = obj, subject
    return article, subject, relation, obj


@dataclass
class Gold:
    names: dict[str, dict[str, str]]  # article → normalised name → canonical
    rows: dict[Key, tuple[str, str]]  # → (status, evidence)


def _read_tsv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise GoldError(f"{path}: missing (a gold folder has entities.tsv and relations.tsv)")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_gold(folder: str | Path, articles: set[str] | None = None) -> Gold:
    folder = Path(folder)
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _read_tsv(folder / "entities.tsv"):
        if articles and row["article"] not in articles:
            continue
        for name in [row["canonical"], *(row.get("aliases") or "").split("|")]:
            if name:
                names[row["article"]][normalize(name)] = row["canonical"]
    rows: dict[Key, tuple[str, str]] = {}
    for lineno, row in enumerate(_read_tsv(folder / "relations.tsv"), start=2):
        if articles and row["article"] not in articles:
            continue
        if row.get("relation") not in RELATIONS:
            raise GoldError(
                f"{folder / 'relations.tsv'}:{lineno}: unknown relation {row.get('relation')!r}"
            )
        key = _key(row["article"], row["subject"], row["relation"], row["object"])
        rows[key] = (row["status"], row.get("evidence") or "")
    return Gold(dict(names), rows)


def gold_articles(folder: str | Path) -> list[str]:
    """Article paths of a gold set (``articles.txt``), relative to the corpus folder."""
    path = Path(folder) / "articles.txt"
    if not path.exists():
        raise GoldError(f"{path}: missing")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Prediction:
    status: str
    confidence: float
    evidence: str


@dataclass
class Score:
    gold: int
    predicted: int
    matched: int
    status_correct: int
    leaks: int  # gold reported/denied predicted as asserted
    per_relation: dict[str, tuple[int, int, int]]  # relation → (pred, gold, matched)
    top_half_precision: float
    false_positives: list[tuple[Key, Prediction]] = field(default_factory=list)
    misses: list[tuple[Key, tuple[str, str]]] = field(default_factory=list)
    wrong_status: list[tuple[Key, Prediction, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def status_accuracy(self) -> float:
        return self.status_correct / self.matched if self.matched else 0.0


def read_predictions(store: ox.Store, gold: Gold) -> dict[Key, Prediction]:
    """Claims of the gold articles, with names resolved to the gold's canonical names."""
    labels: dict[object, dict[str, list[str]]] = defaultdict(lambda: {"pref": [], "alt": []})
    for row in store.query(LABELS_QUERY, prefixes=_prefixes(), use_default_graph_as_union=True):
        labels[row["e"]][row["kind"].value].append(row["l"].value)

    def resolve(article: str, entity: object) -> str:
        table = gold.names.get(article, {})
        for kind in ("pref", "alt"):
            for label in labels[entity][kind]:
                if normalize(label) in table:
                    return table[normalize(label)]
        pref = labels[entity]["pref"]
        return pref[0] if pref else str(entity)

    predictions: dict[Key, Prediction] = {}
    rank = {"denied": 2, "asserted": 1, "reported": 0}
    for row in store.query(CLAIMS_QUERY, prefixes=_prefixes(), use_default_graph_as_union=True):
        article = row["id"].value
        if article not in gold.names and article not in {k[0] for k in gold.rows}:
            continue
        relation = row["p"].value.removeprefix(str(CG))
        if relation not in RELATIONS:
            continue
        key = _key(article, resolve(article, row["s"]), relation, resolve(article, row["o"]))
        status = Status.from_iri(row["status"].value).value
        conf = float(row["confidence"].value) if row["confidence"] is not None else 0.0
        evidence = row["evidence"].value if row["evidence"] is not None else ""
        current = predictions.get(key)
        if current is None or (rank[status], conf) > (rank[current.status], current.confidence):
            predictions[key] = Prediction(status, conf, evidence)
    return predictions


def _prefixes() -> dict[str, str]:
    from celebgraph.ontology import PREFIXES

    return PREFIXES


def score(predictions: dict[Key, Prediction], gold: Gold) -> Score:
    matched = [k for k in predictions if k in gold.rows]
    per_relation: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for k in predictions:
        per_relation[k[2]][0] += 1
    for k in gold.rows:
        per_relation[k[2]][1] += 1
    for k in matched:
        per_relation[k[2]][2] += 1
    ranked = sorted(predictions, key=lambda k: -predictions[k].confidence)
    top = ranked[: (len(ranked) + 1) // 2]
    top_precision = sum(1 for k in top if k in gold.rows) / len(top) if top else 0.0
    return Score(
        gold=len(gold.rows),
        predicted=len(predictions),
        matched=len(matched),
        status_correct=sum(1 for k in matched if predictions[k].status == gold.rows[k][0]),
        leaks=sum(
            1
            for k in matched
            if gold.rows[k][0] in ("denied", "reported") and predictions[k].status == "asserted"
        ),
        per_relation={r: tuple(v) for r, v in sorted(per_relation.items())},
        top_half_precision=top_precision,
        false_positives=sorted((k, p) for k, p in predictions.items() if k not in gold.rows),
        misses=sorted((k, g) for k, g in gold.rows.items() if k not in predictions),
        wrong_status=sorted(
            (k, predictions[k], gold.rows[k][0])
            for k in matched
            if predictions[k].status != gold.rows[k][0]
        ),
    )


def format_score(result: Score, errors: bool = False) -> str:
    """The report ``celebgraph evaluate`` prints."""
    lines = [f"{'relation':<18} {'pred':>5} {'gold':>5} {'match':>5} {'P':>6} {'R':>6} {'F1':>6}"]
    for relation, (npred, ngold, nmatch) in result.per_relation.items():
        p = nmatch / npred if npred else 0.0
        r = nmatch / ngold if ngold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        lines.append(
            f"{relation:<18} {npred:>5} {ngold:>5} {nmatch:>5} {p:>6.3f} {r:>6.3f} {f:>6.3f}"
        )
    lines.append(
        f"{'overall':<18} {result.predicted:>5} {result.gold:>5} {result.matched:>5} "
        f"{result.precision:>6.3f} {result.recall:>6.3f} {result.f1:>6.3f}"
    )
    lines.append(
        f"status accuracy {result.status_accuracy:.3f} on {result.matched} matched; "
        f"rumours/denials asserted as fact: {result.leaks}; "
        f"precision of the most confident half: {result.top_half_precision:.3f}"
    )
    if errors:
        lines.append("\nfalse positives:")
        lines += [
            f"  {a}  {s} {r} {o}  [{p.status} {p.confidence:.2f}]  {p.evidence}"
            for (a, s, r, o), p in result.false_positives
        ]
        lines.append("\nmisses:")
        lines += [f"  {a}  {s} {r} {o}  [{st}]  {ev}" for (a, s, r, o), (st, ev) in result.misses]
        lines.append("\nwrong status:")
        lines += [
            f"  {a}  {s} {r} {o}  predicted {p.status}, gold {g}  {p.evidence}"
            for (a, s, r, o), p, g in result.wrong_status
        ]
    return "\n".join(lines)
