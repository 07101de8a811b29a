"""The on-disk Oxigraph store: round trips, idempotent ingest, replacement, locking, errors."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

import celebgraph
from celebgraph import QueryError, Store, StoreError
from celebgraph.api import write_extraction
from celebgraph.models import Article, Entity, Extraction
from celebgraph.ontology import ONTOLOGY_GRAPH, PEOPLE_GRAPH, article_iri, person_iri
from celebgraph.store import RDF_FORMATS, to_oxigraph

EX = "https://example.org/"

# Literals that need escaping on the way into SPARQL INSERT DATA and back out.
TRICKY_LITERALS = [
    Literal('she said "no"'),
    Literal("back\\slash and trailing \\"),
    Literal("line\nbreak\r\nand\ttab"),
    Literal("Beyoncé ☃ 𝄞 — Chloë"),
    Literal("not an escape: \\u0022 \\n"),
    Literal("control \x01 char"),
    Literal("hello", lang="en"),
    Literal("bonjour", lang="fr-CA"),
    Literal("0.5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")),
    Literal("2020-01-02", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")),
]


def export_bytes(store: object, fmt: str = "nquads") -> bytes:
    buffer = io.BytesIO()
    celebgraph.export(store, buffer, fmt)
    return buffer.getvalue()


def sorted_nquads(store: object) -> list[str]:
    return sorted(line for line in export_bytes(store).decode("utf-8").splitlines() if line)


def ground_lines(nquads: bytes) -> list[str]:
    """The sorted N-Quads lines of the quads that have no blank node."""
    return sorted(
        str(q)
        for q in ox.parse(nquads, ox.RdfFormat.N_QUADS)
        if not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object))
    )


def article_graphs(store: object) -> list[str]:
    """The names of all graphs, after checking that each is an article's or the ontology's."""
    rows = celebgraph.select(store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    names = sorted(r["g"].value for r in rows)
    articles = celebgraph.select(
        store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?g a schema:NewsArticle } }"
    )
    assert set(names) - {r["g"].value for r in articles} <= {str(ONTOLOGY_GRAPH), str(PEOPLE_GRAPH)}
    return sorted(r["g"].value for r in articles)


def article_ids(store: object) -> list[str]:
    rows = celebgraph.select(
        store, "SELECT ?id WHERE { ?a a schema:NewsArticle ; dcterms:identifier ?id } ORDER BY ?id"
    )
    return [r["id"].value for r in rows]


def graph_quads(store: object, article_id: str) -> list[str]:
    name = f"<{article_iri(article_id)}>"
    return [line for line in sorted_nquads(store) if line.endswith(f"{name} .")]


# --- round trip ---------------------------------------------------------------------------


def test_store_round_trip_through_nquads(tmp_path):
    graph = URIRef(EX + "graph/1")
    subject = URIRef(EX + "thing/é-x")  # an IRI that is not plain ASCII
    triples = [(subject, RDFS.label, literal) for literal in TRICKY_LITERALS]
    triples.append((subject, RDFS.seeAlso, URIRef(EX + "thing/2")))
    expected = {
        ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), to_oxigraph(graph))
        for s, p, o in triples
    }
    with Store(tmp_path / "s") as store:
        assert store.replace_graph(graph, triples) == len(triples)
        assert len(store) == len(expected)
        data = io.BytesIO()
        store.export(data, "nquads")
    fresh = ox.Store()
    fresh.load(data.getvalue(), ox.RdfFormat.N_QUADS)
    assert set(fresh) == expected


def test_store_replace_graph_replaces_only_that_graph(tmp_path):
    one, two = URIRef(EX + "g/1"), URIRef(EX + "g/2")
    s = URIRef(EX + "s")
    with Store(tmp_path / "s") as store:
        store.replace_graph(one, [(s, RDFS.label, Literal("old one"))])
        store.replace_graph(two, [(s, RDFS.label, Literal("two"))])
        store.replace_graph(
            one, [(s, RDFS.label, Literal("new one")), (s, RDFS.comment, Literal("c"))]
        )
        assert store.count_graphs() == 2
        assert len(store) == 3
        rows = celebgraph.select(store, "SELECT ?g ?l WHERE { GRAPH ?g { ?s rdfs:label ?l } }")
        assert sorted((r["g"].value, r["l"].value) for r in rows) == [
            (str(one), "new one"),
            (str(two), "two"),
        ]
        assert store.replace_graph(one, []) == 0
        assert store.count_graphs() == 1
        assert len(store) == 1


def test_store_persists_after_close(tmp_path):
    path = tmp_path / "s"
    with Store(path) as store:
        store.replace_graph(URIRef(EX + "g"), [(URIRef(EX + "s"), RDFS.label, Literal("kept"))])
    with Store(path) as store:
        assert len(store) == 1
        assert store.count_graphs() == 1


# --- ingest -------------------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path, seed_path, write_article) -> Path:
    """A folder with a copy of the seed article and an invented article naming no one."""
    folder = tmp_path / "corpus"
    write_article(folder / "kanye.txt", seed_path.read_text(encoding="utf-8"))
    write_article(
        folder / "sub" / "weather.txt",
        "Sunny Weekend Ahead\n\nThe forecast promises sunshine. Nobody is named in this story.",
    )
    return folder


def test_store_ingest_twice_is_idempotent(tmp_path, corpus, same_dataset):
    path = tmp_path / "store"
    first = celebgraph.ingest([corpus], store=path, jobs=1)
    assert (first.articles, first.failed) == (2, 0)
    before = export_bytes(path)
    with Store(path) as store:
        size = len(store)
    second = celebgraph.ingest([corpus], store=path, jobs=1)
    assert (second.articles, second.failed, second.triples) == (2, 0, first.triples)
    after = export_bytes(path)
    # Every quad without blank nodes (all article data) is identical ...
    assert ground_lines(after) == ground_lines(before)
    # ... and the whole dataset is the same up to blank node labels.
    assert same_dataset(after, before)
    with Store(path) as store:
        assert len(store) == size
    assert size == len(sorted_nquads(path))
    assert article_graphs(path) == sorted(str(article_iri(a)) for a in ("kanye", "weather"))


def test_store_ingest_twice_gives_identical_nquads(tmp_path, corpus):
    path = tmp_path / "store"
    celebgraph.ingest([corpus], store=path, jobs=1)
    before = sorted_nquads(path)
    celebgraph.ingest([corpus], store=path, jobs=1)
    assert sorted_nquads(path) == before


def test_store_changed_article_replaces_its_old_triples(tmp_path, corpus, write_article):
    path = tmp_path / "store"
    celebgraph.ingest([corpus], store=path, jobs=1)
    weather_before = graph_quads(path, "weather")
    assert weather_before
    claims_before = celebgraph.select(
        path,
        """SELECT ?c WHERE { ?c a cg:Claim ; prov:wasDerivedFrom ?a .
                            ?a dcterms:identifier "kanye" }""",
    )
    assert claims_before
    assert celebgraph.query(path, "ASK { ?a cg:interrupted ?b }").raw

    # Same file name, new text: an article that names nobody, so it can hold no claims.
    write_article(corpus / "kanye.txt", "A Quiet Day\n\nNothing happened at all today.")
    report = celebgraph.ingest([corpus / "kanye.txt"], store=path, jobs=1)
    assert (report.articles, report.failed) == (1, 0)

    assert celebgraph.select(path, "SELECT ?c WHERE { ?c a cg:Claim }") == []
    assert not celebgraph.query(path, "ASK { ?a cg:interrupted ?b }").raw
    assert not celebgraph.query(path, "ASK { ?a schema:mentions ?p }").raw
    headlines = celebgraph.select(path, "SELECT ?h WHERE { ?a schema:headline ?h }")
    assert sorted(r["h"].value for r in headlines) == ["A Quiet Day", "Sunny Weekend Ahead"]
    assert graph_quads(path, "weather") == weather_before
    assert article_ids(path) == ["kanye", "weather"]


def person_extraction(article_id: str, *entities: Entity) -> Extraction:
    return Extraction(Article(article_id, "Headline", "Body."), {e.key: e for e in entities}, [])


def test_store_person_has_one_label_whoever_names_them_first(tmp_path):
    path = tmp_path / "store"
    with Store(path) as store:
        write_extraction(
            store, person_extraction("a", Entity("x-stone", "Xavier Stone", ("Stone",)))
        )
        write_extraction(store, person_extraction("b", Entity("x-stone", "X Stone", ("X",))))
        write_extraction(
            store, person_extraction("a", Entity("x-stone", "Xavier Stone", ("Stone",)))
        )
    person = person_iri("x-stone").n3()
    labels = celebgraph.select(path, f"SELECT ?l WHERE {{ {person} rdfs:label ?l }}")
    assert [r["l"].value for r in labels] == ["Xavier Stone"]
    aliases = celebgraph.select(path, f"SELECT ?l WHERE {{ {person} skos:altLabel ?l }}")
    assert sorted(r["l"].value for r in aliases) == ["Stone", "X"]
    assert celebgraph.stats(path)["persons"] == 1


def test_store_rewritten_article_leaves_no_orphan_person(tmp_path):
    path = tmp_path / "store"
    with Store(path) as store:
        write_extraction(store, person_extraction("a", Entity("mara-quill", "Mara Quill")))
        write_extraction(store, person_extraction("a"))  # the corrected text names nobody
    assert not celebgraph.query(path, "ASK { ?a schema:mentions ?p }").raw
    assert celebgraph.stats(path)["persons"] == 0


def test_store_second_article_survives_reingest_of_first(tmp_path, seed_path, write_article):
    folder = tmp_path / "in"
    text = seed_path.read_text(encoding="utf-8")
    first = write_article(folder / "first.txt", text)
    write_article(folder / "second.txt", text)
    path = tmp_path / "store"
    celebgraph.ingest([folder], store=path, jobs=1)
    second_before = graph_quads(path, "second")
    # Both articles describe the same people; their graphs are separate.
    assert any("person/kanye-west" in line for line in second_before)

    write_article(first, "Nothing To See\n\nNo names here.")
    celebgraph.ingest([first], store=path, jobs=1)
    assert graph_quads(path, "second") == second_before
    assert not any("person/kanye-west" in line for line in graph_quads(path, "first"))
    # The people of the second article are still in the graph.
    assert celebgraph.query(
        path, "ASK { person:kanye-west cg:interrupted person:taylor-swift }"
    ).raw


def test_store_parallel_ingest_equals_serial_ingest(
    tmp_path, seed_path, write_article, same_dataset
):
    # More articles than one worker batch, so that two worker processes share the work.
    folder = tmp_path / "in"
    text = seed_path.read_text(encoding="utf-8")
    for i in range(10):
        write_article(folder / f"copy{i:02d}.txt", text)
    serial = celebgraph.ingest([folder], store=tmp_path / "serial", jobs=1)
    parallel = celebgraph.ingest([folder], store=tmp_path / "parallel", jobs=2)
    assert (parallel.articles, parallel.failed) == (serial.articles, serial.failed) == (10, 0)
    assert parallel.claims == serial.claims
    serial_nq, parallel_nq = export_bytes(tmp_path / "serial"), export_bytes(tmp_path / "parallel")
    assert ground_lines(parallel_nq) == ground_lines(serial_nq)
    assert same_dataset(parallel_nq, serial_nq)


def test_store_ingest_reports_bad_files_and_keeps_good_ones(tmp_path, write_article):
    folder = tmp_path / "in"
    write_article(folder / "good.txt", "Good News\n\nThe sun came out.")
    empty = write_article(folder / "empty.txt", "")
    seen: list[object] = []
    report = celebgraph.ingest([folder], store=tmp_path / "store", jobs=1, on_article=seen.append)
    assert (report.articles, report.failed) == (1, 1)
    assert str(empty) in report.errors[0]
    assert article_ids(tmp_path / "store") == ["good"]
    assert len(seen) == 1


def test_store_stats_match_store(seed_store):
    numbers = celebgraph.stats(seed_store)
    with Store(seed_store) as store:
        assert numbers["triples"] == len(store)
    assert numbers["articles"] == 1
    assert numbers["persons"] >= 3
    assert sum(numbers["claims_by_status"].values()) == numbers["claims"]
    assert sum(numbers["claims_by_relation"].values()) == numbers["claims"]
    assert set(numbers["claims_by_relation"]) <= set(celebgraph.RELATIONS)


def test_store_stats_of_empty_store(tmp_path):
    Store(tmp_path / "empty").close()  # a read never creates a store: make one first
    numbers = celebgraph.stats(tmp_path / "empty")
    assert numbers == {
        "articles": 0,
        "persons": 0,
        "claims": 0,
        "triples": 0,
        "claims_by_status": {},
        "claims_by_relation": {},
    }


# --- locking ------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from celebgraph import Store
    store = Store(sys.argv[1])
    print("ready", flush=True)
    time.sleep(60)
    """
)


