"""The SPARQL endpoint (celebgraph.server), over HTTP on 127.0.0.1 with real clients.

Servers run on a free port in a thread of this process; their query workers are separate
processes. Every request has a timeout and every server is shut down by its fixture.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import http.client
import io
import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from browser import Browser, find_chromium
from celebgraph import CG, QueryError, Store, StoreError
from celebgraph.api import write_extraction
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import PEOPLE_GRAPH, Status, article_iri, person_iri
from celebgraph.server import ServerConfig, SparqlServer, make_server, negotiate, query_page
from celebgraph.server.app import GRAPH_PAGE_CSP, query_page_csp
from celebgraph.sparql_checks import check_sparql
from celebgraph.viz import to_html
from conftest import SCRIPT

TOKEN = "s3cret-token"
TIMEOUT = 1.5  # the servers' query limit, seconds
MAX_ROWS = 25
HTTP_TIMEOUT = 20  # any one request of these tests, seconds
FORM = "application/x-www-form-urlencoded"
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


class ServerProcess:
    """``celebgraph serve`` as a process of its own on a free loopback port."""

    def __init__(self, store: Path, *options: str) -> None:
        command = [str(SCRIPT), "serve", "--store", str(store), "--port", "0", *options]
        self.process = subprocess.Popen(
            command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        self.lines: list[str] = []
        assert self.process.stderr is not None
        for line in self.process.stderr:  # the server names its URL once it listens
            self.lines.append(line)
            if line.startswith("SPARQL endpoint at "):
                self.url = line.split()[3].rstrip(",").removesuffix("/sparql")
                break
        else:
            raise AssertionError(f"the server did not start: {''.join(self.lines)}")
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.process.terminate()
        try:
            assert self.process.wait(15) == 0, "".join(self.lines)
        finally:
            if self.process.poll() is None:
                self.process.kill()


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
) -> tuple[int, Message, bytes]:
    """One bounded HTTP request: (status, headers, body), errors included; header names
    are case-insensitive, as in HTTP."""
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
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


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
    form = "application/x-www-form-urlencoded"
    status, _, body = request(server, data=b"", content_type=form)
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


# --- probes: a server process of its own, as an attacker or a careless client sees it -----

PROBE_TIMEOUT = 2.0
PROBE_MEMORY_MB = 256
# Five copies of every triple, sorted: the sort holds every row, memory grows without end.
MEMORY_HOG = (
    "SELECT * WHERE { "
    + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(5))
    + " } ORDER BY ?o0 ?o1 ?o2 ?o3 ?o4 LIMIT 1"
)


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``celebgraph serve`` in a process: read-only, 2 workers, 2 s, 256 MB, 1 s idle."""
    path = build_store(tmp_path_factory.mktemp("probe") / "store")
    server = ServerProcess(
        path,
        *("--timeout", str(PROBE_TIMEOUT), "--max-memory", str(PROBE_MEMORY_MB)),
        *("--idle-timeout", "1", "--max-rows", str(MAX_ROWS)),
    )
    yield server
    server.stop()


def raw(server: ServerProcess, data: bytes, source: str = "127.0.0.1") -> bytes:
    """Bytes sent as they are on a new connection; everything the server answers."""
    host, port = urllib.parse.urlsplit(server.url).netloc.rsplit(":", 1)
    with socket.create_connection((host, int(port)), HTTP_TIMEOUT, (source, 0)) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def still_serving(server: ServerProcess) -> None:
    status, _, body = request(server, query=PERSONS_QUERY)
    assert (status, json_names(body)) == (200, NAMES)
    assert server.alive()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_probe_other_methods_get_405_with_allow(probe, method):
    status, headers, body = request(probe, method=method, query="ASK {}")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    assert error_line(body) == f"{method} is not allowed here"
    still_serving(probe)


def test_probe_chunked_body_is_read(probe):
    query = b"ASK { ?x cg:spouseOf ?y }"
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (query[:7], query[7:])) + b"0\r\n\r\n"
    answer = raw(
        probe,
        b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked,
    )
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b'{"head":{},"boolean":true}')


