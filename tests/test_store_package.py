"""The store package's contract: no import circle, one backend choice (open_store), one
format table, and every backend (embedded, in memory, a real Virtuoso) keeping the same
contract with the same result types."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

import celebgraph
from celebgraph.errors import StoreError
from celebgraph.store import (
    MemoryStore,
    RemoteStore,
    Store,
    Triples,
    TripleStore,
    formats,
    open_store,
)
from conftest import clear_remote

SRC = Path(celebgraph.__file__).parent
A = URIRef("https://w3id.org/celebgraph/resource/test-a")
B = URIRef("https://w3id.org/celebgraph/resource/test-b")
NAME = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
KNOWS = URIRef("https://w3id.org/celebgraph/ontology#collaboratedWith")
GRAPH = URIRef("https://w3id.org/celebgraph/article/test-1")
OTHER = URIRef("https://w3id.org/celebgraph/article/test-2")


# --- imports --------------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every celebgraph module ``path`` imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("celebgraph")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("celebgraph"):
            assert node.level == 0, f"{path}: relative import"
            found.add(node.module)
            # `from celebgraph.store import bulk` imports the module celebgraph.store.bulk.
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in SRC.rglob("*.py")}
    return {name: imports_of(path) & modules.keys() - {name} for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_store_package_has_no_import_circle():
    graph = import_graph()
    store_modules = {m for m in graph if m.startswith("celebgraph.store")}
    assert {"celebgraph.store.protocol", "celebgraph.store.formats", "celebgraph.store.sparql"} <= (
        store_modules
    )
    # The package's modules never import the package itself (its __init__ imports them).
    for module in store_modules - {"celebgraph.store"}:
        assert "celebgraph.store" not in graph[module], module
    through_store = [c for c in cycles(graph) if any(m in store_modules for m in c)]
    assert through_store == []


def test_store_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_store_only_open_store_picks_a_backend():
    """No module but the store package constructs a backend or a pyoxigraph store on disk."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.is_relative_to(SRC / "store"):
            continue
        text = path.read_text("utf-8")
        for needle in ("ox.Store(", "Store.read_only(", "RemoteStore(", "Store(path"):
            if needle in text:
                offenders.append(f"{path.relative_to(SRC)}: {needle}")
    assert offenders == []


def test_store_public_api_kept():
    assert celebgraph.Store is Store and celebgraph.RemoteStore is RemoteStore
    assert celebgraph.open_store is open_store


# --- formats --------------------------------------------------------------------------------


def test_store_one_format_table():
    from celebgraph.server import formats as served

    for name, info in formats.RDF_FORMATS.items():
        assert ox.RdfFormat.from_extension(info.suffix.lstrip(".")) == info.format, name
        assert ox.RdfFormat.from_media_type(info.media_type) == info.format, name
    for name, info in formats.RESULTS_FORMATS.items():
        assert ox.QueryResultsFormat.from_media_type(info.media_type) == info.format, name
    assert served.GRAPH_TYPES[0] == ("text/turtle", "turtle")
    assert served.RESULTS_TYPES[0] == ("application/sparql-results+json", "json")
    assert {name for _, name in served.GRAPH_TYPES} == {"turtle", "ntriples", "jsonld", "rdfxml"}
    from celebgraph.store import bulk

    assert set(bulk.FORMATS) == {".nq", ".trig", ".jsonld"}
    with pytest.raises(StoreError, match="unknown format 'xls'; use one of nquads, trig"):
        formats.rdf_format("xls")


# --- every backend keeps the contract --------------------------------------------------------


@pytest.fixture(params=["embedded", "memory", "virtuoso"])
def spec(request, tmp_path) -> str:
    if request.param == "embedded":
        return str(tmp_path / "store")
    if request.param == "memory":
        return ":memory:"
    url = request.getfixturevalue("virtuoso_server").url
    clear_remote(url)
    return url


def test_store_backend_keeps_the_contract(spec):
    with open_store(spec) as store:
        assert isinstance(store, TripleStore)
        assert isinstance(store, Store | MemoryStore | RemoteStore)
        store.check()
        counts = store.replace_graphs(
            [
                (GRAPH, [(A, KNOWS, B)], [], []),
                (OTHER, [(A, NAME, Literal('Dwayne "The Rock"')), (B, NAME, Literal("b"))], [], []),
            ]
        )
        assert counts == [1, 2]
        assert store.replace_graph(GRAPH, [(B, KNOWS, A)]) == 1  # replaced, not added to
        assert store.count_graphs() == 2 and len(store) == 3
        assert store.read_graph(GRAPH) == [
            ox.Triple(ox.NamedNode(str(B)), ox.NamedNode(str(KNOWS)), ox.NamedNode(str(A)))
        ]

        select = store.query("SELECT ?s ?name WHERE { ?s rdfs:label ?name }", {"name": "b"})
        assert select.kind == "select" and isinstance(select.raw, ox.QuerySolutions)
        assert [row["s"].value for row in select.raw] == [str(B)]
        ask = store.query("ASK { ?s cg:collaboratedWith ?o }")
        assert ask.kind == "ask" and isinstance(ask.raw, ox.QueryBoolean) and bool(ask.raw)
        graph = store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": GRAPH})
        assert graph.kind == "graph" and isinstance(graph.raw, Triples)
        data = graph.raw.serialize(format=ox.RdfFormat.N_TRIPLES)  # read once, as pyoxigraph's
        assert data.count(b"collaboratedWith") == 1

        out = io.BytesIO()
        store.export(out, "nquads")
        assert len(out.getvalue().splitlines()) == 3


def test_store_results_outlive_the_store(tmp_path):
    """api.query reads the answer whole before it closes the store: same types."""
    path = tmp_path / "store"
    with open_store(path) as store:
        store.replace_graph(GRAPH, [(A, KNOWS, B)])
    graph = celebgraph.query(path, "CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(graph.raw, Triples) and len(list(graph.raw)) == 1
    assert isinstance(celebgraph.query(path, "ASK {}").raw, ox.QueryBoolean)
    assert isinstance(celebgraph.query(path, "SELECT * {}").raw, ox.QuerySolutions)


def test_store_remote_refuses_bulk_load(virtuoso_server, tmp_path):
    with pytest.raises(StoreError, match="own bulk loader"):
        celebgraph.load([tmp_path / "x.nq"], store=virtuoso_server.url)
