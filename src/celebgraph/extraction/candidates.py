"""Candidate pairs: every two people a sentence refers to, with what the rules say of them.

A :class:`Pair` is one sentence's reading of two resolved people (names, pronouns,
descriptions), ordered as they appear. It carries the features the relation model reads
(:mod:`celebgraph.extraction.features`), the claims the hand-written rules propose for the
pair, and the status each reading would get. Nothing here depends on a model, so pairs can
be computed once and scored by any number of models (cross-validation does).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from celebgraph.extraction.claims import Candidate, ClaimContext, Rule, sentence_candidates
from celebgraph.extraction.features import pair_features
from celebgraph.extraction.sentences import sentences
from celebgraph.extraction.status import claim_status, is_hypothetical
from celebgraph.ontology import Status

#: Two people of a sentence make a pair when their mentions stand at most this many tokens
#: apart, or when a rule reads a relation between them.
MAX_PAIR_DISTANCE = 40
#: At most this many pairs a sentence, the nearest first (and all that a rule reads): a list
#: of a thousand names would otherwise cost minutes, its pairs nearly all empty.
MAX_PAIRS = 200
_PLURAL = {"they", "their", "couple", "pair", "exes"}


@dataclass(frozen=True)
class RuleReading:
    """A rule's claim about a pair: relation, subject first or not, and its status."""

    relation: str
    forward: bool  # the pair's first person is the subject
    rule: str
    confidence: float
    status: Status


@dataclass
class Pair:
    """Two people in one sentence, ``first`` written before ``second``."""

    first: str  # entity key
    second: str
    sentence: int  # sentence number in the document
    span: tuple[int, int]  # the sentence's characters in the document text
    evidence: str
    features: list[str]
    status: Status  # of a relation read from the words joining the two
    rules: list[RuleReading] = field(default_factory=list)


def _mentions(sentence: Span, refs: dict) -> dict[str, list[Span]]:
    """Each person's mentions in a sentence: runs of tokens that refer to them."""
    found: dict[str, list[Span]] = {}
    doc = sentence.doc
    run_key, run_start = None, sentence.start
    for token in sentence:
        ref = refs.get(token.i)
        key = ref[0] if ref else None
        if key != run_key:
            if run_key is not None:
                found.setdefault(run_key, []).append(doc[run_start : token.i])
            run_key, run_start = key, token.i
    if run_key is not None:
        found.setdefault(run_key, []).append(doc[run_start : sentence.end])
    return found


def _closest(first: list[Span], second: list[Span]) -> tuple[Span, Span]:
    """The two mentions of two people that stand nearest each other."""
    return min(
        ((a, b) for a in first for b in second),
        key=lambda ab: (abs(ab[0].start - ab[1].start), ab[0].start),
    )


def _chosen_pairs(
    mentions: dict[str, list[Span]], readings: dict[tuple[str, str], list[RuleReading]]
) -> list[tuple[str, str, Span, Span]]:
    """The pairs of a sentence's people, each written-order: every pair a rule reads, then
    the nearest others within :data:`MAX_PAIR_DISTANCE`, :data:`MAX_PAIRS` at most."""
    flat = sorted(((m, key) for key, ms in mentions.items() for m in ms), key=lambda x: x[0].start)
    nearest: dict[frozenset[str], tuple[int, Span, str, Span, str]] = {}
    for i, (a, one) in enumerate(flat):
        for b, two in flat[i + 1 :]:
            gap = b.start - a.end
            if gap > MAX_PAIR_DISTANCE:
                break  # the list is in written order: the rest are farther still
            key = frozenset((one, two))
            if two != one and (key not in nearest or gap < nearest[key][0]):
                nearest[key] = (gap, a, one, b, two)
    ruled = {frozenset(k) for k in readings if k[0] != k[1] and set(k) <= mentions.keys()}
    for key in ruled - nearest.keys():
        one, two = sorted(key)
        a, b = _closest(mentions[one], mentions[two])
        if a.start > b.start:
            (a, one), (b, two) = (b, two), (a, one)
        nearest[key] = (b.start - a.end, a, one, b, two)
    ordered = sorted(nearest.items(), key=lambda item: (item[0] not in ruled, item[1][0]))
    kept = [pair for _, pair in ordered[: max(MAX_PAIRS, len(ruled))]]
    return [
        (one, two, a, b)
        for _, a, one, b, two in sorted(kept, key=lambda p: (p[1].start, p[3].start))
    ]


