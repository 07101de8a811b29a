"""The SPARQL endpoint (celebgraph.server), over HTTP on 127.0.0.1 with real clients.

Servers run on a free port in a thread of this process; their query workers are separate
processes. Every request has a timeout and every server is shut down by its fixture.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from celebgraph import CG, Store, StoreError
from celebgraph.api import write_extraction
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import PEOPLE_GRAPH, Status, article_iri, person_iri
from celebgraph.server import ServerConfig, SparqlServer, make_server, negotiate

TOKEN = "s3cret-token"
TIMEOUT = 1.5  # the servers' query limit, seconds
MAX_ROWS = 25
HTTP_TIMEOUT = 20  # any one request of these tests, seconds
SRES = "http://www.w3.org/2005/sparql-results#"
PERSONS_QUERY = "SELECT ?name WHERE { ?p a cg:Person ; rdfs:label ?name } ORDER BY ?name"
NAMES = ["Dex Arlo", "Mara Quill", "Nico Brandt"]
# Five copies of every triple of the store, joined with nothing: tens of millions of rows.
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(5)) + " }"
)

# rdflib's JSON-LD parser and SPARQLWrapper use rdflib's deprecated ConjunctiveGraph.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:SPARQLWrapper"),
]


def extraction(article_id: str = "server-1", extra: bool = False) -> Extraction:
    """A hand-built article: an asserted, a reported and a denied claim among three people."""
    article = Article(
        article_id,
        "Mara Quill Weds Dex Arlo",
        "Mara Quill married Dex Arlo. Mara Quill is reportedly dating Nico Brandt. "
        "Dex Arlo denied that he sued Nico Brandt.",
        date="2021-06-01",
    )
    entities = {
        "mara-quill": Entity("mara-quill", "Mara Quill", ("Quill",)),
        "dex-arlo": Entity("dex-arlo", "Dex Arlo", ("Arlo",)),
        "nico-brandt": Entity("nico-brandt", "Nico Brandt", ("Brandt",)),
    }
    claims = [
        Claim("dex-arlo", "spouseOf", "mara-quill", Status.ASSERTED, 0.9, "married.", "t.v1"),
        Claim("mara-quill", "partnerOf", "nico-brandt", Status.REPORTED, 0.5, "dating.", "t.v1"),
        Claim("dex-arlo", "sued", "nico-brandt", Status.DENIED, 0.25, "denied.", "t.v1"),
    ]
    if extra:
        entities["ivy-lane"] = Entity("ivy-lane", "Ivy Lane")
        claims.append(
            Claim("ivy-lane", "feudWith", "nico-brandt", Status.ASSERTED, 0.8, "feud.", "t.v1")
        )
    return Extraction(article, entities, claims)


def build_store(path: Path) -> Path:
    with Store(path) as store:  # closed before any server opens it
        write_extraction(store, extraction())
    return path


def start(config: ServerConfig) -> tuple[SparqlServer, threading.Thread]:
    server = make_server(config)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def stop(server: SparqlServer, thread: threading.Thread) -> None:
    server.shutdown()
    thread.join(10)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def graph_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("page") / "graph.html"
    page.write_text("<!doctype html><title>graph</title><p>the graph</p>", encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, graph_page: Path) -> Iterator[SparqlServer]:
    """A read-only server with two workers, a 1.5 s limit and 25 rows."""
    path = build_store(tmp_path_factory.mktemp("server") / "store")
    config = ServerConfig(
        store=path,
        port=0,
        timeout=TIMEOUT,
        max_rows=MAX_ROWS,
        graph_page=graph_page,
        workers=2,
        quiet=True,
    )
    srv, thread = start(config)
    yield srv
    stop(srv, thread)


@pytest.fixture(scope="module")
def update_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparqlServer]:
    """A server that accepts SPARQL Update with the bearer token."""
    path = build_store(tmp_path_factory.mktemp("update") / "store")
    config = ServerConfig(
        store=path, port=0, timeout=TIMEOUT, max_rows=MAX_ROWS, update_token=TOKEN, quiet=True
    )
    srv, thread = start(config)
    yield srv
    stop(srv, thread)


def request(
    server: SparqlServer,
    path: str = "/sparql",
    *,
    query: str | None = None,
    accept: str | None = None,
    data: bytes | None = None,
    content_type: str | None = None,
    method: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str | list[str]] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One bounded HTTP request: (status, headers, body), errors included."""
    fields = dict(params or {})
    if query is not None:
        fields["query"] = query
    url = server.url + path
    if fields:
        url += "?" + urllib.parse.urlencode(fields, doseq=True)
    all_headers = dict(headers or {})
    if accept is not None:
        all_headers["Accept"] = accept
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def json_names(body: bytes) -> list[str]:
    data = json.loads(body)
    return [b["name"]["value"] for b in data["results"]["bindings"]]


