"""Fuzz tests (hypothesis): the article loader and the extractor on random input, and
every export format on hostile text.

The loader may reject an input only with an :class:`ArticleError` naming it; the extractor
must take any article the loader can produce, and whatever it finds must be storable. Every
export must read back (rdflib, networkx, ``csv``, ``json``) whatever the text holds.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.namespace import XSD

import celebgraph
from celebgraph import ArticleError, Store, graph, load_articles
from celebgraph.api import write_extraction
from celebgraph.articles import MAX_CHARS, SUFFIXES
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import RELATIONS, Status, person_iri, slugify
from celebgraph.outputs import encodable, xml_text
from celebgraph.store import RDF_FORMATS

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


# --- exports --------------------------------------------------------------------------------

# Text that breaks a format which does not escape it: NUL and other control characters,
# bidi controls, markup, quotes, XML's non-characters, line ends of every kind.
HOSTILE = [
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b[31m", "\x1f", "\x7f", "\x85", "\r", "\r\n",
    "\n", "\t", " ", "\u2028", "\u202e", "\u2066", "\u200b", "\ufeff", "\ufffe", "\uffff",
    "<", ">", "&", "&amp;", "&#0;", '"', "'", "]]>", "</data>", "<!--", "\\", "\\u0000",
    "{", "@id", ",", ";", "|", "🎤",
]  # fmt: skip
hostile = st.lists(st.sampled_from(HOSTILE) | st.text(CHARS, max_size=6), min_size=1, max_size=10)
hostile_text = hostile.map("".join)
# A graph built by hand may also hold lone surrogates (a store cannot).
any_text = st.lists(
    st.sampled_from([*HOSTILE, "\ud800", "\udfff", "\udc80"]) | st.text(max_size=6),
    min_size=1,
    max_size=10,
).map("".join)

RDF_PARSERS = {
    "nquads": "nquads", "trig": "trig", "jsonld": "json-ld", "turtle": "turtle",
    "ntriples": "nt", "rdfxml": "xml",
}  # fmt: skip
STRINGS = "SELECT DISTINCT ?v WHERE { ?s ?p ?v FILTER(isLiteral(?v) && datatype(?v) = xsd:string) }"


def test_fuzz_every_rdf_format_is_checked():
    assert set(RDF_PARSERS) == set(RDF_FORMATS)


@pytest.fixture(scope="module")
def export_store(tmp_path_factory):
    with Store(tmp_path_factory.mktemp("fuzz-export") / "store") as store:
        yield store


def check_graph_exports(people: nx.MultiDiGraph, folder: Path) -> None:
    """Each graph format written and read back: ids, labels, aliases and evidence are the
    graph's, as the format can hold them (see :mod:`celebgraph.outputs`)."""

    def expected(clean):
        nodes = [(clean(n), clean(d["label"]), clean(" | ".join(d["aliases"])))
                 for n, d in people.nodes(data=True)]  # fmt: skip
        return sorted(nodes), sorted(clean(d["evidence"]) for *_, d in people.edges(data=True))

    def seen(nodes, edges, aliases=lambda a: a):
        return (sorted((n, d["label"], aliases(d["aliases"])) for n, d in nodes),
                sorted(d["evidence"] for d in edges))  # fmt: skip

    for fmt, read in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        graph.export(people, folder / f"g.{fmt}", fmt)
        back = read(folder / f"g.{fmt}")
        nodes, edges = back.nodes(data=True), (d for *_, d in back.edges(data=True))
        assert seen(nodes, edges) == expected(xml_text), fmt
    graph.export(people, folder / "g.json", "json")
    back = nx.node_link_graph(json.loads((folder / "g.json").read_bytes()), edges="edges")
    edges = (d for *_, d in back.edges(data=True))
    assert seen(back.nodes(data=True), edges, " | ".join) == expected(encodable), "json"
    nodes_csv, edges_csv = graph.export(people, folder / "csv", "csv")
    with (
        nodes_csv.open(encoding="utf-8", newline="") as n,
        edges_csv.open(encoding="utf-8", newline="") as e,
    ):
        nodes = [(r["id"], r) for r in csv.DictReader(n)]
        assert seen(nodes, csv.DictReader(e)) == expected(encodable), "csv"


@FUZZ
@given(
    names=st.lists(hostile_text, min_size=2, max_size=4),
    aliases=st.lists(hostile_text, max_size=3),
    sentences=st.lists(hostile_text, min_size=1, max_size=4),
    headline=hostile_text,
    relation=st.sampled_from(sorted(RELATIONS)),
    status=st.sampled_from(list(Status)),
)
def test_fuzz_every_export_of_hostile_text_parses_back(
    export_store, names, aliases, sentences, headline, relation, status
):
    keys = [f"{slugify(name)}-{i}" for i, name in enumerate(names)]  # as the extractor keys them
    entities = {k: Entity(k, name, tuple(aliases)) for k, name in zip(keys, names, strict=True)}
    claims = [
        Claim(keys[i % len(keys)], relation, keys[(i + 1) % len(keys)], status, 0.5, text, "f.v1")
        for i, text in enumerate(sentences)
    ]
    article = Article(id="fuzz-export", headline=headline, text=" ".join(sentences))
    write_extraction(export_store, Extraction(article, entities, claims))
    stored = {row["v"].value for row in celebgraph.select(export_store, STRINGS)}
    assert stored
    for fmt, parser in RDF_PARSERS.items():
        buffer = io.BytesIO()
        celebgraph.export(export_store, buffer, fmt)
        parsed = rdflib.Dataset()
        parsed.parse(data=buffer.getvalue(), format=parser)
        back = {
            str(o)
            for *_, o, _ in parsed.quads()
            if isinstance(o, rdflib.Literal) and o.datatype in (None, XSD.string) and not o.language
        }
        assert back == ({xml_text(v) for v in stored} if fmt == "rdfxml" else stored), fmt
    people = celebgraph.to_networkx(export_store, status=list(Status))
    assert set(people) == {c.subject for c in claims} | {c.object for c in claims}
    with tempfile.TemporaryDirectory() as folder:
        check_graph_exports(people, Path(folder))


@FUZZ
@given(names=st.lists(any_text, min_size=2, max_size=4), sentences=st.lists(any_text, max_size=4))
def test_fuzz_graph_exports_of_any_str_read_back(names, sentences):
    people = nx.MultiDiGraph()
    for i, name in enumerate(names):
        people.add_node(f"p{i}-{name}", label=name, aliases=[name[::-1], "a | b"])
    ends = [f"p{i}-{name}" for i, name in enumerate(names[:2])]
    for j, sentence in enumerate(sentences):
        people.add_edge(*ends, key=f"c{j}", evidence=sentence, relation="friendOf", support=1)
    with tempfile.TemporaryDirectory() as folder:
        check_graph_exports(people, Path(folder))