def test_probe_negative_content_length_is_400(probe):
    answer = raw(
        probe,
        b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: -5\r\n\r\nASK {}",
    )
    assert answer.startswith(b"HTTP/1.1 400 ")
    still_serving(probe)


def test_probe_charset_of_a_post_body_is_honoured(probe):
    query = 'SELECT ?v WHERE { BIND("café" AS ?v) }'
    form = urllib.parse.urlencode({"query": query}, encoding="latin-1").encode("ascii")
    status, _, body = request(
        probe, data=form, content_type="application/x-www-form-urlencoded; charset=ISO-8859-1"
    )
    assert status == 200
    assert json.loads(body)["results"]["bindings"][0]["v"]["value"] == "café"
    # The protocol wants a direct query in UTF-8: another charset is refused, not misread.
    status, _, body = request(
        probe,
        data=query.encode("utf-16"),
        content_type="application/sparql-query; charset=UTF-16",
    )
    assert status == 415
    assert "must be UTF-8" in error_line(body)
    status, _, body = request(probe, data=b"query=x", content_type=f"{FORM}; charset=nonsense")
    assert (status, error_line(body)) == (415, "unknown charset 'nonsense' in Content-Type")


def test_probe_idle_connections_are_closed(probe):
    host, port = urllib.parse.urlsplit(probe.url).netloc.rsplit(":", 1)
    with socket.create_connection((host, int(port)), HTTP_TIMEOUT) as sock:
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        while not answer.endswith(b'"boolean":true}'):  # headers and body may come apart
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 ")  # kept alive after the answer...
        started = time.monotonic()
        assert sock.recv(65536) == b""  # ...then closed by the server when idle
        assert 0.5 < time.monotonic() - started < 4