def error_line(body: bytes) -> str:
    text = body.decode("utf-8")
    assert text.endswith("\n") and text.count("\n") == 1, text
    return text.strip()


# --- queries and content negotiation -------------------------------------------------------


def test_server_binds_loopback_by_default():
    assert ServerConfig(store=Path("x")).host == "127.0.0.1"


def test_server_select_defaults_to_sparql_json_with_celebgraph_prefixes(server):
    status, headers, body = request(server, query=PERSONS_QUERY)
    assert status == 200
    assert headers["Content-Type"] == "application/sparql-results+json"
    assert json_names(body) == NAMES
    assert "X-Result-Truncated" not in headers


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv; charset=utf-8"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
        ("text/csv;q=0.2, text/tab-separated-values;q=0.8", "text/tab-separated-values"),
        ("application/sparql-results+xml;q=0.5, */*;q=0.9", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_server_select_in_each_results_format(server, accept, content_type):
    status, headers, body = request(server, query=PERSONS_QUERY, accept=accept)
    assert status == 200
    assert headers["Content-Type"].startswith(content_type)
    assert headers["Vary"] == "Accept"
    media = headers["Content-Type"].split(";")[0]
    text = body.decode("utf-8")
    if media == "application/sparql-results+json":
        names = json_names(body)
    elif media == "application/sparql-results+xml":
        root = ET.fromstring(body)
        names = [e.text for e in root.iter(f"{{{SRES}}}literal")]
    elif media == "text/csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["name"]
        names = [r[0] for r in rows[1:]]
    else:
        lines = text.splitlines()
        assert lines[0] == "?name"
        names = [json.loads(line) for line in lines[1:]]  # TSV writes "…" literals
    assert names == NAMES


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        (None, "turtle"),
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/sparql-results+json;q=0.9, application/n-triples", "nt"),
    ],
)
def test_server_construct_in_each_rdf_format(server, accept, rdflib_format):
    query = "CONSTRUCT { ?p rdfs:label ?name } WHERE { ?p a cg:Person ; rdfs:label ?name }"
    status, _, body = request(server, query=query, accept=accept)
    assert status == 200
    graph = Graph().parse(data=body.decode("utf-8"), format=rdflib_format)
    assert sorted(str(o) for o in graph.objects(None, RDFS.label)) == NAMES
    assert (person_iri("dex-arlo"), RDFS.label, Literal("Dex Arlo")) in graph


def test_server_describe_gives_turtle(server):
    status, headers, body = request(server, query="DESCRIBE person:dex-arlo")
    assert status == 200
    assert headers["Content-Type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=body.decode("utf-8"), format="turtle")
    assert (person_iri("dex-arlo"), RDF.type, CG.Person) in graph


@pytest.mark.parametrize("accept", [None, "application/sparql-results+xml", "text/csv"])
def test_server_ask(server, accept):
    status, _, body = request(server, query="ASK { ?x cg:spouseOf ?y }", accept=accept)
    assert status == 200
    if accept is None:
        assert json.loads(body) == {"head": {}, "boolean": True}
    elif accept.endswith("xml"):
        assert ET.fromstring(body).find(f"{{{SRES}}}boolean").text == "true"
    else:
        assert body.strip() == b"true"


def test_server_post_form_and_sparql_query_body(server):
    form = urllib.parse.urlencode({"query": PERSONS_QUERY}).encode("utf-8")
    status, _, body = request(server, data=form, content_type="application/x-www-form-urlencoded")
    assert (status, json_names(body)) == (200, NAMES)
    status, _, body = request(
        server,
        data=PERSONS_QUERY.encode("utf-8"),
        content_type="application/sparql-query; charset=utf-8",
    )
    assert (status, json_names(body)) == (200, NAMES)


def test_server_dataset_parameters(server):
    people = str(PEOPLE_GRAPH)
    # The default graph is only the people graph: persons, but no claims.
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?c a cg:Claim }"
    status, _, body = request(server, query=query, params={"default-graph-uri": people})
    assert status == 200
    assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "0"
    status, _, body = request(server, query=PERSONS_QUERY, params={"default-graph-uri": people})
    assert json_names(body) == NAMES
    # Only the named graphs given are visible to GRAPH.
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    status, _, body = request(server, query=graphs, params={"named-graph-uri": people})
    rows = json.loads(body)["results"]["bindings"]
    assert [r["g"]["value"] for r in rows] == [people]
    status, _, body = request(
        server, query=graphs, params={"named-graph-uri": [people, str(article_iri("server-1"))]}
    )
    assert len(json.loads(body)["results"]["bindings"]) == 2
    status, _, body = request(server, query=graphs, params={"default-graph-uri": "not an iri"})
    assert status == 400
    assert error_line(body).startswith("invalid graph IRI")


