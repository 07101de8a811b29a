"""The RDF store: an embedded, on-disk Oxigraph database (no server needed).

Each article's triples live in the named graph named by the article's IRI. Writing an
article replaces that graph in one transaction, so re-ingesting is idempotent and a crash
leaves either the old or the new version of the article, never half of one. Queries see
the union of all graphs as their default graph.

One process (or thread) at a time may hold a store open: the database takes an exclusive
lock. Opening a store that another process holds waits, retrying, for up to
``$CELEBGRAPH_LOCK_TIMEOUT`` seconds (default 30), then raises :class:`StoreBusyError`.
Hold a store only as long as needed: :func:`celebgraph.ingest` opens it just to write a
few seconds' worth of articles at a time, and queries open it for the query only, so that
readers and writers take turns.

User text never needs to be pasted into SPARQL: pass it as ``substitutions`` (a variable
name → value; a plain ``str`` becomes a string literal), which binds the variable to the
value without any parsing.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from celebgraph.errors import QueryError, StoreBusyError, StoreError
from celebgraph.ontology import PREFIXES, SCHEMA
from celebgraph.rdf import Triple

if TYPE_CHECKING:
    from celebgraph.bulk import LoadReport

SCHEMA_MENTIONS = str(SCHEMA.mentions)

ENV_VAR = "CELEBGRAPH_STORE"
LOCK_TIMEOUT_VAR = "CELEBGRAPH_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0

#: Export formats by name: (pyoxigraph format, keeps named graphs).
RDF_FORMATS: dict[str, tuple[ox.RdfFormat, bool]] = {
    "nquads": (ox.RdfFormat.N_QUADS, True),
    "trig": (ox.RdfFormat.TRIG, True),
    "turtle": (ox.RdfFormat.TURTLE, False),
    "ntriples": (ox.RdfFormat.N_TRIPLES, False),
    "jsonld": (ox.RdfFormat.JSON_LD, True),
    "rdfxml": (ox.RdfFormat.RDF_XML, False),
}


def is_store(value: object) -> bool:
    """Is this an open store (embedded or remote) rather than a store spec?"""
    from celebgraph.remote import RemoteStore

    return isinstance(value, Store | RemoteStore)


def default_store_spec() -> str | Path:
    """``$CELEBGRAPH_STORE`` as given (a folder or a SPARQL endpoint URL), else the default
    folder."""
    return os.environ.get(ENV_VAR) or default_store_path()


def open_store(spec: str | Path | None = None, timeout: float | None = None):
    """Open the store a spec names: an ``http://`` or ``https://`` URL is a SPARQL 1.1
    endpoint (a :class:`celebgraph.remote.RemoteStore`, see there for the update URL and
    credentials); anything else is a folder of the embedded :class:`Store`. ``None`` means
    ``$CELEBGRAPH_STORE``, else the default folder."""
    from celebgraph.remote import RemoteStore, is_remote

    if spec is None:
        spec = default_store_spec()
    if is_remote(spec):
        return RemoteStore(str(spec), timeout=timeout)
    return Store(spec, timeout=timeout)


def default_store_path() -> Path:
    """``$CELEBGRAPH_STORE``, else ``$XDG_DATA_HOME/celebgraph/store`` (~/.local/share/...)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "celebgraph" / "store"