def test_store_in_use_by_another_process_gives_store_error(tmp_path, monkeypatch):
    # Opening waits for the other process up to CELEBGRAPH_LOCK_TIMEOUT seconds, then fails.
    monkeypatch.setenv("CELEBGRAPH_LOCK_TIMEOUT", "0.5")
    path = tmp_path / "locked"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready", holder.stderr.read()
        with pytest.raises(StoreError) as info:
            Store(path)
        message = str(info.value)
        assert str(path) in message
        assert "in use by another celebgraph process" in message
        assert "waited 0.5 s" in message
        # The high-level API reports the same error instead of crashing.
        with pytest.raises(StoreError, match="in use"):
            celebgraph.stats(path)
    finally:
        holder.kill()
        holder.communicate(timeout=30)
    # Once the other process is gone, the store opens again.
    with Store(path) as store:
        assert len(store) == 0


def test_store_reopened_often_keeps_no_old_logs(tmp_path):
    path = tmp_path / "store"
    for _ in range(5):
        with Store(path) as store:
            store.count_graphs()
    assert not list(path.glob("LOG.old.*"))
    assert (path / "LOG").exists()  # the current log stays


def test_store_path_that_is_a_file_gives_store_error(tmp_path):
    path = tmp_path / "not-a-folder"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot open store"):
        Store(path)


