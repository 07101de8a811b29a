"""The RDF store: an embedded, on-disk Oxigraph database (no server needed).

Each article's triples live in the named graph named by the article's IRI. Writing an
article replaces that graph in one transaction, so re-ingesting is idempotent and a crash
leaves either the old or the new version of the article, never half of one. Queries see
the union of all graphs as their default graph.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from celebgraph.errors import QueryError, StoreError
from celebgraph.ontology import PREFIXES, SCHEMA
from celebgraph.rdf import Triple

SCHEMA_MENTIONS = str(SCHEMA.mentions)

ENV_VAR = "CELEBGRAPH_STORE"

#: Export formats by name: (pyoxigraph format, keeps named graphs).
RDF_FORMATS: dict[str, tuple[ox.RdfFormat, bool]] = {
    "nquads": (ox.RdfFormat.N_QUADS, True),
    "trig": (ox.RdfFormat.TRIG, True),
    "turtle": (ox.RdfFormat.TURTLE, False),
    "ntriples": (ox.RdfFormat.N_TRIPLES, False),
    "jsonld": (ox.RdfFormat.JSON_LD, True),
    "rdfxml": (ox.RdfFormat.RDF_XML, False),
}


def default_store_path() -> Path:
    """``$CELEBGRAPH_STORE``, else ``$XDG_DATA_HOME/celebgraph/store`` (~/.local/share/...)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "celebgraph" / "store"


def to_oxigraph(term: URIRef | Literal | BNode) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """rdflib term → pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    return ox.BlankNode(str(term))


def _nt(triple: Triple) -> str:
    s, p, o = triple
    return f"{to_oxigraph(s)} {to_oxigraph(p)} {to_oxigraph(o)} ."


def _insert(graph: ox.NamedNode, lines: list[str]) -> str:
    return f"INSERT DATA {{ GRAPH {graph} {{\n" + "\n".join(lines) + "\n} }"


@dataclass(frozen=True)
class QueryResult:
    """The answer to a SPARQL query: ``kind`` is "select", "ask" or "graph"."""

    kind: str
    raw: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class Store:
    """An on-disk celebgraph store.

    >>> import tempfile
    >>> with Store(tempfile.mkdtemp()) as store:
    ...     store.count_graphs()
    0
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._db = ox.Store(str(self.path))
        except OSError as exc:
            message = str(exc)
            if "lock" in message.lower():
                message = "it is in use by another celebgraph process; wait for it to finish"
            raise StoreError(f"cannot open store {self.path}: {message}") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "_db", None) is not None:
            self._db.flush()
            self._db = None

    def replace_graph(
        self,
        graph: URIRef,
        triples: Iterable[Triple],
        add: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
        add_if_absent: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
    ) -> int:
        """Replace the named graph ``graph`` by ``triples``, in one transaction.

        ``add`` lists (graph, triples) to add in the same transaction; ``add_if_absent``
        adds a (subject, predicate, object) only where the subject has no value for the
        predicate yet (one label per person, whoever names them first).
        """
        name = to_oxigraph(graph)
        add = [(g, list(t)) for g, t in add]
        lines = [_nt(t) for t in triples]
        parts = [*self._forget_people(name, add), f"DROP SILENT GRAPH {name}", _insert(name, lines)]
        for other, extra in add:
            parts.append(_insert(to_oxigraph(other), [_nt(t) for t in extra]))
        for other, extra in add_if_absent:
            target = to_oxigraph(other)
            rows = " ".join(
                f"({to_oxigraph(s)} {to_oxigraph(p)} {to_oxigraph(o)})" for s, p, o in extra
            )
            if rows:
                parts.append(
                    f"INSERT {{ GRAPH {target} {{ ?s ?p ?o }} }} WHERE {{"
                    f" VALUES (?s ?p ?o) {{ {rows} }}"
                    f" FILTER NOT EXISTS {{ GRAPH {target} {{ ?s ?p ?any }} }} }}"
                )
        try:
            self._db.update(" ;\n".join(parts))
        except (OSError, SyntaxError) as exc:
            raise StoreError(f"cannot write graph {graph} to {self.path}: {exc}") from None
        return len(lines)

    @staticmethod
    def _forget_people(graph: ox.NamedNode, add) -> list[str]:
        """Before an article is replaced: drop from the shared graphs the people that only
        this article mentioned, so a corrected article leaves no orphan behind."""
        return [
            f"DELETE {{ GRAPH {to_oxigraph(shared)} {{ ?p ?x ?y }} }} WHERE {{"
            f" GRAPH {graph} {{ ?a <{SCHEMA_MENTIONS}> ?p }}"
            f" FILTER NOT EXISTS {{ GRAPH ?g {{ ?b <{SCHEMA_MENTIONS}> ?p }}"
            f" FILTER(?g != {graph}) }}"
            f" GRAPH {to_oxigraph(shared)} {{ ?p ?x ?y }} }}"
            for shared, _ in add
        ]

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL query over the union of all article graphs."""
        try:
            raw = self._db.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL: {' '.join(str(exc).split())}") from None
        except OSError as exc:
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from None
        if isinstance(raw, ox.QueryBoolean):
            return QueryResult("ask", raw)
        if isinstance(raw, ox.QueryTriples):
            return QueryResult("graph", raw)
        return QueryResult("select", raw)

    def export(self, output: BinaryIO, fmt: str) -> None:
        """Write the whole store in ``fmt`` (see :data:`RDF_FORMATS`)."""
        try:
            rdf_format, keeps_graphs = RDF_FORMATS[fmt]
        except KeyError:
            raise StoreError(
                f"unknown format {fmt!r}; use one of {', '.join(RDF_FORMATS)}"
            ) from None
        if keeps_graphs:
            prefixes = PREFIXES if rdf_format is ox.RdfFormat.TRIG else None
            self._db.dump(output, rdf_format, prefixes=prefixes)
        else:
            # Formats without named graphs get the union: the graph as queries see it.
            triples = self._db.query(
                "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True
            )
            prefixes = PREFIXES if rdf_format is ox.RdfFormat.TURTLE else None
            ox.serialize(triples, output, rdf_format, prefixes=prefixes)

    def count_graphs(self) -> int:
        return sum(1 for _ in self._db.named_graphs())

    def __len__(self) -> int:
        return len(self._db)
