"""A store in memory (``open_store(":memory:")``): for scoring an evaluation, for exporting
what a remote store holds, and for tests; and :func:`dump`, which writes any pyoxigraph
store in one of the RDF formats.

>>> from rdflib import URIRef
>>> with MemoryStore() as store:
...     store.replace_graph(URIRef("https://example.org/g"),
...                         [(URIRef("https://example.org/a"), URIRef("https://example.org/p"),
...                           URIRef("https://example.org/b"))])
...     bool(store.query("ASK { ?s ?p ?o }").raw), store.count_graphs()
1
(True, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyoxigraph as ox
from rdflib import URIRef

from celebgraph.errors import QueryError, StoreError
from celebgraph.ontology import PREFIXES
from celebgraph.rdf import GraphChange, Triple
from celebgraph.sparql_checks import check_sparql
from celebgraph.store.formats import rdf_format
from celebgraph.store.protocol import Closing, QueryResult, Triples
from celebgraph.store.sparql import (
    ALL_TRIPLES,
    replace_update,
    replace_updates,
    to_oxigraph,
    to_substitutions,
)

if TYPE_CHECKING:
    from celebgraph.store.bulk import LoadReport

MEMORY = ":memory:"


def dump(db: ox.Store, output: BinaryIO, fmt: str) -> None:
    """Write a pyoxigraph store in ``fmt`` (see :data:`~celebgraph.store.formats.RDF_FORMATS`):
    formats without named graphs get the union graph; RDF/XML leaves out of literals the
    characters XML 1.0 cannot hold (see :func:`celebgraph.outputs.xml_text`)."""
    info = rdf_format(fmt)
    if info.keeps_graphs:
        prefixes = PREFIXES if info.format is ox.RdfFormat.TRIG else None
        db.dump(output, info.format, prefixes=prefixes)
        return
    triples: Iterable[ox.Triple] = db.query(ALL_TRIPLES, use_default_graph_as_union=True)
    if info.format is ox.RdfFormat.RDF_XML:  # XML 1.0 cannot hold every character
        from celebgraph.outputs import xml_triples

        triples = xml_triples(triples)
    prefixes = PREFIXES if info.format is ox.RdfFormat.TURTLE else None
    ox.serialize(triples, output, info.format, prefixes=prefixes)


def run_query(
    db: ox.Store, sparql: str, substitutions: Mapping[str, object] | None = None
) -> QueryResult:
    """A SPARQL query on a pyoxigraph store over the union of its graphs, with celebgraph's
    prefixes: the answer of the embedded and the in-memory store. Its errors are the
    caller's to word (see :meth:`celebgraph.store.Store.query`)."""
    check_sparql(sparql)
    bound = to_substitutions(substitutions)
    try:
        raw = db.query(
            sparql, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=bound
        )
    except SyntaxError as exc:
        raise QueryError(f"invalid SPARQL: {' '.join(str(exc).split())}") from None
    if isinstance(raw, ox.QueryBoolean):
        return QueryResult("ask", raw)
    if isinstance(raw, ox.QueryTriples):
        return QueryResult("graph", Triples(raw))
    return QueryResult("select", raw)


class MemoryStore(Closing):
    """A store in memory: the contract of :class:`celebgraph.store.TripleStore`, gone when
    it is closed."""

    path = MEMORY

    def __init__(self) -> None:
        self._db: ox.Store | None = ox.Store()

    def close(self) -> None:
        self._db = None

    @property
    def closed(self) -> bool:
        return self._db is None

    @property
    def database(self) -> ox.Store:
        """The pyoxigraph store (for pyoxigraph's own options)."""
        if self._db is None:
            raise StoreError("the in-memory store is closed")
        return self._db

    def check(self) -> None:
        """Nothing to check."""

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads as they are, in one transaction (the fast path of scoring)."""
        self.database.extend(quads)

    def replace_graph(
        self,
        graph: URIRef,
        triples: Iterable[Triple],
        add: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
        add_if_absent: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
    ) -> int:
        update, count = replace_update(graph, triples, add, add_if_absent)
        self.database.update(update)
        return count

    def replace_graphs(self, changes: Sequence[GraphChange]) -> list[int]:
        update, counts = replace_updates(changes)
        self.database.update(update)
        return counts

    def query(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> QueryResult:
        try:
            return run_query(self.database, sparql, substitutions)
        except (OSError, RuntimeError) as exc:
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from None

    def read_graph(self, graph: URIRef) -> list[ox.Triple]:
        name = to_oxigraph(graph)
        return [q.triple for q in self.database.quads_for_pattern(None, None, None, name)]

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self.database)

    def export(self, output: BinaryIO, fmt: str) -> None:
        dump(self.database, output, fmt)

    def load_files(self, paths: Iterable[str | Path], jobs: int | None = None) -> LoadReport:
        from celebgraph.store.bulk import load_files

        return load_files(self.database, paths, jobs)

    def count_graphs(self) -> int:
        return sum(1 for _ in self.database.named_graphs())

    def __len__(self) -> int:
        return len(self.database)