# --- errors --------------------------------------------------------------------------------


def test_server_malformed_query_is_400_with_one_line(server):
    status, headers, body = request(server, query="SELECT ?x WHERE { ?x cg:spouseOf }")
    assert status == 400
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert error_line(body).startswith("invalid SPARQL: ")


def test_server_missing_query_is_400(server):
    status, _, body = request(server)
    assert status == 400
    assert "missing query" in error_line(body)


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (PERSONS_QUERY, "image/png"),
        (PERSONS_QUERY, "text/turtle"),
        ("CONSTRUCT WHERE { ?s a cg:Person }", "application/sparql-results+json"),
        (PERSONS_QUERY, "application/sparql-results+json;q=0"),
    ],
)
def test_server_unsupported_accept_is_406(server, query, accept):
    status, _, body = request(server, query=query, accept=accept)
    assert status == 406
    assert "Accept" in error_line(body)


def test_server_unsupported_content_type_is_415(server):
    status, _, body = request(server, data=b"{}", content_type="application/json")
    assert status == 415
    assert "application/sparql-query" in error_line(body)


@pytest.mark.parametrize("how", ["form", "body"])
def test_server_update_is_refused_when_read_only(server, how):
    update = "INSERT DATA { person:x rdfs:label 'X' }"
    if how == "form":
        data = urllib.parse.urlencode({"update": update}).encode("utf-8")
        content_type = "application/x-www-form-urlencoded"
    else:
        data, content_type = update.encode("utf-8"), "application/sparql-update"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    status, _, body = request(server, data=data, content_type=content_type, headers=headers)
    assert status == 403
    assert "read-only" in error_line(body)
    status, _, body = request(server, query="ASK { person:x ?p ?o }")
    assert json.loads(body)["boolean"] is False


def test_server_negotiate_prefers_specific_ranges():
    offers = [("a/x", "X"), ("a/y", "Y"), ("b/z", "Z")]
    assert negotiate(None, offers) == ("a/x", "X")
    assert negotiate("a/*;q=0.5, a/y", offers) == ("a/y", "Y")
    assert negotiate("*/*;q=0.1, b/z;q=0.2", offers) == ("b/z", "Z")
    assert negotiate("a/*, a/x;q=0", offers) == ("a/y", "Y")
    assert negotiate("c/*", offers) is None


# --- limits --------------------------------------------------------------------------------


def test_server_select_is_cut_at_max_rows(server):
    query = "SELECT * WHERE { ?s ?p ?o }"
    status, headers, body = request(server, query=query)
    assert status == 200
    assert len(json.loads(body)["results"]["bindings"]) == MAX_ROWS
    assert headers["X-Result-Truncated"] == "true"
    assert headers["X-Result-Limit"] == str(MAX_ROWS)
    status, headers, body = request(server, query=query, accept="text/csv")
    assert len(body.decode("utf-8").splitlines()) == MAX_ROWS + 1  # the header line
    assert headers["X-Result-Truncated"] == "true"
    # Exactly the limit is not cut.
    status, headers, body = request(server, query=f"{query} LIMIT {MAX_ROWS}")
    assert len(json.loads(body)["results"]["bindings"]) == MAX_ROWS
    assert "X-Result-Truncated" not in headers


def test_server_construct_is_cut_at_max_rows(server):
    status, headers, body = request(
        server, query="CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples"
    )
    assert status == 200
    assert len(body.decode("utf-8").splitlines()) == MAX_ROWS
    assert headers["X-Result-Truncated"] == "true"


def test_server_runaway_query_times_out_while_others_are_served(server):
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["reply"] = request(server, query=RUNAWAY)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)  # the runaway query holds one worker now
    started = time.monotonic()
    status, _, body = request(server, query=PERSONS_QUERY)
    assert (status, json_names(body)) == (200, NAMES)
    assert time.monotonic() - started < TIMEOUT / 2
    assert "reply" not in outcome  # answered while the runaway query was still running
    thread.join(HTTP_TIMEOUT)
    status, _, body = outcome["reply"]
    assert status == 503
    assert error_line(body) == f"query exceeded the {TIMEOUT:g} s limit"
    assert TIMEOUT <= outcome["seconds"] < TIMEOUT + 3
    # The killed worker is replaced: both workers answer again.
    replies = [request(server, query=PERSONS_QUERY) for _ in range(4)]
    assert [r[0] for r in replies] == [200] * 4