def lock_timeout() -> float:
    """Seconds to wait for a store another process holds: ``$CELEBGRAPH_LOCK_TIMEOUT``."""
    raw = os.environ.get(LOCK_TIMEOUT_VAR, "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (value >= 0 and math.isfinite(value)):
        raise StoreError(f"{LOCK_TIMEOUT_VAR} must be a number of seconds, not {raw!r}")
    return value


_HOLDER_THREAD = re.compile(r"lock hold by current process.*?acquiring thread (\d+)")


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


def to_substitutions(
    values: Mapping[str, object] | None,
) -> dict[ox.Variable, ox.NamedNode | ox.Literal | ox.BlankNode] | None:
    """Variable name (with or without ``?``) → pyoxigraph term, for ``Store.query``."""
    if not values:
        return None
    bound = {}
    for name, value in values.items():
        try:
            variable = ox.Variable(str(name).removeprefix("?").removeprefix("$"))
        except ValueError:
            raise QueryError(f"invalid variable name {name!r}") from None
        if isinstance(value, ox.NamedNode | ox.Literal | ox.BlankNode):
            term = value
        elif isinstance(value, URIRef | Literal | BNode):
            term = to_oxigraph(value)
        elif isinstance(value, str):
            try:
                term = ox.Literal(value)
            except ValueError as exc:  # a lone surrogate, for one
                raise QueryError(f"substitution for ?{variable.value}: {exc}") from None
        else:
            raise QueryError(
                f"substitution for ?{variable.value} must be a str or an RDF term,"
                f" not {type(value).__name__}"
            )
        bound[variable] = term
    return bound


def replace_update(graph, triples, add=(), add_if_absent=()) -> tuple[str, int]:
    """The SPARQL update of :meth:`Store.replace_graph` (and one request of a remote
    store): every term serialised by pyoxigraph (N-Triples escaping), never pasted in."""
    name = to_oxigraph(graph)
    add = [(g, list(t)) for g, t in add]
    lines = [_nt(t) for t in triples]
    parts = [*_forget_people(name, add), f"DROP SILENT GRAPH {name}", _insert(name, lines)]
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
    return " ;\n".join(parts), len(lines)


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


def dump(db: ox.Store, output: BinaryIO, fmt: str) -> None:
    """Write a pyoxigraph store in ``fmt`` (see :data:`RDF_FORMATS`)."""
    try:
        rdf_format, keeps_graphs = RDF_FORMATS[fmt]
    except KeyError:
        raise StoreError(f"unknown format {fmt!r}; use one of {', '.join(RDF_FORMATS)}") from None
    if keeps_graphs:
        prefixes = PREFIXES if rdf_format is ox.RdfFormat.TRIG else None
        db.dump(output, rdf_format, prefixes=prefixes)
    else:
        # Formats without named graphs get the union: the graph as queries see it.
        triples = db.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True
        )
        prefixes = PREFIXES if rdf_format is ox.RdfFormat.TURTLE else None
        ox.serialize(triples, output, rdf_format, prefixes=prefixes)


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

    def __init__(self, path: str | Path | None = None, timeout: float | None = None) -> None:
        """Open (or create) the store at ``path``; wait up to ``timeout`` seconds (default
        ``$CELEBGRAPH_LOCK_TIMEOUT`` or 30) while another process holds it."""
        self._db = None
        self.path = Path(path) if path is not None else default_store_path()
        timeout = lock_timeout() if timeout is None else timeout
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
                self._db = ox.Store(str(self.path))
                return
            except OSError as exc:
                message = " ".join(str(exc).split())
                if "lock" not in message.lower():
                    raise StoreError(f"cannot open store {self.path}: {message}") from None
                holder = _HOLDER_THREAD.search(message)
                if holder and int(holder.group(1)) == threading.get_ident():
                    raise StoreBusyError(
                        f"cannot open store {self.path}: it is already open in this thread;"
                        " close it first, or pass the open Store instead of its path"
                    ) from None
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreBusyError(
                    f"cannot open store {self.path}: it is in use by another celebgraph"
                    f" process (waited {timeout:g} s); wait for it to finish, or set"
                    f" {LOCK_TIMEOUT_VAR} to wait longer"
                )
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.2)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and release the store (and its lock); closing twice is harmless."""
        db, self._db = getattr(self, "_db", None), None
        if db is not None:
            try:
                db.flush()
            except OSError as exc:
                raise StoreError(f"cannot flush store {self.path}: {exc}") from None
            finally:
                del db  # the last reference: the database closes and its lock is released
                # RocksDB starts a new information log at every opening and keeps the old
                # ones (~140 kB each); an ingest reopens the store every few seconds.
                for log in self.path.glob("LOG.old.*"):
                    log.unlink(missing_ok=True)

    @property
    def closed(self) -> bool:
        return self._db is None

    def _handle(self) -> ox.Store:
        if self._db is None:
            raise StoreError(f"store {self.path} is closed")
        return self._db

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
        try:
            update, count = replace_update(graph, triples, add, add_if_absent)
        except ValueError as exc:  # a term pyoxigraph cannot represent
            raise StoreError(f"cannot write graph {graph} to {self.path}: {exc}") from None
        try:
            self._handle().update(update)
        except (OSError, SyntaxError) as exc:
            raise StoreError(f"cannot write graph {graph} to {self.path}: {exc}") from None
        return count

    def query(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> QueryResult:
        """Run a SPARQL query over the union of all article graphs.

        ``substitutions`` binds variables to values before the query runs (a ``str`` is a
        plain literal; rdflib and pyoxigraph terms are kept), so user input never becomes
        SPARQL syntax. In a SELECT query, a substituted variable must be selected.
        """
        bound = to_substitutions(substitutions)
        try:
            raw = self._handle().query(
                sparql, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=bound
            )
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL: {' '.join(str(exc).split())}") from None
        except OSError as exc:
            raise QueryError(f"query failed: {' '.join(str(exc).split())}") from None
        except RuntimeError as exc:
            message = " ".join(str(exc).split())
            if bound and "projection" in message:
                message += " (a substituted variable must be in the SELECT clause)"
            raise QueryError(f"query failed: {message}") from None
        if isinstance(raw, ox.QueryBoolean):
            return QueryResult("ask", raw)
        if isinstance(raw, ox.QueryTriples):
            return QueryResult("graph", raw)
        return QueryResult("select", raw)

    def export(self, output: BinaryIO, fmt: str) -> None:
        """Write the whole store in ``fmt`` (see :data:`RDF_FORMATS`)."""
        dump(self._handle(), output, fmt)

    def load_files(self, paths: Iterable[str | Path], jobs: int | None = None) -> LoadReport:
        """Bulk-load N-Quads, TriG or JSON-LD files on ``jobs`` threads (see
        :mod:`celebgraph.bulk`)."""
        from celebgraph.bulk import load_files

        try:
            return load_files(self._handle(), paths, jobs)
        except (OSError, SyntaxError) as exc:
            raise StoreError(f"cannot load into {self.path}: {exc}") from None

    def check(self) -> None:
        """Nothing to check once open (a remote store checks it can reach its server)."""

    def count_graphs(self) -> int:
        return sum(1 for _ in self._handle().named_graphs())

    def __len__(self) -> int:
        return len(self._handle())
