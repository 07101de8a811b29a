"""From scored pairs to an article's claims: which readings are kept, and one claim per
(subject, relation, object).

Three layers can propose a reading (:data:`LAYERS`): the relation model alone (the rules'
readings are among its features), the hand-written rules alone, or both (every rule
reading is kept, and the model adds its own above its threshold). Whoever proposes it, a
claim's status comes from the status rules (:mod:`celebgraph.extraction.status`) and its
confidence from the model when there is one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np

from celebgraph.extraction.candidates import Pair
from celebgraph.extraction.relations import label_of, parse_label
from celebgraph.models import Claim
from celebgraph.ontology import RELATIONS, Status

LAYERS = ("model", "rules", "union")
#: The layer extraction uses unless told otherwise: the one that cross-validates best
#: (see the README's Extraction section).
DEFAULT_LAYER = "union"
_STATUS_RANK = {Status.DENIED: 2, Status.ASSERTED: 1, Status.REPORTED: 0}

Reading = tuple[Claim, int]  # a claim and the number of its sentence


def pair_readings(
    pairs: Sequence[Pair],
    probabilities: np.ndarray | None,
    labels: Sequence[str],
    threshold: float,
    layer: str = DEFAULT_LAYER,
    model_name: str = "relations",
    trusted: frozenset[str] | None = None,
) -> list[Reading]:
    """The readings of each pair that the chosen layer keeps, with status and confidence.

    ``trusted`` are the labels the model speaks for (default: all): it proposes only
    those, and a rule reading of another label keeps the rule's confidence.

    >>> from celebgraph.extraction.candidates import Pair, RuleReading
    >>> pair = Pair("ann", "bo", 0, (0, 20), "Ann married Bo.", [], Status.ASSERTED,
    ...             [RuleReading("spouseOf", True, "verb.marry.v1", 0.8, Status.ASSERTED)])
    >>> [(c.subject, c.relation, c.object, c.confidence, c.rule)
    ...  for c, _ in pair_readings([pair], np.array([[0.9, 0.1]]), ["spouseOf=", "parentOf>"], 0.5)]
    [('ann', 'spouseOf', 'bo', 0.9, 'relations+verb.marry.v1')]
    """
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r} (one of {', '.join(LAYERS)})")
    trusted = frozenset(labels) if trusted is None else trusted
    column = {label: j for j, label in enumerate(labels) if label in trusted}
    found: list[Reading] = []
    for n, pair in enumerate(pairs):
        rules = {label_of(r.relation, r.forward): r for r in pair.rules}
        chosen: dict[str, float] = {}
        if layer != "rules" and probabilities is not None:
            for j in np.flatnonzero(probabilities[n] >= threshold):
                if labels[j] in trusted:
                    chosen[labels[j]] = float(probabilities[n, j])
        if layer != "model":
            for label, reading in rules.items():
                if probabilities is not None and label in column:
                    chosen.setdefault(label, float(probabilities[n, column[label]]))
                else:
                    chosen.setdefault(label, reading.confidence)
        for label, confidence in _one_direction(chosen).items():
            relation, forward = parse_label(label)
            subject, obj = (pair.first, pair.second) if forward else (pair.second, pair.first)
            reading = rules.get(label)
            if layer == "rules":
                rule = reading.rule if reading else model_name
            else:
                rule = f"{model_name}+{reading.rule}" if reading else model_name
            status = reading.status if reading else pair.status
            claim = Claim(subject, relation, obj, status, round(confidence, 3), pair.evidence, rule)
            found.append((claim, pair.sentence))
    return found


def _one_direction(chosen: dict[str, float]) -> dict[str, float]:
    """A relation is read in one direction per pair: the likelier one."""
    kept: dict[str, float] = {}
    for label, confidence in chosen.items():
        other = label[:-1] + {">": "<", "<": ">"}.get(label[-1], label[-1])
        if other in chosen and (chosen[other], other) > (confidence, label):
            continue
        kept[label] = confidence
    return kept


def merge_claims(found: Iterable[Reading]) -> list[Claim]:
    """One claim per (subject, relation, object) in an article.

    GUIDELINES: a rumour and its denial → denied; asserted and hedged → asserted. Among
    readings with the winning status, the most confident one gives evidence and rule; the
    claim's confidence is the highest of all its readings.
    """
    best: dict[tuple[str, str, str], Claim] = {}
    top: dict[tuple[str, str, str], float] = {}
    for claim, _ in found:
        s, o = claim.subject, claim.object
        if s == o:
            continue
        if RELATIONS[claim.relation].symmetric and o < s:
            claim = Claim(o, claim.relation, s, *_rest(claim))
        key = (claim.subject, claim.relation, claim.object)
        top[key] = max(top.get(key, 0.0), claim.confidence)
        current = best.get(key)
        if current is None or (_STATUS_RANK[claim.status], claim.confidence) > (
            _STATUS_RANK[current.status],
            current.confidence,
        ):
            best[key] = claim
    merged = [
        Claim(c.subject, c.relation, c.object, c.status, top[k], c.evidence, c.rule)
        for k, c in best.items()
    ]
    return sorted(merged, key=lambda c: (c.subject, c.relation, c.object))


def _rest(claim: Claim) -> tuple:
    return claim.status, claim.confidence, claim.evidence, claim.rule


#: Within one pair of people, a relation on the left makes those on the right redundant
#: (GUIDELINES: a spouse is spouseOf, not partnerOf; an ended marriage is formerSpouseOf).
_MORE_SPECIFIC = {
    "formerSpouseOf": {"spouseOf", "partnerOf", "formerPartnerOf"},
    "spouseOf": {"partnerOf", "formerPartnerOf"},
    "engagedTo": {"partnerOf", "formerPartnerOf"},
    "formerPartnerOf": {"partnerOf"},  # "dated X ... later split from X": an ended romance
}


def prefer_specific(claims: list[Claim]) -> list[Claim]:
    """Drop a general romantic relation where the article gives a more specific one."""
    by_pair: dict[frozenset[str], dict[str, Status]] = {}
    for claim in claims:
        if claim.status is not Status.DENIED:
            by_pair.setdefault(frozenset((claim.subject, claim.object)), {})[claim.relation] = (
                claim.status
            )
    kept = []
    for claim in claims:
        present = by_pair.get(frozenset((claim.subject, claim.object)), {})
        # Only an equally firm statement overrides: a rumoured divorce leaves a marriage.
        if any(
            claim.relation in _MORE_SPECIFIC.get(r, ())
            and _STATUS_RANK[status] >= _STATUS_RANK[claim.status]
            for r, status in present.items()
        ):
            continue
        kept.append(claim)
    return kept


def infer_siblings(found: list[Reading]) -> list[Reading]:
    """Children named together as one parent's in one sentence are siblings.

    "The couple have son Dylan and daughter Carys" → Dylan siblingOf Carys.
    """
    children: dict[tuple[str, int, Status], dict[str, Claim]] = {}
    for claim, sentence in found:
        if claim.relation == "parentOf":
            key = (claim.subject, sentence, claim.status)
            children.setdefault(key, {})[claim.object] = claim
    inferred = []
    for (_, sentence, status), kids in children.items():
        for a, b in combinations(sorted(kids), 2):
            first, second = kids[a], kids[b]
            confidence = round(0.7 * min(first.confidence, second.confidence), 3)
            sibling = Claim(
                a, "siblingOf", b, status, confidence, first.evidence, "inferred.shared_parent.v1"
            )
            inferred.append((sibling, sentence))
    return inferred


def article_claims(readings: list[Reading]) -> list[Claim]:
    """The claims of an article from its readings: siblings inferred, merged, specific."""
    return prefer_specific(merge_claims(readings + infer_siblings(readings)))
