"""Status of a claim: asserted, reported (hedged) or denied, read from its sentence.

Denial wins over hedging: "reports that X is dating Y are false" is denied.

* **Denied**: the cue is negated or its governing verb is ("not dating", "never married
  him"); a denial verb governs it ("X denies dating Y", "shot down rumours that..."); or
  a statement about it calls it untrue ("reports that ... are false", "it's not true").
* **Reported**: a hedge governs it — a rumour/report/claim word above it ("rumours that
  X dated Y"), a hedging adverb or modal on its clause ("reportedly", "allegedly",
  "might"), a hedging frame ("is said to", "fans think"), an unnamed source speaking
  ("a source says", or a quote in a paragraph a source speaks); or it is a headline
  question.
* A relation given by a noun phrase ("his wife X") is presupposed, not stated: only a
  hedge or negation inside that noun phrase ("his rumoured girlfriend") or an unnamed
  source changes it.
"""

from __future__ import annotations

import re

from spacy.tokens import Span, Token

from celebgraph.extraction.lexicon import (
    DENIAL_PARTICLES,
    DENIAL_VERBS,
    FALSITY_WORDS,
    HEDGE_ADVERBS,
    HEDGE_LEMMAS,
    HEDGE_MODALS,
    HEDGE_PHRASES,
    HEDGE_WORDS,
    NEGATIONS,
    SOURCE_WORDS,
)
from celebgraph.ontology import Status

_QUOTES = set('"“”')


def _negated(token: Token) -> bool:
    return any(
        child.dep_ == "neg" or (child.lower_ in NEGATIONS and child.dep_ in {"advmod", "det"})
        for child in token.children
    )


def _is_denial_verb(token: Token) -> bool:
    lemma = token.lemma_.lower()
    if lemma not in DENIAL_VERBS:
        return False
    particle = DENIAL_PARTICLES.get(lemma, "")
    if particle == "":
        return True
    if particle is None:
        # "slammed the rumours": a denial only when what is slammed is a rumour or report.
        return any(
            c.lemma_.lower() in {"rumor", "rumour", "report", "claim", "story"}
            for c in token.children
            if c.dep_ == "dobj"
        )
    return any(c.dep_ == "prt" and c.lower_ == particle for c in token.children)


def _called_false(node: Token) -> bool:
    if node.lower_ in FALSITY_WORDS:
        return True
    for child in node.children:
        if child.dep_ in {"acomp", "attr", "amod", "oprd"}:
            if child.lower_ in FALSITY_WORDS:
                return True
            if child.lower_ in {"true", "real", "accurate"} and (_negated(child) or _negated(node)):
                return True
    return False


def _ancestors(token: Token, limit: int = 14) -> list[Token]:
    chain = [token]
    while chain[-1].head is not chain[-1] and len(chain) < limit:
        chain.append(chain[-1].head)
    return chain


def _object_of_negated_verb(noun: Token) -> bool:
    """ "never had a relationship with X", "is not in a romance with X": a relationship noun
    without an owner, as the object of a negated clause, is what the clause denies."""
    if any(c.dep_ == "poss" for c in noun.children):
        return False
    head = noun.head
    if noun.dep_ == "pobj" and head.dep_ == "prep":
        head = head.head
    return noun.dep_ in {"dobj", "pobj"} and head.pos_ in {"VERB", "AUX"} and _negated(head)


def is_denied(trigger: Token, presupposed: bool = False) -> bool:
    chain = _ancestors(trigger)
    # A noun phrase ("his wife X", "their romance") is not negated by its clause ("no
    # repercussions for their friendship"), only by a denial above it or inside it.
    in_clause = not presupposed or _negated(trigger)
    if in_clause and presupposed:
        return True
    if presupposed and _object_of_negated_verb(trigger):
        return True
    for node in chain:
        if (in_clause and _negated(node)) or _is_denial_verb(node) or _called_false(node):
            return True
        if (node is trigger or node.lemma_.lower() in HEDGE_LEMMAS) and any(
            t.tag_ == "VBN" and _is_denial_verb(t) for t in node.subtree
        ):
            return True  # "rumours of an affair (denied by both)"
        # The clause ends at its verb, unless that verb is itself the complement of a
        # copula or another verb ("isn't engaged to", "didn't want to marry").
        if node.pos_ in {"VERB", "AUX"} and node.dep_ not in {"acomp", "attr", "oprd", "xcomp"}:
            in_clause = False
    return False


_SPEECH = (
    r"(?:said|says|told|tells|revealed|reveals|added|adds|explained|explains|dished|dishes"
    r"|claimed|claims|shared|shares|continued|continues|insisted|insists)"
)
_SOURCE_SPEECH = re.compile(
    rf"\b(?:sources?|insiders?|tipsters?|spy)\b[^.]{{0,60}}\b{_SPEECH}\b"
    rf"|\b{_SPEECH}\s+(?:a|an|one|the)\s+(?:\w+\s+)?(?:source|insider|tipster|spy)\b",
    re.IGNORECASE,
)
_QUOTE_SPAN = re.compile(r"[\"“]([^\"”]*)[\"”]?")
#: "according to a new report", "according to sources close to the couple": the whole
#: sentence rests on it, noun phrases ("his rumoured girlfriend") included.
_ACCORDING = re.compile(
    r"\baccording to (?:(?:a|an|the|one|some|several|multiple)\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:reports?|sources?|insiders?|tipsters?|rumou?rs?|claims?|gossip)\b",
    re.IGNORECASE,
)


