"""Fuzz tests (hypothesis): the article loader and the extractor on random input.

The loader may reject an input only with an :class:`ArticleError` naming it; the extractor
must take any article the loader can produce, and whatever it finds must be storable.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import celebgraph
from celebgraph import ArticleError, Store, load_articles
from celebgraph.api import write_extraction
from celebgraph.articles import MAX_CHARS, SUFFIXES
from celebgraph.models import Article, Extraction
from celebgraph.ontology import person_iri

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis folder in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --- strategies -----------------------------------------------------------------------------

NAMES = ["Kanye West", "Taylor Swift", "Jay-Z", "Beyoncé", "Kim Kardashian", "Leno", "He", "she"]
WORDS = ["married", "sued", "is dating", "denied", "reportedly", "not", "his wife", "feud", "."]
ODD = [
    "محمد صلاح",  # right to left
    "דוד כהן",
    "\u202eevil\u202c",  # right-to-left override
    "🎤🔥❤️‍🔥",  # emoji with a zero-width joiner
    "👨‍👩‍👧",
    "\x00",
    "\x0b\x0c\x1c\x85\u2028\u2029",  # characters that split lines for str.splitlines
    "\r\n\r",
    "\t",
    "\ufeff",
    "\ufffd",
    '"\\ } ; DROP ALL ; #',
    "<b>",
    "</p><p>",
    "&amp;",
    "[[",
    "Mr.",
    "St.",
    "“quoted”",
    "'s",
    "e\u0301",  # combining accent
    "ǅ",
    "ß",
    "İ",
]

# Any code point but lone surrogates (a Python str cannot come out of a file with one).
CHARS = st.characters(blacklist_categories=("Cs",))

token = st.one_of(
    st.sampled_from(NAMES + WORDS + ODD),
    st.text(CHARS, min_size=1, max_size=12),
    st.text(CHARS, min_size=100, max_size=1000),  # a very long "token"
    st.text(st.sampled_from("aA-'.’ "), min_size=50, max_size=500),
)
texts = st.lists(token, max_size=40).map(" ".join)


# --- the extractor --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    with Store(tmp_path_factory.mktemp("fuzz") / "store") as store:
        yield store


@FUZZ
@given(headline=st.text(CHARS, max_size=80) | st.sampled_from(NAMES), body=texts)
def test_fuzz_extractor_never_raises_and_its_output_is_storable(
    extractor, fuzz_store, headline, body
):
    article = Article(id="fuzz", headline=headline.strip(), text=body.strip())
    extraction = extractor.extract(article)
    assert isinstance(extraction, Extraction)
    for claim in extraction.claims:
        assert claim.subject in extraction.entities
        assert claim.object in extraction.entities
        assert 0 <= claim.confidence <= 1
    # Every name and sentence, whatever characters it has, goes into the store and back.
    write_extraction(fuzz_store, extraction)
    buffer = io.BytesIO()
    fuzz_store.export(buffer, "nquads")
    quads = list(ox.parse(buffer.getvalue(), ox.RdfFormat.N_QUADS))
    assert quads
    for entity in extraction.entities.values():
        person = {"p": person_iri(entity.key)}
        assert celebgraph.query(fuzz_store, "ASK { ?p a cg:Person ; rdfs:label ?l }", person).raw
    for claim in extraction.claims:
        rows = celebgraph.select(
            fuzz_store, "SELECT ?c ?e WHERE { ?c cg:evidence ?e }", {"e": claim.evidence}
        )
        assert rows, claim.evidence


# --- the loader -----------------------------------------------------------------------------


def json_values():
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(CHARS)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(CHARS), inner),
        max_leaves=12,
    )


def articles_like():
    fields = st.fixed_dictionaries(
        {},
        optional={
            "id": st.text(CHARS) | st.integers() | json_values(),
            "title": st.text(CHARS) | json_values(),
            "text": texts | json_values(),
            "date": st.text(CHARS) | json_values(),
        },
    )
    return st.one_of(fields, st.lists(fields, max_size=3), json_values())


def check_loaded(path: Path, articles: list[Article], errors: list[ArticleError]) -> None:
    for error in errors:
        assert isinstance(error, ArticleError)
        assert str(error).startswith(str(path)), str(error)
        assert "\n" not in str(error)
    for article in articles:
        assert article.id.strip() == article.id and article.id
        assert len(article.full_text) <= MAX_CHARS
        article.full_text.encode("utf-8")  # no lone surrogates


def load_one(path: Path) -> tuple[list[Article], list[ArticleError]]:
    errors: list[ArticleError] = []
    articles = list(load_articles([path], on_error=errors.append))
    check_loaded(path, articles, errors)
    # Without on_error, the first problem is raised: always an ArticleError.
    try:
        list(load_articles([path]))
    except ArticleError:
        assert errors
    return articles, errors


@FUZZ
@given(
    data=st.binary(max_size=2000)
    | texts.map(lambda t: t.encode("utf-8", "surrogatepass"))
    | texts.map(lambda t: ("<html><body>" + t).encode("utf-8"))
    | texts.map(lambda t: t.encode("utf-16")),
    suffix=st.sampled_from(SUFFIXES),
)
def test_fuzz_loader_on_random_bytes_raises_only_article_errors(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(data)
        load_one(path)


@FUZZ
@given(
    value=articles_like(),
    suffix=st.sampled_from([".json", ".jsonl"]),
    ascii_only=st.booleans(),
)
def test_fuzz_loader_on_random_json_raises_only_article_errors(value, suffix, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    if suffix == ".jsonl":
        text = "\n".join([text, json.dumps(value, ensure_ascii=True), "{"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _, errors = load_one(path)
        if suffix == ".jsonl":
            assert any(str(e).startswith(f"{path}:3: malformed JSON") for e in errors)