def test_store_default_path_honours_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CELEBGRAPH_STORE", str(tmp_path / "from-env"))
    with Store() as store:
        assert store.path == tmp_path / "from-env"
    assert (tmp_path / "from-env").is_dir()
    monkeypatch.delenv("CELEBGRAPH_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with Store() as store:
        assert store.path == tmp_path / "xdg" / "celebgraph" / "store"


# --- queries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sparql",
    [
        "SELEC ?x WHERE { ?x ?p ?o }",
        "SELECT ?x WHERE { ?x ?p ",
        "SELECT ?x WHERE { ?x nosuchprefix:p ?o }",
    ],
    ids=["typo", "unclosed", "unknown-prefix"],
)
def test_store_invalid_sparql_raises_query_error(seed_store, sparql):
    with Store(seed_store) as store, pytest.raises(QueryError, match="invalid SPARQL"):
        store.query(sparql)
    with pytest.raises(QueryError, match="invalid SPARQL"):
        celebgraph.query(seed_store, sparql)


def test_store_query_kinds(seed_store):
    select = celebgraph.query(seed_store, "SELECT ?s WHERE { ?s a cg:Person }")
    assert select.kind == "select"
    persons = {row["s"] for row in select.raw}
    assert len(persons) >= 3
    ask = celebgraph.query(seed_store, "ASK { ?s a cg:Claim }")
    assert (ask.kind, bool(ask.raw)) == ("ask", True)
    graph = celebgraph.query(seed_store, "CONSTRUCT { ?s a cg:Person } WHERE { ?s a cg:Person }")
    assert graph.kind == "graph"
    assert {triple.subject for triple in graph.raw} == persons
    with pytest.raises(celebgraph.CelebgraphError, match="SELECT"):
        celebgraph.select(seed_store, "ASK { ?s ?p ?o }")