# --- updates -------------------------------------------------------------------------------


def test_server_update_needs_the_token(update_server):
    update = b"INSERT DATA { person:eve rdfs:label 'Eve' }"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        status, _, body = request(
            update_server,
            data=update,
            content_type="application/sparql-update",
            headers=headers,
        )
        assert status == 403
        assert "Authorization: Bearer" in error_line(body)
    status, _, body = request(update_server, query="ASK { person:eve ?p ?o }")
    assert json.loads(body)["boolean"] is False


def test_server_update_with_the_token(update_server):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    status, _, body = request(
        update_server,
        data=b"INSERT DATA { GRAPH <urn:test:extra> { person:eve a cg:Person ; rdfs:label 'Eve' }}",
        content_type="application/sparql-update",
        headers=headers,
    )
    assert (status, body) == (204, b"")
    status, _, body = request(update_server, query=PERSONS_QUERY)
    assert json_names(body) == ["Dex Arlo", "Eve", "Mara Quill", "Nico Brandt"]
    form = urllib.parse.urlencode({"update": "DROP GRAPH <urn:test:extra>"}).encode("utf-8")
    status, _, _ = request(
        update_server,
        data=form,
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )
    assert status == 204
    status, _, body = request(update_server, query=PERSONS_QUERY)
    assert json_names(body) == NAMES
    status, _, body = request(
        update_server,
        data=b"INSERT DATA { oops",
        content_type="application/sparql-update",
        headers=headers,
    )
    assert status == 400
    assert error_line(body).startswith("invalid SPARQL")


def test_server_update_mode_recovers_from_a_runaway_query(update_server):
    status, _, body = request(update_server, query=RUNAWAY)
    assert status == 503
    assert error_line(body) == f"query exceeded the {TIMEOUT:g} s limit"
    # The killed worker held the store read-write; its replacement takes the lock over.
    status, _, body = request(update_server, query=PERSONS_QUERY)
    assert status == 200
    assert "Dex Arlo" in json_names(body)


