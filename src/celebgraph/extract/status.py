"""Status of a claim: asserted, reported (hedged) or denied, read from its sentence.

Denial wins over hedging: "reports that X is dating Y are false" is denied. A claim is
denied when its trigger word is negated ("not dating", "never married"), when it sits
under a denial verb ("X denies dating Y", "shot down rumours that..."), or when the
sentence calls it untrue. It is reported when the sentence hedges it ("reportedly",
"sources say", "is said to") or when it is a question in a headline.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

from celebgraph.extract.lexicon import (
    DENIAL_PARTICLES,
    DENIAL_VERBS,
    FALSITY_WORDS,
    HEDGE_PHRASES,
    HEDGE_WORDS,
    NEGATIONS,
)
from celebgraph.ontology import Status

_QUOTES = set("\"“”")
_SOURCE_WORDS = frozenset({"source", "sources", "insider", "insiders", "tipster", "spy"})


def _negated(token: Token) -> bool:
    return any(
        child.dep_ == "neg" or (child.lower_ in NEGATIONS and child.dep_ in {"advmod", "det"})
        for child in token.children
    )


def _is_denial_verb(token: Token) -> bool:
    if token.lemma_.lower() not in DENIAL_VERBS:
        return False
    particle = DENIAL_PARTICLES.get(token.lemma_.lower(), "")
    if particle == "":
        return True
    if particle is None:
        # "slammed the rumours": a denial only when its object is a rumour or report.
        return any(c.lemma_.lower() in {"rumor", "rumour", "report", "claim", "story"}
                   for c in token.subtree)
    return any(c.dep_ == "prt" and c.lower_ == particle for c in token.children)


def is_denied(trigger: Token, sentence: Span) -> bool:
    # Negation binds the cue or the verb that governs it ("not dating", "never married
    # her"); a denial verb covers everything below it ("denies rumours that she dated").
    node, in_clause = trigger, True
    for _ in range(12):
        if (in_clause and _negated(node)) or _is_denial_verb(node):
            return True
        if node.pos_ in {"VERB", "AUX"}:
            in_clause = False
        if node.head is node:
            break
        node = node.head
    words = {t.lower_ for t in sentence}
    if words & FALSITY_WORDS:
        return True
    text = sentence.text.lower()
    return "not true" in text or "no truth" in text


def is_hedged(sentence: Span, paragraph: str, in_headline: bool) -> bool:
    if in_headline and sentence.text.rstrip().endswith("?"):
        return True
    words = {t.lower_ for t in sentence}
    if words & HEDGE_WORDS:
        return True
    text = sentence.text.lower()
    if any(phrase in text for phrase in HEDGE_PHRASES):
        return True
    # A quote inside a paragraph that an unnamed source speaks is the source's word.
    if any(ch in _QUOTES for ch in sentence.text):
        lowered = paragraph.lower()
        return any(f" {w} " in f" {lowered} " or f" {w}," in lowered for w in _SOURCE_WORDS)
    return False


def claim_status(trigger: Token, sentence: Span, paragraph: str, in_headline: bool) -> Status:
    """The status of a claim whose cue word is ``trigger``."""
    if is_denied(trigger, sentence):
        return Status.DENIED
    if is_hedged(sentence, paragraph, in_headline):
        return Status.REPORTED
    return Status.ASSERTED