def _joining_word(a: Span, b: Span) -> Token:
    """The token the status rules read for a relation between a and b: the lowest common
    ancestor of their heads in the parse ("married" in "X married Y", "wife" in "his wife
    X"), or the first mention's head when one governs the other."""
    ha, hb = a.root, b.root
    above = {t.i for t in (ha, *ha.ancestors)}
    for node in (hb, *hb.ancestors):
        if node.i in above:
            if node.i in (ha.i, hb.i):
                # "Kanye's wife Kim": the noun between them carries the relation
                inner = [t for t in hb.ancestors if t.i != node.i and t.i in above]
                return inner[0] if inner else node
            return node
    return ha


def _presupposed(token: Token) -> bool:
    return token.pos_ in {"NOUN", "PROPN"} and token.dep_ not in {"attr", "ROOT"}


def _paragraph(text: str, breaks: list[int], start: int) -> str:
    index = bisect.bisect_right(breaks, start)
    begin = breaks[index - 1] if index else 0
    end = breaks[index] if index < len(breaks) else len(text)
    return text[begin:end]


def sentence_pairs(doc: Doc, ctx: ClaimContext, rules: Iterable[Rule]) -> Iterator[Pair]:
    """Every pair of people in every sentence, with features, rule readings and statuses."""
    rules = list(rules)
    headline_end = doc.user_data.get("cg_headline_tokens", 0)
    text = doc.text  # built from the tokens on every access: read it once
    breaks = [m.end() for m in re.finditer(r"\n", text)]
    for number, sentence in enumerate(sentences(doc)):
        mentions = _mentions(sentence, ctx.refs)
        plural = any(t.lower_ in _PLURAL for t in sentence)
        if len(mentions) < 2 and not (mentions and plural):
            continue
        in_headline = sentence.start < headline_end
        question = not in_headline and sentence.text.rstrip().endswith("?")
        paragraph = _paragraph(text, breaks, sentence.start_char)
        evidence = " ".join(sentence.text.split())
        span = (sentence.start_char, sentence.end_char)
        readings: dict[tuple[str, str], list[RuleReading]] = {}
        for candidate in sentence_candidates(sentence, ctx, rules):
            if question or is_hypothetical(candidate.trigger):
                continue
            status = claim_status(
                candidate.trigger, sentence, paragraph, in_headline, candidate.presupposed
            )
            _add_reading(readings, candidate, status)
        for one, two, a, b in _chosen_pairs(mentions, readings):
            found = readings.pop((one, two), []) + [
                RuleReading(r.relation, not r.forward, r.rule, r.confidence, r.status)
                for r in readings.pop((two, one), [])
            ]
            joint = _joining_word(a, b)
            if question or is_hypothetical(joint):
                continue
            status = claim_status(joint, sentence, paragraph, in_headline, _presupposed(joint))
            features = pair_features(a, b, joint, ctx, found, in_headline)
            yield Pair(one, two, number, span, evidence, features, status, found)
        # Readings about a group ("the couple") whose members the sentence does not name.
        for (one, two), found in readings.items():
            if one != two:
                yield Pair(one, two, number, span, evidence, [], found[0].status, found)


def _add_reading(
    readings: dict[tuple[str, str], list[RuleReading]], candidate: Candidate, status: Status
) -> None:
    s, o = candidate.subject.key, candidate.object.key
    if s == o:
        return
    reading = RuleReading(
        candidate.relation, True, candidate.rule, min(candidate.confidence, 1.0), status
    )
    readings.setdefault((s, o), []).append(reading)