def _source_speaks(sentence: Span, paragraph: str) -> bool:
    """ "a source says", or a quotation in a paragraph where an unnamed source speaks."""
    for token in sentence:
        if token.lower_ in SOURCE_WORDS and token.dep_ in {"nsubj", "pobj"}:
            return True
    quoted = [m.group(1) for m in _QUOTE_SPAN.finditer(sentence.text)]
    # A quoted title ("Son of God") is not speech; a quoted sentence is.
    text = sentence.text.strip()
    speech = (
        text[:1] in _QUOTES
        or text[-1:] in _QUOTES  # the last sentence of a longer quotation
        or any(len(q.split()) >= 5 for q in quoted)
    )
    return speech and bool(_SOURCE_SPEECH.search(paragraph))


def _noun_phrase_heads(token: Token) -> list[Token]:
    """The words above a noun up to the first verb: "rumours of their romance" → rumours."""
    found = []
    for node in _ancestors(token)[1:]:
        if node.pos_ in {"VERB", "AUX"}:
            break
        found.append(node)
    return found


def _quoted(token: Token, sentence: Span) -> bool:
    """Inside quotation marks: opened before it in the sentence, or closed after it with
    no opening before it (the quotation began in an earlier sentence)."""
    depth = 0
    for t in sentence:
        if t.i >= token.i:
            break
        if t.text in {"“", '"'} and (t.text == "“" or depth == 0):
            depth += 1
        elif t.text in {"”", '"'} and depth:
            depth -= 1
    if depth:
        return True
    after = [t.text for t in sentence if t.i > token.i and t.text in _QUOTES]
    return (
        bool(after)
        and after[0] in {"”", '"'}
        and not any(t.text in _QUOTES for t in sentence if t.i < token.i)
    )


_RUMOUR_NOUNS = frozenset({"rumor", "rumour", "report", "speculation", "gossip", "claim"})


def _rumours_alongside(trigger: Token) -> bool:
    """ "X and Y are dating, and the rumours are coming in hot": a clause about rumours
    joined to the one that states the relation."""
    verb = next((n for n in _ancestors(trigger) if n.pos_ in {"VERB", "AUX"}), None)
    if verb is None:
        return False
    clauses = [c for c in verb.children if c.dep_ == "conj"]
    if verb.dep_ == "conj":
        clauses.append(verb.head)
    return any(
        c.dep_ in {"nsubj", "nsubjpass"} and c.lemma_.lower() in _RUMOUR_NOUNS
        for clause in clauses
        for c in clause.children
    )


def is_hedged(
    trigger: Token, sentence: Span, paragraph: str, in_headline: bool, presupposed: bool = False
) -> bool:
    if in_headline and sentence.text.rstrip().endswith("?"):
        return True
    if _ACCORDING.search(sentence.text):
        return True
    if presupposed:
        # A noun phrase ("his ex-wife X") is background the article gives, hedged only by
        # a hedge inside it ("his rumoured girlfriend"), by the noun it belongs to
        # ("rumours of their romance"), or when an unnamed source says it in its own
        # words; "sources told Page Six that Sydney Davis, Bush's wife, is furious" still
        # gives the marriage as fact.
        inside = any(
            c.lower_ in HEDGE_WORDS or c.lower_ in HEDGE_ADVERBS or c.lemma_.lower() in HEDGE_LEMMAS
            for c in trigger.children
            if c.dep_ in {"amod", "advmod", "compound"}
        )
        return (
            inside
            or any(n.lemma_.lower() in HEDGE_LEMMAS for n in _noun_phrase_heads(trigger))
            or (_quoted(trigger, sentence) and _source_speaks(sentence, paragraph))
        )
    if _source_speaks(sentence, paragraph) or _rumours_alongside(trigger):
        return True
    for node in _ancestors(trigger):
        if node is not trigger and node.lemma_.lower() in HEDGE_LEMMAS:
            return True
        for child in node.children:
            if child.dep_ == "advmod" and child.lower_ in HEDGE_ADVERBS:
                return True
            if child.dep_ == "aux" and child.lower_ in HEDGE_MODALS:
                return True
    text = sentence.text.lower()
    return any(phrase in text for phrase in HEDGE_PHRASES)


def is_hypothetical(trigger: Token) -> bool:
    """ "if she does divorce him", "whether they will marry": nothing is claimed."""
    for node in _ancestors(trigger, limit=6):
        if any(c.dep_ == "mark" and c.lower_ in {"if", "whether", "unless"} for c in node.children):
            return True
        if node.pos_ in {"VERB", "AUX"} and node.dep_ not in {"xcomp", "conj", "aux"}:
            break
    return False


def claim_status(
    trigger: Token, sentence: Span, paragraph: str, in_headline: bool, presupposed: bool = False
) -> Status:
    """The status of a claim whose cue word is ``trigger``."""
    if is_denied(trigger, presupposed):
        return Status.DENIED
    if is_hedged(trigger, sentence, paragraph, in_headline, presupposed):
        return Status.REPORTED
    return Status.ASSERTED
