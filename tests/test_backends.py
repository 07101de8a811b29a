"""The same behaviour on both store backends: the embedded Oxigraph store and a SPARQL 1.1
server (a real Virtuoso on loopback, started by :mod:`tests.virtuoso`).

Each ``backend`` test gets an empty store spec: a folder, or the Virtuoso URL with every
celebgraph graph dropped first. The Virtuoso tests skip, with the reason, only when Debian's
``virtuoso-opensource`` cannot be installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

import celebgraph
from celebgraph import api
from celebgraph.errors import CelebgraphError, QueryError, StoreError
from celebgraph.graph import to_networkx
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import Status, article_iri
from celebgraph.store import Store, open_store
from celebgraph.store.remote import RemoteStore, parse_spec
from celebgraph.store.sparql import with_values

sys.path.insert(0, str(Path(__file__).parent))
import virtuoso
from conftest import clear_remote

ROOT = Path(__file__).resolve().parents[1]
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
HOSTILE = [
    'Dwayne "The Rock" Johnson',
    "Zoë 😀 Kravitz",
    "שלום עליכם",  # right-to-left
    'x" } ; DROP ALL ; #',
    "back\\slash\nnew line\ttab 'single'",
    "<http://evil/> . } } ; CLEAR ALL",
]


@pytest.fixture(params=["embedded", "virtuoso"])
def backend(request, tmp_path) -> str:
    """An empty store spec of each kind."""
    if request.param == "embedded":
        return str(tmp_path / "store")
    url = request.getfixturevalue("virtuoso_server").url
    clear_remote(url)
    return url


@pytest.fixture
def both(tmp_path, virtuoso_server) -> dict[str, str]:
    clear_remote(virtuoso_server.url)
    return {"embedded": str(tmp_path / "store"), "virtuoso": virtuoso_server.url}


@pytest.fixture(scope="session")
def seed_extraction(extractor, seed_article) -> Extraction:
    return extractor.extract(seed_article)


def write(spec: str, *extractions: Extraction) -> None:
    """Store extractions the way ingest does (ontology graph included)."""
    writer = api._Writer(spec, api.IngestReport(), None)
    for extraction in extractions:
        writer.add(extraction)
    writer.flush(final=True)
    assert not writer.report.errors, writer.report.errors


def nquads(spec: str) -> set[str]:
    import io

    out = io.BytesIO()
    celebgraph.export(spec, out, "nquads")
    return set(out.getvalue().decode("utf-8").splitlines())


def rows(spec: str, sparql: str, substitutions=None) -> list[tuple[str, ...]]:
    return sorted(
        tuple(str(r.get(k, "")) for k in sorted(r))
        for r in celebgraph.select(spec, sparql, substitutions)
    )


def extraction(article_id: str, names: dict[str, str], claims: list[tuple]) -> Extraction:
    article = Article(article_id, f"Headline of {article_id}", "Body.", date="2021-06-01")
    entities = {key: Entity(key, name, (name.split()[-1],)) for key, name in names.items()}
    built = [
        Claim(s, rel, o, status, conf, f"{s} {rel} {o}.", "hand.v1")
        for s, rel, o, status, conf in claims
    ]
    return Extraction(article, entities, built)


def hand_article(article_id: str = "hand-1", status: Status = Status.REPORTED) -> Extraction:
    return extraction(
        article_id,
        {"mara-quill": "Mara Quill", "dex-arlo": "Dex Arlo", "nico-brandt": "Nico Brandt"},
        [
            ("dex-arlo", "spouseOf", "mara-quill", Status.ASSERTED, 0.9),
            ("mara-quill", "partnerOf", "nico-brandt", status, 0.5),
            ("dex-arlo", "sued", "nico-brandt", Status.DENIED, 0.25),
        ],
    )


def ask(spec: str, body: str) -> bool:
    result = celebgraph.query(spec, f"ASK {{ {body} }}")
    assert result.kind == "ask"
    return bool(result.raw)


# --- behaviour, on each backend -----------------------------------------------------------


def test_backend_fact_layer(backend):
    write(backend, hand_article())
    assert ask(backend, "person:dex-arlo cg:spouseOf person:mara-quill")
    assert not ask(backend, "person:mara-quill cg:partnerOf person:nico-brandt")
    assert not ask(backend, "person:dex-arlo cg:sued person:nico-brandt")
    statuses = rows(backend, "SELECT ?st WHERE { ?c a cg:Claim ; cg:status ?st }")
    assert len(statuses) == 3
    with open_store(backend) as db:
        assert db.count_graphs() == 3  # the article, the people, the ontology


def test_backend_reingest_replaces_the_article_and_nothing_else(backend):
    write(backend, hand_article("hand-1"), hand_article("hand-2"))
    other = {q for q in nquads(backend) if "article/hand-2>" in q.rsplit(" ", 2)[-2]}
    assert other
    changed = extraction(
        "hand-1",
        {"mara-quill": "Mara Quill", "zed-okon": "Zed Okon"},
        [("mara-quill", "feudWith", "zed-okon", Status.ASSERTED, 0.7)],
    )
    write(backend, changed)
    assert ask(backend, "person:mara-quill cg:feudWith person:zed-okon")
    assert ask(backend, "GRAPH article:hand-1 { person:mara-quill cg:feudWith ?x }")
    assert not ask(backend, "GRAPH article:hand-1 { person:dex-arlo cg:spouseOf ?x }")
    # hand-2 still states the marriage, and its graph is untouched
    assert ask(backend, "GRAPH article:hand-2 { person:dex-arlo cg:spouseOf ?x }")
    assert {q for q in nquads(backend) if "article/hand-2>" in q.rsplit(" ", 2)[-2]} == other
    claims = rows(backend, "SELECT ?c WHERE { GRAPH article:hand-1 { ?c a cg:Claim } }")
    assert len(claims) == 1


def test_backend_real_ingest_is_idempotent(backend, seed_path, seed_extraction):
    report = celebgraph.ingest([seed_path], store=backend, jobs=1)
    assert (report.articles, report.failed) == (1, 0), report.errors
    first = nquads(backend)
    assert len(first) > 100
    write(backend, seed_extraction)  # the same article again
    assert nquads(backend) == first
    with open_store(backend) as db:
        assert len(db) == len(first)
        assert db.count_graphs() == 3
    stats = celebgraph.stats(backend)
    assert stats["articles"] == 1 and stats["triples"] == len(first)


def test_backend_hostile_strings_round_trip(backend):
    names = {f"p{i}": f"{name} {i}" for i, name in enumerate(HOSTILE)}
    long_evidence = "A sentence that goes on. " * 2000  # 50 000 characters
    built = extraction(
        "evil-1",
        names,
        [
            ("p0", "feudWith", "p3", Status.ASSERTED, 0.5),
            ("p1", "partnerOf", "p2", Status.DENIED, 0.4),
        ],
    )
    built.claims[0] = Claim("p0", "feudWith", "p3", Status.ASSERTED, 0.5, long_evidence, "r")
    write(backend, built)
    labels = rows(backend, "SELECT ?l WHERE { ?p a cg:Person ; rdfs:label ?l }")
    assert {label for (label,) in labels} >= {str(ox.Literal(n)) for n in names.values()}
    for name in names.values():
        found = celebgraph.select(
            backend, "SELECT ?p ?name WHERE { ?p rdfs:label ?name }", {"name": name}
        )
        assert len(found) == 1, name
        assert found[0]["name"].value == name
    evidence = {r["e"].value for r in celebgraph.select(backend, "SELECT ?e { ?c cg:evidence ?e }")}
    assert evidence == {long_evidence, "p1 partnerOf p2."}
    exported = "\n".join(nquads(backend))
    for name in names.values():
        assert str(ox.Literal(name)) in exported


def test_backend_query_kinds_and_errors(backend, seed_extraction):
    write(backend, seed_extraction)
    graph = celebgraph.query(
        backend, "CONSTRUCT { ?a cg:interrupted ?b } WHERE { ?a cg:interrupted ?b }"
    )
    assert graph.kind == "graph"
    (triple,) = list(graph.raw)
    assert triple.subject == ox.NamedNode("https://w3id.org/celebgraph/resource/person/kanye-west")
    with pytest.raises(QueryError):
        celebgraph.query(backend, "SELECT ?x WHERE { ?x ")
    found = celebgraph.select(
        backend,
        "SELECT ?who ?name WHERE { ?who cg:interrupted ?whom . ?whom rdfs:label ?name }",
        {"name": "Taylor Swift"},
    )
    assert [r["who"].value.rsplit("/", 1)[-1] for r in found] == ["kanye-west"]


def test_backend_cli(backend, tmp_path):
    env = {**os.environ, "CELEBGRAPH_WRITE_INTERVAL": "0"}
    cli = [sys.executable, "-m", "celebgraph"]
    done = subprocess.run(
        [*cli, "ingest", str(celebgraph.example_path()), "--store", backend, "-q", "--jobs", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 articles, 7 persons"), done.stdout
    query = subprocess.run(
        [*cli, "query", "-f", str(ROOT / "queries" / "person-links.rq"), "--format", "csv"],
        capture_output=True,
        text=True,
        env={**env, "CELEBGRAPH_STORE": backend},
        timeout=60,
        check=False,
    )
    assert query.returncode == 0, query.stderr
    assert "Taylor Swift" in query.stdout
    out = tmp_path / "graph.nq"
    export = subprocess.run(
        [*cli, "export", "--store", backend, "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert export.returncode == 0, export.stderr
    assert set(out.read_text().splitlines()) == nquads(backend)


# --- the same answers from both -----------------------------------------------------------


def test_backends_give_the_same_rows_and_graph(both, seed_extraction):
    for spec in both.values():
        write(spec, seed_extraction, hand_article())
    assert nquads(both["embedded"]) == nquads(both["virtuoso"])
    for path in QUERIES:
        text = path.read_text()
        embedded, remote = (rows(spec, text) for spec in both.values())
        assert embedded == remote, path.name
        assert embedded or path.name in {"rumours.rq"}, path.name
    graphs = [
        to_networkx(spec, status=["asserted", "reported", "denied"]) for spec in both.values()
    ]
    assert sorted(graphs[0].nodes(data=True)) == sorted(graphs[1].nodes(data=True))
    edges = [sorted(map(repr, g.edges(data=True))) for g in graphs]
    assert edges[0] == edges[1]
    assert celebgraph.stats(both["embedded"]) == celebgraph.stats(both["virtuoso"])


# --- the remote store itself --------------------------------------------------------------


def test_remote_spec_parsing(monkeypatch):
    monkeypatch.delenv("CELEBGRAPH_UPDATE_URL", raising=False)
    monkeypatch.delenv("CELEBGRAPH_STORE_USER", raising=False)
    assert parse_spec("http://u:p%40ss@h:8890/sparql-auth") == (
        "http://h:8890/sparql-auth",
        "http://h:8890/sparql-auth",
        "u",
        "p@ss",
    )
    assert parse_spec("https://h/ds/query?update=https://h/ds/update&x=1") == (
        "https://h/ds/query?x=1",
        "https://h/ds/update",
        None,
        None,
    )
    monkeypatch.setenv("CELEBGRAPH_UPDATE_URL", "http://h/update")
    monkeypatch.setenv("CELEBGRAPH_STORE_USER", "me")
    monkeypatch.setenv("CELEBGRAPH_STORE_PASSWORD", "secret")
    assert parse_spec("http://h/query") == ("http://h/query", "http://h/update", "me", "secret")
    assert isinstance(open_store("http://h/query"), RemoteStore)


def test_open_store_takes_folders_and_the_environment(tmp_path, monkeypatch):
    with open_store(tmp_path / "s") as db:
        assert isinstance(db, Store)
    monkeypatch.setenv("CELEBGRAPH_STORE", "https://h/sparql")
    with open_store(None) as db:
        assert isinstance(db, RemoteStore) and db.query_url == "https://h/sparql"


def test_remote_values_go_inside_the_where_group():
    bound = {ox.Variable("name"): ox.Literal('x" } ; DROP ALL ; #')}
    text = with_values("SELECT ?p # WHERE {\n WHERE { ?p rdfs:label ?name }", bound)
    assert 'WHERE { VALUES (?name) { ("x\\" } ; DROP ALL ; #") }  ?p' in text
    construct = with_values("CONSTRUCT { ?p ?q ?name } WHERE { ?p ?q ?name }", bound)
    assert construct.startswith("CONSTRUCT { ?p ?q ?name } WHERE { VALUES")
    assert with_values("ASK { ?p ?q ?name }", bound).startswith("ASK { VALUES")


def test_remote_wrong_password_and_no_server(virtuoso_server):
    wrong = virtuoso_server.url.replace(virtuoso_server.password, "wrong")
    with pytest.raises(StoreError, match="credentials"):
        celebgraph.query(wrong, "ASK {}")
    assert "wrong" not in RemoteStore(wrong).path
    with pytest.raises(StoreError, match="cannot reach"):
        celebgraph.query(f"http://127.0.0.1:{virtuoso.free_port()}/sparql", "ASK {}")
    with pytest.raises(CelebgraphError):
        celebgraph.ingest([celebgraph.example_path()], store=wrong, jobs=1)


def _count_updates(monkeypatch) -> list[str]:
    calls: list[str] = []
    original = RemoteStore._post

    def counting(self, url, form, *args):
        calls.append(next(iter(form)))
        return original(self, url, form, *args)

    monkeypatch.setattr(RemoteStore, "_post", counting)
    return calls


def test_remote_writes_a_batch_of_articles_in_one_request(virtuoso_server, monkeypatch):
    clear_remote(virtuoso_server.url)
    articles = [hand_article(f"a-{i}") for i in range(3)]
    calls = _count_updates(monkeypatch)
    write(virtuoso_server.url, *articles)
    assert calls.count("update") == 1 + 1  # the batch, then the ontology
    monkeypatch.undo()
    one_by_one = api._Writer(virtuoso_server.url, api.IngestReport(), None)
    batched = nquads(virtuoso_server.url)
    clear_remote(virtuoso_server.url)
    for article in articles:  # the store ends as after one request per article
        one_by_one._write(RemoteStore(virtuoso_server.url), article)
    one_by_one.flush(final=True)
    assert nquads(virtuoso_server.url) == batched


def test_remote_batch_with_a_refused_article_loses_only_it(virtuoso_server, monkeypatch):
    clear_remote(virtuoso_server.url)
    bad = extraction("a-bad", {"x": "Lone \udc80 Surrogate", "y": "Dex Arlo"}, [])
    writer = api._Writer(virtuoso_server.url, api.IngestReport(), None)
    for article in (hand_article("a-1"), bad, hand_article("a-2")):
        writer.add(article)
    writer.flush(final=True)
    assert writer.report.articles == 2
    (error,) = writer.report.errors
    assert error.startswith("a-bad: cannot store (cannot write graph ")
    assert ask(virtuoso_server.url, f"GRAPH <{article_iri('a-2')}> {{ ?s ?p ?o }}")
    assert not ask(virtuoso_server.url, f"GRAPH <{article_iri('a-bad')}> {{ ?s ?p ?o }}")