# --- export -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_store_export_format_parses_back(seed_store, fmt, dataset_graphs):
    rdf_format, keeps_graphs = RDF_FORMATS[fmt].format, RDF_FORMATS[fmt].keeps_graphs
    data = export_bytes(seed_store, fmt)
    quads = list(ox.parse(data, rdf_format))
    assert len(quads) > 50
    reference = export_bytes(seed_store, "nquads")
    graphs = dataset_graphs(data, rdf_format)
    if keeps_graphs:
        expected = dataset_graphs(reference)
    else:
        # Formats without named graphs hold the union of all graphs: the same data read
        # as N-Triples (each line's graph name dropped).
        union = ox.serialize(
            [q.triple for q in ox.parse(reference, ox.RdfFormat.N_QUADS)],
            None,
            ox.RdfFormat.N_TRIPLES,
        )
        expected = dataset_graphs(union, ox.RdfFormat.N_TRIPLES)
    assert graphs.keys() == expected.keys()
    for name, graph in graphs.items():
        assert isomorphic(graph, expected[name]), name


def test_store_export_unknown_format(seed_store):
    with pytest.raises(StoreError, match="unknown format 'n3'"):
        celebgraph.export(seed_store, io.BytesIO(), "n3")


def test_store_copy_of_folder_is_a_working_store(tmp_path, seed_store):
    copy = tmp_path / "copy"
    shutil.copytree(seed_store, copy)
    assert sorted_nquads(copy) == sorted_nquads(seed_store)
