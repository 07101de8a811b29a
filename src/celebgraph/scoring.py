"""Score extraction against a gold set (the scoring rule of the annotation guidelines).

A predicted relation matches a gold row when article, relation and both names match
(names normalised; any alias of a gold entity stands for it; symmetric relations in
either order). Predictions are read back from RDF through the data model, exactly as a
researcher's SPARQL would see them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from celebgraph.annotations import Gold, GoldRow, Key, relation_key
from celebgraph.extraction.names import normalize
from celebgraph.models import Extraction
from celebgraph.ontology import CG, PEOPLE_GRAPH, RELATIONS, Status, article_iri
from celebgraph.rdf import article_triples, people_labels, people_triples
from celebgraph.store import MemoryStore, TripleStore, to_oxigraph

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
    misses: list[tuple[Key, GoldRow]] = field(default_factory=list)
    wrong_status: list[tuple[Key, Prediction, str]] = field(default_factory=list)
    thresholds: list[float] = field(default_factory=list)  # cross-validation: one per fold

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


def read_predictions(store: TripleStore, gold: Gold) -> dict[Key, Prediction]:
    """Claims of the gold articles, with names resolved to the gold's canonical names."""
    labels: dict[object, dict[str, list[str]]] = defaultdict(lambda: {"pref": [], "alt": []})
    for row in store.query(LABELS_QUERY).raw:
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
    scored = set(gold.article_ids())
    rank = {"denied": 2, "asserted": 1, "reported": 0}
    for row in store.query(CLAIMS_QUERY).raw:
        article = row["id"].value
        if article not in scored:
            continue
        relation = row["p"].value.removeprefix(str(CG))
        if relation not in RELATIONS:
            continue
        key = relation_key(
            article, resolve(article, row["s"]), relation, resolve(article, row["o"])
        )
        status = Status.from_iri(row["status"].value).value
        conf = float(row["confidence"].value) if row["confidence"] is not None else 0.0
        evidence = row["evidence"].value if row["evidence"] is not None else ""
        current = predictions.get(key)
        if current is None or (rank[status], conf) > (rank[current.status], current.confidence):
            predictions[key] = Prediction(status, conf, evidence)
    return predictions


def score_extractions(extractions: Iterable[Extraction], gold: Gold) -> Score:
    """Write extractions as RDF into an in-memory store, read the claims back through the
    data model and score them against ``gold``."""
    with MemoryStore() as memory:
        for extraction in extractions:
            graph = to_oxigraph(article_iri(extraction.article.id))
            people = to_oxigraph(PEOPLE_GRAPH)
            memory.extend(
                ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), g)
                for g, triples in (
                    (graph, article_triples(extraction)),
                    (people, people_triples(extraction)),
                    (people, people_labels(extraction)),
                )
                for s, p, o in triples
            )
        return score(read_predictions(memory, gold), gold)


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
        status_correct=sum(1 for k in matched if predictions[k].status == gold.rows[k].status),
        leaks=sum(
            1
            for k in matched
            if gold.rows[k].status in ("denied", "reported") and predictions[k].status == "asserted"
        ),
        per_relation={r: tuple(v) for r, v in sorted(per_relation.items())},
        top_half_precision=top_precision,
        false_positives=sorted((k, p) for k, p in predictions.items() if k not in gold.rows),
        misses=sorted((k, g) for k, g in gold.rows.items() if k not in predictions),
        wrong_status=sorted(
            (k, predictions[k], gold.rows[k].status)
            for k in matched
            if predictions[k].status != gold.rows[k].status
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
        lines += [
            f"  {a}  {s} {r} {o}  [{row.status}]  {row.evidence}"
            for (a, s, r, o), row in result.misses
        ]
        lines.append("\nwrong status:")
        lines += [
            f"  {a}  {s} {r} {o}  predicted {p.status}, gold {g}  {p.evidence}"
            for (a, s, r, o), p, g in result.wrong_status
        ]
    return "\n".join(lines)
