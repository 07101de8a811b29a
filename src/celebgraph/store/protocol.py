"""The store contract: what every backend (embedded, remote, in memory) does, and the
answer to a query.

:class:`QueryResult` has one type per kind whatever the backend: ``raw`` is pyoxigraph's
``QuerySolutions`` for "select", ``QueryBoolean`` for "ask" and ``QueryTriples`` for
"graph" (CONSTRUCT, DESCRIBE). Each is read once, as pyoxigraph's are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, Self, runtime_checkable

import pyoxigraph as ox
from rdflib import URIRef

from celebgraph.rdf import GraphChange, Triple

if TYPE_CHECKING:
    from celebgraph.store.bulk import LoadReport


class Triples:
    """The triples of a CONSTRUCT or DESCRIBE answer, read as they are iterated: from the
    store (once, as pyoxigraph's ``QueryTriples``), or parsed again from a remote answer's
    bytes each time (so they cost no more memory than the answer).

    >>> triple = ox.Triple(ox.NamedNode("http://a"), ox.NamedNode("http://p"), ox.Literal("1"))
    >>> Triples([triple]).serialize(format=ox.RdfFormat.N_TRIPLES)
    b'<http://a> <http://p> "1" .\\n'
    """

    def __init__(self, source: Iterable[ox.Triple] | Callable[[], Iterator[ox.Triple]]) -> None:
        self._source = source

    def __iter__(self) -> Iterator[ox.Triple]:
        source = self._source
        return source() if callable(source) else iter(source)

    def serialize(
        self,
        output: object = None,
        format: ox.RdfFormat = ox.RdfFormat.N_TRIPLES,
        prefixes: Mapping[str, str] | None = None,
    ) -> bytes | None:
        """Write the triples in ``format`` to ``output`` (None: return the bytes), as
        ``pyoxigraph.serialize`` does."""
        return ox.serialize(self, output, format, prefixes=prefixes)


class Closing:
    """``with store: ...`` closes the store: the context manager every backend shares."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class QueryResult:
    """The answer to a SPARQL query: ``kind`` is "select", "ask" or "graph"."""

    kind: str
    raw: ox.QuerySolutions | ox.QueryBoolean | Triples


@runtime_checkable
class TripleStore(Protocol):
    """A celebgraph store: article graphs written and replaced whole, read by SPARQL.

    Open one with :func:`celebgraph.store.open_store`; it is a context manager that closes
    it. ``path`` names it in messages.
    """

    path: object

    def __enter__(self) -> TripleStore: ...

    def __exit__(self, *exc: object) -> None: ...

    def close(self) -> None:
        """Release the store; closing twice is harmless."""
        ...

    @property
    def closed(self) -> bool: ...

    def check(self) -> None:
        """Fail now (a server that cannot be reached) rather than at the first write."""
        ...

    def replace_graph(
        self,
        graph: URIRef,
        triples: Iterable[Triple],
        add: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
        add_if_absent: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
    ) -> int:
        """Replace the named graph ``graph`` by ``triples`` (and add ``add``, and
        ``add_if_absent`` where the subject has no value for the predicate yet); the number
        of ``triples``."""
        ...

    def replace_graphs(self, changes: Sequence[GraphChange]) -> list[int]:
        """Several :meth:`replace_graph` changes at once (one request, or one transaction);
        the triples written for each."""
        ...

    def query(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> QueryResult:
        """Run a SPARQL query over the union of the graphs, with variables bound to
        ``substitutions`` (never pasted into the text)."""
        ...

    def read_graph(self, graph: URIRef) -> list[ox.Triple]:
        """The triples of the named graph ``graph`` (none if there is no such graph)."""
        ...

    def export(self, output: BinaryIO, fmt: str) -> None:
        """Write the store in ``fmt`` (see :data:`celebgraph.store.formats.RDF_FORMATS`)."""
        ...

    def load_files(self, paths: Iterable[str | Path], jobs: int | None = None) -> LoadReport:
        """Bulk-load RDF dataset files (see :mod:`celebgraph.store.bulk`)."""
        ...

    def count_graphs(self) -> int:
        """The number of named graphs."""
        ...

    def __len__(self) -> int: ...