def test_server_update_with_sparqlwrapper(update_server):
    client = SPARQLWrapper(update_server.url + "/sparql")
    client.setMethod(POST)
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    client.setQuery("INSERT DATA { GRAPH <urn:test:sw> { person:sw rdfs:label 'Sparql Wrapper' } }")
    assert client.query().response.status == 204
    client = SPARQLWrapper(update_server.url + "/sparql")
    client.setQuery("ASK { person:sw rdfs:label 'Sparql Wrapper' }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True
    refused = SPARQLWrapper(update_server.url + "/sparql")
    refused.setMethod(POST)
    refused.setQuery("DROP GRAPH <urn:test:sw>")
    with pytest.raises(urllib.error.HTTPError) as info:
        refused.query()
    assert info.value.code == 403
    info.value.close()


# --- CORS and pages ------------------------------------------------------------------------


def test_server_cors_preflight(server):
    status, headers, body = request(
        server,
        method="OPTIONS",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert (status, body) == (204, b"")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "content-type" in headers["Access-Control-Allow-Headers"].lower()
    status, headers, _ = request(server, query=PERSONS_QUERY, headers={"Origin": "https://x"})
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_server_query_page_is_self_contained(server):
    status, headers, body = request(server, "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode("utf-8")
    assert "<textarea" in page and 'fetch("sparql"' in page
    assert '"cg": "https://w3id.org/celebgraph/ontology#"' in page  # prefixes filled in
    for attribute in ('src="http', "src='http", 'href="http', "@import", "url("):
        assert attribute not in page


def test_server_graph_page(server, update_server):
    status, headers, body = request(server, "/graph")
    assert (status, body) == (200, b"<!doctype html><title>graph</title><p>the graph</p>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    status, _, body = request(update_server, "/graph")
    assert status == 404
    assert "--graph-page" in error_line(body)
    status, _, body = request(server, "/nothing-here")
    assert status == 404


# --- real clients --------------------------------------------------------------------------


def test_server_sparqlwrapper_select_ask_construct(server):
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(PERSONS_QUERY)
    client.setReturnFormat(JSON)
    result = client.query().convert()
    assert [b["name"]["value"] for b in result["results"]["bindings"]] == NAMES
    client.setReturnFormat(XML)
    doc = client.query().convert()  # an xml.dom.minidom document
    assert len(doc.getElementsByTagName("result")) == 3
    client.setMethod(POST)
    client.setQuery("ASK { ?x cg:sued ?y }")  # denied: no fact
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is False
    client.setQuery("CONSTRUCT WHERE { ?p a cg:Person }")
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) == 3
    client.setReturnFormat(XML)
    graph = client.query().convert()  # an rdflib Graph, from RDF/XML
    assert set(graph.subjects(RDF.type, CG.Person)) == {
        person_iri(k) for k in ("dex-arlo", "mara-quill", "nico-brandt")
    }
    client.setQuery("SELECT WHERE {")
    with pytest.raises(QueryBadFormed):
        client.query()


def test_server_rdflib_sparqlstore(server):
    store = SPARQLStore(query_endpoint=server.url + "/sparql", timeout=HTTP_TIMEOUT)
    graph = Graph(store=store)
    try:
        rows = graph.query(
            "SELECT ?name WHERE { ?p a <https://w3id.org/celebgraph/ontology#Person> ;"
            " <http://www.w3.org/2000/01/rdf-schema#label> ?name } ORDER BY ?name"
        )
        assert [str(r.name) for r in rows] == NAMES
        assert graph.query("ASK { ?x cg:spouseOf ?y }").askAnswer is True
        spouses = set(graph.triples((None, CG.spouseOf, None)))
        assert spouses == {(person_iri("dex-arlo"), CG.spouseOf, person_iri("mara-quill"))}
        assert (person_iri("nico-brandt"), RDF.type, CG.Person) in graph
        constructed = graph.query("CONSTRUCT WHERE { ?p a cg:Person }").graph
        assert len(constructed) == 3
    finally:
        store.close()


# --- the store underneath ------------------------------------------------------------------


def test_server_sees_writes_made_while_it_runs(tmp_path):
    path = build_store(tmp_path / "store")
    srv, thread = start(ServerConfig(store=path, port=0, workers=1, quiet=True))
    try:
        assert json_names(request(srv, query=PERSONS_QUERY)[2]) == NAMES
        # A read-only server takes no lock: an ingest can write meanwhile.
        with Store(path) as store:
            write_extraction(store, extraction("server-2", extra=True))
        names = json_names(request(srv, query=PERSONS_QUERY)[2])
        assert names == ["Dex Arlo", "Ivy Lane", "Mara Quill", "Nico Brandt"]
    finally:
        stop(srv, thread)


def test_server_refuses_a_missing_store(tmp_path):
    with pytest.raises(StoreError, match="no celebgraph store"):
        make_server(ServerConfig(store=tmp_path / "nothing", port=0, quiet=True))


def test_server_with_updates_holds_the_store_lock(tmp_path, monkeypatch):
    monkeypatch.setenv("CELEBGRAPH_LOCK_TIMEOUT", "0")  # no waiting for the lock
    path = build_store(tmp_path / "store")
    srv, thread = start(ServerConfig(store=path, port=0, update_token=TOKEN, quiet=True))
    try:
        with pytest.raises(StoreError):
            Store(path)
    finally:
        stop(srv, thread)
    with Store(path) as store:  # shutdown released it
        assert len(store) > 0


def test_server_config_validates():
    with pytest.raises(ValueError, match="timeout"):
        ServerConfig(store=Path("x"), timeout=0)
    with pytest.raises(ValueError, match="max_rows"):
        ServerConfig(store=Path("x"), max_rows=0)
    with pytest.raises(ValueError, match="update_token"):
        ServerConfig(store=Path("x"), update_token=" ")


def test_server_terms_keep_datatype_language_and_blank_nodes(server):
    query = (
        "SELECT ?conf ?greeting ?node ?unbound WHERE { ?c cg:confidence ?conf ."
        " BIND(STRLANG('hi', 'en') AS ?greeting) BIND(BNODE() AS ?node) } LIMIT 1"
    )
    status, _, body = request(server, query=query)
    assert status == 200
    (binding,) = json.loads(body)["results"]["bindings"]
    assert binding["conf"]["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal"
    assert binding["greeting"] == {"type": "literal", "value": "hi", "xml:lang": "en"}
    assert binding["node"]["type"] == "bnode"
    assert "unbound" not in binding
    status, _, body = request(server, query=query, accept="application/sparql-results+xml")
    literal = ET.fromstring(body).find(f".//{{{SRES}}}binding[@name='greeting']/{{{SRES}}}literal")
    assert literal.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
