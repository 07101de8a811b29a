"""The W3C SPARQL 1.1 Protocol and Service Description tests, against ``celebgraph serve``.

Reads the manifests of ``../shared/w3c/`` (see its README; skipped when it is missing; the
repository keeps no copy), starts one update-enabled server process on an empty store and
runs every protocol test as the manifest describes it: before each, the store is emptied
and the test's ``ut:graphData`` files loaded into the graphs they name; then each
``ht:Request`` is sent as written (method, path, headers, body in its encoding, plus the
update token) and its response checked: status class, result format, boolean.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS

from celebgraph import Store
from test_server import TOKEN, ServerProcess

W3C = Path(__file__).parents[2] / "shared" / "w3c"
PROTOCOL = W3C / "sparql11-protocol" / "manifest.ttl"
SERVICE_DESCRIPTION = W3C / "sparql11-service-description" / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SRES = "{http://www.w3.org/2005/sparql-results#}"
#: Result format names of the manifest → the media types that count as that format.
FORMATS = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {"text/turtle", "application/rdf+xml", "application/n-triples"},
}
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
}

pytestmark = pytest.mark.skipif(
    not PROTOCOL.is_file(), reason=f"no W3C test material at {W3C} (see its README)"
)


def _manifest(path: Path) -> tuple[Graph, list[URIRef]]:
    graph = Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return graph, list(Collection(graph, graph.value(manifest, MF.entries)))


def _names(path: Path) -> list[str]:
    if not path.is_file():
        return ["(no manifest)"]
    graph, entries = _manifest(path)
    return [str(graph.value(e, MF.name)) for e in entries]


def _protocol_tests() -> dict[str, tuple[Graph, URIRef]]:
    graph, entries = _manifest(PROTOCOL)
    return {str(graph.value(e, MF.name)): (graph, e) for e in entries}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    path = tmp_path_factory.mktemp("w3c") / "store"
    Store(path).close()
    server = ServerProcess(path, "--allow-update-token", TOKEN, "--timeout", "10")
    yield server
    server.stop()


def send(
    server: ServerProcess,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, bytes]:
    """One request on a connection of its own: (status, media type, body)."""
    host, port = urllib.parse.urlsplit(server.url).netloc.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers={**(headers or {}), "Connection": "close"})
        response = conn.getresponse()
        media = (response.getheader("Content-Type") or "").split(";")[0].strip()
        return response.status, media, response.read()
    finally:
        conn.close()


def _update(server: ServerProcess, text: str) -> None:
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}
    status, _, body = send(server, "POST", "/sparql", text.encode("utf-8"), headers)
    assert status == 204, body


def load_graph_data(server: ServerProcess, graph: Graph, test: URIRef) -> None:
    """An empty store, then each ``ut:graphData`` file in the graph its label names."""
    _update(server, "DROP ALL")
    for data in graph.objects(test, UT.graphData):
        name = graph.value(data, RDFS.label)
        triples = Path(urllib.parse.urlsplit(graph.value(data, UT.graph)).path).read_text("utf-8")
        _update(server, f"INSERT DATA {{ GRAPH <{name}> {{ {triples} }} }}")


def _boolean(media: str, body: bytes) -> bool:
    if media == "application/sparql-results+json":
        return json.loads(body)["boolean"]
    return ET.fromstring(body).find(f"{SRES}boolean").text == "true"


def check_response(graph: Graph, expected: URIRef, status: int, media: str, body: bytes) -> None:
    classes = {int(str(c)[-3]) for c in graph.objects(expected, MF.expectedStatus)}
    assert status // 100 in classes, (status, body[:300])
    fmt = graph.value(expected, MF.expectedFormat)
    if fmt is not None:
        assert media in FORMATS[str(fmt)], media
        if str(fmt) == "RDF":
            Graph().parse(data=body, format=RDFLIB_FORMATS[media])
    boolean = graph.value(expected, MF.expectedBoolean)
    if boolean is not None:
        assert _boolean(media, body) is boolean.toPython()


@pytest.mark.parametrize("name", _names(PROTOCOL))
def test_w3c_protocol(endpoint: ServerProcess, name: str) -> None:
    graph, test = _protocol_tests()[name]
    load_graph_data(endpoint, graph, test)
    action = graph.value(test, MF.action)
    for request in Collection(graph, graph.value(action, HT.requests)):
        headers = {"Authorization": f"Bearer {TOKEN}"}
        for header in Collection(graph, graph.value(request, HT.headers) or RDF.nil):
            headers[str(graph.value(header, HT.fieldName))] = str(
                graph.value(header, HT.fieldValue)
            )
        body = graph.value(request, HT.body)
        data = None
        if body is not None:
            encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
            data = str(graph.value(body, CNT.chars)).encode(encoding)
        method = str(graph.value(request, HT.methodName))
        path = str(graph.value(request, HT.absolutePath))
        status, media, answer = send(endpoint, method, path, data, headers)
        check_response(graph, graph.value(request, HT.resp), status, media, answer)
    assert endpoint.alive()


@pytest.fixture(scope="module")
def description(endpoint: ServerProcess) -> tuple[str, Graph]:
    """The service description a GET without a query answers, with three graphs loaded."""
    _update(endpoint, "DROP ALL")
    for n in (1, 2, 3):
        _update(endpoint, f"INSERT DATA {{ GRAPH <http://example.org/g{n}> {{ <s> <p> {n} }} }}")
    status, media, body = send(endpoint, "GET", "/sparql")
    assert status == 200, body
    return media, Graph().parse(data=body, format=RDFLIB_FORMATS[media])


@pytest.mark.parametrize("name", _names(SERVICE_DESCRIPTION))
def test_w3c_service_description(
    endpoint: ServerProcess, description: tuple[str, Graph], name: str
) -> None:
    media, graph = description
    services = list(graph.subjects(RDF.type, SD.Service))
    if name == "GET on endpoint returns RDF":
        assert media in FORMATS["RDF"] and len(graph) > 0 and services
        for accept, expected in [
            ("application/rdf+xml", "application/rdf+xml"),
            ("application/n-triples", "application/n-triples"),
        ]:
            status, got, body = send(endpoint, "GET", "/sparql", headers={"Accept": accept})
            assert (status, got) == (200, expected)
            assert len(Graph().parse(data=body, format=RDFLIB_FORMATS[got])) == len(graph)
    elif name == "Service description contains a matching sd:endpoint triple":
        assert [graph.value(s, SD.endpoint) for s in services] == [URIRef(endpoint.url + "/sparql")]
    else:
        assert name == "Service description conforms to schema", name
        named = list(graph.subjects(RDF.type, SD.NamedGraph))
        assert sorted(str(graph.value(g, SD.name)) for g in named) == [
            f"http://example.org/g{n}" for n in (1, 2, 3)
        ]
        (service,) = services
        assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
        assert len(list(graph.objects(service, SD.resultFormat))) >= 4
        available = graph.value(service, SD.availableGraphs)
        assert len(list(graph.objects(available, SD.namedGraph))) == 3