def test_probe_fifty_parallel_connects_are_accepted_at_once(probe):
    host, port = urllib.parse.urlsplit(probe.url).netloc.rsplit(":", 1)
    times: list[float] = []

    def connect() -> None:
        started = time.monotonic()
        with socket.create_connection((host, int(port)), HTTP_TIMEOUT):
            times.append(time.monotonic() - started)

    threads = [threading.Thread(target=connect) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(times) == 200
    assert max(times) < 0.9  # a full listen queue would retransmit the SYN after 1 s
    still_serving(probe)


def test_probe_memory_hog_is_stopped_while_others_are_served(probe):
    outcome: dict[str, object] = {}
    hog = threading.Thread(target=lambda: outcome.update(reply=request(probe, query=MEMORY_HOG)))
    hog.start()
    still_serving(probe)
    hog.join(HTTP_TIMEOUT)
    status, _, body = outcome["reply"]
    assert status == 503
    assert error_line(body) == f"query exceeded the memory limit of {PROBE_MEMORY_MB} MB"
    still_serving(probe)


def _loop(server: ServerProcess, source: str, query: str, stop: threading.Event) -> None:
    host, port = urllib.parse.urlsplit(server.url).netloc.rsplit(":", 1)
    path = "/sparql?" + urllib.parse.urlencode({"query": query})
    while not stop.is_set():
        conn = http.client.HTTPConnection(host, int(port), HTTP_TIMEOUT, (source, 0))
        try:
            conn.request("GET", path)
            conn.getresponse().read()
        finally:
            conn.close()


def test_probe_a_client_looping_slow_queries_does_not_starve_others(probe):
    stop = threading.Event()
    hogs = [
        threading.Thread(target=_loop, args=(probe, "127.0.0.2", RUNAWAY, stop)) for _ in range(4)
    ]
    for hog in hogs:
        hog.start()
    try:
        # Its first slow queries may take both workers; once they were stopped, the
        # client counts as heavy and one worker stays for the others.
        time.sleep(PROBE_TIMEOUT + 0.5)
        for _ in range(5):
            started = time.monotonic()
            still_serving(probe)
            assert time.monotonic() - started < PROBE_TIMEOUT / 2
    finally:
        stop.set()
        for hog in hogs:
            hog.join(HTTP_TIMEOUT)


def test_probe_service_and_load_are_refused(probe, tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    with listener:
        for query in (
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
            "SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }",
        ):
            status, _, body = request(probe, query=query)
            assert status == 400
            assert "refused" in error_line(body) and "--allow-federation" in error_line(body)
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing was fetched
    # A string or a comment that says SERVICE is no SERVICE.
    status, _, _ = request(probe, query="ASK { FILTER('SERVICE <http://x/>' != '') } # SERVICE")
    assert status == 200
    path = build_store(tmp_path / "store")
    updater = ServerProcess(path, "--allow-update-token", TOKEN)
    try:
        status, _, body = request(
            updater,
            data=f"LOAD <{target}> INTO GRAPH <urn:x>".encode(),
            content_type="application/sparql-update",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert status == 400
        assert error_line(body).startswith("LOAD of a remote document refused")
    finally:
        updater.stop()


def test_probe_federation_never_reaches_private_addresses_unless_listed(probe, tmp_path):
    path = build_store(tmp_path / "store")
    inner = f"{probe.url}/sparql"
    query = f"SELECT ?name WHERE {{ SERVICE <{inner}> {{ ?p a cg:Person ; rdfs:label ?name }} }}"
    open_server = ServerProcess(path, "--allow-federation")
    try:
        for target in (inner, "http://10.1.2.3/sparql", "http://169.254.169.254/latest"):
            status, _, body = request(open_server, query=query.replace(inner, target))
            assert status == 400
            assert "loopback, private or link-local" in error_line(body)
    finally:
        open_server.stop()
    listed = ServerProcess(path, "--allow-federation", "--allow-host", "127.0.0.1")
    try:
        status, _, body = request(listed, query=query + " ORDER BY ?name")
        assert (status, json_names(body)) == (200, NAMES)
    finally:
        listed.stop()


def test_probe_query_page_links_only_http_iris_and_has_a_strict_csp(probe):
    status, headers, body = request(probe, "/")
    page = body.decode("utf-8")
    assert status == 200
    assert "/^https?:\\/\\//i.test(term.value)" in page  # the only place a link is made
    assert page.count("a.href =") == 1
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in policy  # that script runs, nothing else
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_probe_graph_page_has_its_own_csp(server):
    status, headers, _ = request(server, "/graph")
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "script-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    assert "connect-src" not in policy  # falls back to 'none'


def test_probe_cors_only_on_read_answers(update_server):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, headers, _ = request(update_server, query="ASK {}")
    assert (status, headers["Access-Control-Allow-Origin"]) == (200, "*")
    for token in (auth, {}):
        status, headers, _ = request(
            update_server,
            data=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
            content_type="application/sparql-update",
            headers=token,
        )
        assert status in (204, 403)
        assert headers["Access-Control-Allow-Origin"] is None
    status, headers, _ = request(update_server, method="OPTIONS")
    assert "authorization" not in headers["Access-Control-Allow-Headers"].lower()


def test_probe_nesting_is_refused_by_server_api_and_cli(probe, tmp_path):
    deep = "ASK { FILTER(" + "(" * 6000 + "1" + ")" * 6000 + ") }"
    chain = "ASK { FILTER(1" + "+1" * 7000 + ") }"
    for query in (deep, chain):
        status, _, body = request(
            probe, data=query.encode(), content_type="application/sparql-query"
        )
        assert status == 400
        assert error_line(body).startswith(("query nested too deeply", "query too complex"))
    still_serving(probe)
    path = build_store(tmp_path / "store")
    with Store(path) as store, pytest.raises(QueryError, match="nested too deeply"):
        store.query(deep)
    query_file = tmp_path / "deep.rq"
    query_file.write_text(deep, encoding="utf-8")
    done = subprocess.run(
        [str(SCRIPT), "query", "--store", str(path), "-f", str(query_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done
    assert "nested too deeply" in done.stderr


def test_probe_from_selects_the_dataset_and_relative_iris_resolve(probe):
    people = str(PEOPLE_GRAPH)
    claims = f"SELECT (COUNT(*) AS ?n) FROM <{people}> WHERE {{ ?c a cg:Claim }}"
    status, _, body = request(probe, query=claims)
    assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "0"
    status, _, body = request(probe, query=claims.replace(f"FROM <{people}> ", ""))
    assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "3"
    status, _, body = request(probe, query="SELECT ?x WHERE { BIND(<other> AS ?x) }")
    assert status == 200
    assert json.loads(body)["results"]["bindings"][0]["x"]["value"] == f"{probe.url}/other"


def test_probe_readers_during_an_ingest_get_no_500(tmp_path):
    path = build_store(tmp_path / "store")
    server = ServerProcess(path, "--workers", "2")
    statuses: Counter[int] = Counter()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            status, _, body = request(server, query=PERSONS_QUERY)
            statuses[status] += 1
            assert status == 200, body

    readers = [threading.Thread(target=read) for _ in range(3)]
    try:
        for reader in readers:
            reader.start()
        for n in range(40):  # as ingest writes: open, write a batch, close, a pause
            with Store(path) as store:
                for k in range(5):
                    write_extraction(store, extraction(f"ingest-{n}-{k}", extra=True))
            time.sleep(0.05)
    finally:
        stop.set()
        for reader in readers:
            reader.join(HTTP_TIMEOUT)
        server.stop()
    assert set(statuses) == {200}
    assert statuses[200] > 50


def test_probe_using_graph_uri_cannot_inject_operations(update_server):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    update = b"INSERT { GRAPH <urn:test:copy> { ?s ?p ?o } } WHERE { ?s ?p ?o }"
    evil = "urn:x> WHERE {} ; DROP ALL ; INSERT { <urn:a> <urn:b> <urn:c> } USING <urn:y"
    status, _, body = request(
        update_server,
        data=update,
        content_type="application/sparql-update",
        headers=auth,
        params={"using-graph-uri": evil},
    )
    assert status == 400
    assert error_line(body).startswith("invalid graph IRI")
    status, _, body = request(update_server, query=PERSONS_QUERY)
    assert "Dex Arlo" in json_names(body)  # nothing was dropped


def test_nesting_check_reads_strings_iris_and_comments_as_text():
    braces = "{" * 300
    check_sparql(f"ASK {{ FILTER(STR('{braces}') != \"{braces}\") }} # {braces}")
    check_sparql(f"ASK {{ <urn:a> <urn:b> '''{braces}''' }}")
    with pytest.raises(QueryError, match="nested too deeply: 201 levels"):
        check_sparql("ASK " + "{" * 201 + "}" * 201)
    with pytest.raises(QueryError, match="too long"):
        check_sparql("#" * 1_000_001)


def test_probe_pages_run_under_their_csp_in_a_browser(tmp_path):
    """Both pages work under the policy they are served with (given here as a meta tag:
    the browser test harness opens files), and the query page links only http(s) IRIs."""
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium: install Debian's chromium or set CELEBGRAPH_CHROMIUM")

    def with_policy(page: str, policy: str) -> str:
        policy = policy.replace("; frame-ancestors 'none'", "")  # not allowed in a meta tag
        meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        return page.replace("<head>", "<head>" + meta, 1)

    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", relation="friendOf", status="asserted", confidence=0.9,
                   evidence="e", article="x", headline="H", support=1)  # fmt: skip
    graph_page = tmp_path / "graph.html"
    graph_page.write_text(with_policy(to_html(graph), GRAPH_PAGE_CSP), encoding="utf-8")
    browser = Browser(binary, tmp_path / "profile")
    try:
        assert browser.open(graph_page)["edges"] == 1
        assert browser.problems(graph_page) == []
    finally:
        browser.close()
    page = tmp_path / "query.html"
    page.write_text(with_policy(query_page().decode(), query_page_csp()), encoding="utf-8")
    browser = Browser(binary, tmp_path / "profile2")
    try:
        with pytest.raises(AssertionError):  # no graph to settle: just let the page load
            browser.open(page, timeout=1)
        assert browser.js("typeof cell") == "function"  # the hashed script ran
        shown = "cell({type: 'uri', value: %r}).innerHTML"
        assert browser.js(shown % "javascript:alert(1)") == "javascript:alert(1)"
        assert browser.js(shown % "https://x.example/a").startswith('<a href="https://x.example/a"')
        assert browser.problems(page) == []
    finally:
        browser.close()
