"""The RDF store: an embedded, on-disk Oxigraph database (no server needed).

Each article's triples live in the named graph named by the article's IRI. Writing an
article replaces that graph in one transaction, so re-ingesting is idempotent and a crash
leaves either the old or the new version of the article, never half of one. Queries see
the union of all graphs as their default graph.

One writer at a time may hold a store open: the database takes an exclusive lock. Readers
(``Store(path, read_only=True)``: queries, exports, stats, the graph commands, the SPARQL
server) open it read-only and share a lock that keeps writers out while they read. Opening
a store that is held waits, retrying, for up to ``$CELEBGRAPH_LOCK_TIMEOUT`` seconds
(default 30), then raises :class:`StoreBusyError`. Hold a store only as long as needed:
:func:`celebgraph.ingest` opens it just to write a few seconds' worth of articles at a
time, and queries open it for the query only, so that readers and writers take turns.

Reading never changes the store folder: a read-only opening creates, repairs and deletes
nothing (so it also works while the disk is full), and a folder without a store is refused
(:class:`NoStoreError`) rather than created. A missing or damaged file is refused by
readers and writers alike with one line naming it (:class:`StoreDamagedError`), and so is
damage found later, when a read or a write meets it: RocksDB checks every block it reads
against its checksum, but pyoxigraph offers no check of the whole store, so damage in a
part no read touches shows when a write (its compaction) reads it.

User text never needs to be pasted into SPARQL: pass it as ``substitutions`` (a variable
name → value; a plain ``str`` becomes a string literal), which binds the variable to the
value without any parsing.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import struct
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from celebgraph.errors import (
    NoStoreError,
    QueryError,
    StoreBusyError,
    StoreDamagedError,
    StoreError,
)
from celebgraph.ontology import PREFIXES, SCHEMA
from celebgraph.rdf import Triple
from celebgraph.sparql_checks import check_sparql

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


def open_store(
    spec: str | Path | None = None, timeout: float | None = None, read_only: bool = False
):
    """Open the store a spec names: an ``http://`` or ``https://`` URL is a SPARQL 1.1
    endpoint (a :class:`celebgraph.remote.RemoteStore`, see there for the update URL and
    credentials); anything else is a folder of the embedded :class:`Store`, opened
    read-only if ``read_only``. ``None`` means ``$CELEBGRAPH_STORE``, else the default
    folder."""
    from celebgraph.remote import RemoteStore, is_remote

    if spec is None:
        spec = default_store_spec()
    if is_remote(spec):
        return RemoteStore(str(spec), timeout=timeout)
    return Store(spec, timeout=timeout, read_only=read_only)


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


# --- opening: locks, checks, errors --------------------------------------------------------

#: Serialises, within this process, taking and releasing store locks (see _FileLock).
_OPEN_LOCK = threading.Lock()
#: Store folders (resolved) a Store of this process holds read-write → the holding thread.
_WRITERS: dict[Path, int] = {}

try:
    import fcntl

    _OFD_SETLK = getattr(fcntl, "F_OFD_SETLK", None)
except ImportError:  # not a POSIX system
    _OFD_SETLK = None

#: What to do about a damaged store, said in every StoreDamagedError.
RESTORE = (
    "restore the store folder from a backup, or load an export into a new folder"
    " (celebgraph load FILE --store NEW)"
)


class _HeldError(Exception):
    """The store is held: by ``thread`` of this process (a writer), or by another process."""

    def __init__(self, thread: int | None = None) -> None:
        super().__init__(thread)
        self.thread = thread


class _FileLock:
    """A lock of ours on the store's ``LOCK`` file: shared by readers, or held by a writer
    while it checks the folder (RocksDB then takes the file's lock itself).

    RocksDB's writer takes an exclusive POSIX lock on that file. An open file description
    lock (Linux) conflicts with it, in this process too, while readers share theirs, and it
    is released only with its own descriptor. (A plain POSIX lock would not do: closing any
    descriptor of the file drops every POSIX lock of the process on it, a writer's
    included; so ``LOCK`` is never opened while a writer of this process holds the store,
    see ``_WRITERS``.) Without such locks, or without a ``LOCK`` file (a new folder, or one
    copied from elsewhere), none is taken.
    """

    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    @classmethod
    def take(cls, path: Path, shared: bool) -> _FileLock:
        if _OFD_SETLK is None:
            return cls(None)
        try:
            fd = os.open(path / "LOCK", (os.O_RDONLY if shared else os.O_RDWR) | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            return cls(None)
        except OSError as exc:
            raise StoreError(f"cannot open store {path}: {exc.strerror}") from None
        kind = fcntl.F_RDLCK if shared else fcntl.F_WRLCK
        # struct flock: l_type, l_whence, l_start, l_len (0: the whole file), l_pid (0).
        request = struct.pack("hhqqi4x", kind, os.SEEK_SET, 0, 0, 0)
        try:
            fcntl.fcntl(fd, _OFD_SETLK, request)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise _HeldError() from None
            raise StoreError(f"cannot lock store {path}: {exc.strerror}") from None
        return cls(fd)

    def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


def _damage_error(file: Path, problem: str) -> StoreDamagedError:
    return StoreDamagedError(f"{file}: {problem}; the store is damaged: {RESTORE}")


def _holds_data(path: Path) -> bool:
    """Are there RocksDB files that hold data, or say where it is, in ``path``?"""
    return any(
        entry.name.endswith((".sst", ".log")) or entry.name.startswith("MANIFEST-")
        for entry in os.scandir(path)
    )


def _check_folder(path: Path, read_only: bool) -> None:
    """Refuse what must not be opened: a folder without a store, for a reader; a store whose
    ``CURRENT`` file is gone, for anyone (RocksDB would start a new, empty database there
    and delete every data file)."""
    if path.exists() and not path.is_dir():
        raise StoreError(f"cannot open store {path}: it is a file, not a store folder")
    if (path / "CURRENT").is_file():
        return
    if path.is_dir() and _holds_data(path):
        raise _damage_error(path / "CURRENT", "missing")
    if read_only:
        state = "the folder holds no store" if path.exists() else "the folder does not exist"
        raise NoStoreError(
            f"no celebgraph store at {path}: {state}; ingest articles into it"
            f" (celebgraph ingest ARTICLES --store {path}) or load an export (celebgraph load)"
        )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _damage_in(path: Path, exc: BaseException) -> StoreDamagedError | None:
    """The missing or damaged file of the store at ``path`` that pyoxigraph's error reports,
    named in one line; None for any other error."""
    message = _one_line(exc)
    files = re.findall(re.escape(str(path)) + r"/([^\s:/]+)", message)
    if "CURRENT file" in message:
        files.insert(0, "CURRENT")
    if files and ("No such file" in message or isinstance(exc, FileNotFoundError)):
        return _damage_error(path / files[0], "missing")
    if "corrupt" in message.lower():
        detail = re.sub(r"\s*The file \S+ may be corrupted\.", "", message)
        detail = re.sub(r"^(Corruption: )+", "", detail)
        return _damage_error(path / files[0] if files else path, f"damaged ({detail})")
    return None


def _attempt(path: Path, read_only: bool, register: bool) -> tuple[ox.Store, _FileLock | None]:
    """One try at opening the store; :class:`_HeldError` while someone else holds it."""
    with _OPEN_LOCK:
        holder = _WRITERS.get(path.resolve())
        if holder is not None:
            raise _HeldError(holder)
        # The folder is checked under the store's lock: a store that a writer is creating
        # right now (no CURRENT file yet) is waited for, not taken for a damaged one.
        lock = _FileLock.take(path, shared=read_only)
        try:
            try:
                _check_folder(path, read_only)
                if not read_only:
                    lock.release()
                    path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot open store {path}: {exc.strerror or exc}") from None
            try:
                db = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
            except (OSError, RuntimeError) as exc:
                # RocksDB's "While lock file: PATH/LOCK: Resource temporarily unavailable".
                if isinstance(exc, OSError) and re.search(r"\block\b", str(exc), re.IGNORECASE):
                    raise _HeldError() from None
                raise _damage_in(path, exc) or StoreError(
                    f"cannot open store {path}: {_one_line(exc)}"
                ) from None
        except BaseException:
            lock.release()
            raise
        if not read_only:
            if register:
                _WRITERS[path.resolve()] = threading.get_ident()
            return db, None
        return db, lock


def _open_waiting(
    path: Path, read_only: bool, timeout: float | None, register: bool
) -> tuple[ox.Store, _FileLock | None]:
    """Open the store, waiting up to ``timeout`` seconds while it is held."""
    timeout = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            return _attempt(path, read_only, register)
        except _HeldError as held:
            if held.thread == threading.get_ident():
                raise StoreBusyError(
                    f"cannot open store {path}: it is already open in this thread;"
                    " close it first, or pass the open Store instead of its path"
                ) from None
        left = deadline - time.monotonic()
        if left <= 0:
            raise StoreBusyError(
                f"cannot open store {path}: it is in use by another celebgraph"
                f" process (waited {timeout:g} s); wait for it to finish, or set"
                f" {LOCK_TIMEOUT_VAR} to wait longer"
            )
        time.sleep(min(delay, left))
        delay = min(delay * 2, 0.2)


def open_database(
    path: str | Path, read_only: bool = True, timeout: float | None = None
) -> ox.Store:
    """A bare pyoxigraph handle on a store folder, for code that needs pyoxigraph's own
    query options (the SPARQL server), opened with the checks, waiting and one-line errors
    of :class:`Store`. A read-only handle keeps no lock once open: reading on while a writer
    writes is the caller's choice (the server reopens when the files change)."""
    db, lock = _open_waiting(Path(path), read_only, timeout, register=False)
    if lock is not None:
        lock.release()
    return db


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
    """Write a pyoxigraph store in ``fmt`` (see :data:`RDF_FORMATS`); RDF/XML leaves out of
    literals the characters XML 1.0 cannot hold (see :func:`celebgraph.outputs.xml_text`)."""
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
        if rdf_format is ox.RdfFormat.RDF_XML:  # XML 1.0 cannot hold every character
            from celebgraph.outputs import xml_triples

            triples = xml_triples(triples)
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

    def __init__(
        self, path: str | Path | None = None, timeout: float | None = None, read_only: bool = False
    ) -> None:
        """Open (or create) the store at ``path``; wait up to ``timeout`` seconds (default
        ``$CELEBGRAPH_LOCK_TIMEOUT`` or 30) while another process holds it.

        ``read_only`` opens an existing store for reading only: nothing in the folder is
        created or changed, and readers share the store while writers wait for them.
        """
        self._db = None
        self.read_only = read_only
        self._damaged = False  # damage found: no flush on close, it could only fail again
        self.path = Path(path) if path is not None else default_store_path()
        self._key = self.path.resolve()  # its key in _WRITERS
        self._db, self._lock = _open_waiting(self.path, read_only, timeout, register=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and release the store (and its lock); closing twice is harmless."""
        db, self._db = getattr(self, "_db", None), None
        if db is None:
            return
        try:
            if not (self.read_only or self._damaged):
                db.flush()
        except (OSError, RuntimeError) as exc:
            raise self._damage(exc) or StoreError(
                f"cannot flush store {self.path}: {_one_line(exc)}"
            ) from None
        finally:
            del db  # the last reference: the database closes and its lock is released
            with _OPEN_LOCK:
                if self.read_only:
                    self._lock.release()
                else:
                    _WRITERS.pop(self._key, None)
            if not self.read_only:
                # RocksDB starts a new information log at every opening and keeps the old
                # ones (~140 kB each); an ingest reopens the store every few seconds.
                for log in self.path.glob("LOG.old.*"):
                    log.unlink(missing_ok=True)

    @property
    def closed(self) -> bool:
        return self._db is None

    def _handle(self, write: bool = False) -> ox.Store:
        if self._db is None:
            raise StoreError(f"store {self.path} is closed")
        if write and self.read_only:
            raise StoreError(f"store {self.path} is open read-only: open it to write to it")
        return self._db

    def _damage(self, exc: BaseException) -> StoreDamagedError | None:
        """The damage ``exc`` reports, if it does (then closing flushes nothing)."""
        damage = _damage_in(self.path, exc)
        self._damaged = self._damaged or damage is not None
        return damage

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Turn the errors met while reading this store (its query results are read lazily)
        into one line: a damaged or missing file is a :class:`StoreDamagedError`, anything
        else a :class:`QueryError`."""
        try:
            yield
        except (OSError, RuntimeError) as exc:
            raise self._damage(exc) or QueryError(f"query failed: {_one_line(exc)}") from None

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
            self._handle(write=True).update(update)
        except (OSError, RuntimeError, SyntaxError) as exc:
            raise self._damage(exc) or StoreError(
                f"cannot write graph {graph} to {self.path}: {exc}"
            ) from None
        return count

    def query(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> QueryResult:
        """Run a SPARQL query over the union of all article graphs.

        ``substitutions`` binds variables to values before the query runs (a ``str`` is a
        plain literal; rdflib and pyoxigraph terms are kept), so user input never becomes
        SPARQL syntax. In a SELECT query, a substituted variable must be selected.
        """
        check_sparql(sparql)
        bound = to_substitutions(substitutions)
        try:
            with self.reading():
                raw = self._handle().query(
                    sparql, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=bound
                )
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL: {' '.join(str(exc).split())}") from None
        except QueryError as exc:
            if bound and "projection" in str(exc):
                raise QueryError(
                    f"{exc} (a substituted variable must be in the SELECT clause)"
                ) from None
            raise
        if isinstance(raw, ox.QueryBoolean):
            return QueryResult("ask", raw)
        if isinstance(raw, ox.QueryTriples):
            return QueryResult("graph", raw)
        return QueryResult("select", raw)

    def export(self, output: BinaryIO, fmt: str) -> None:
        """Write the whole store in ``fmt`` (see :data:`RDF_FORMATS`)."""
        try:
            dump(self._handle(), output, fmt)
        except (OSError, RuntimeError) as exc:
            damage = self._damage(exc)
            if damage is None and isinstance(exc, OSError):
                raise  # the output's own error (a full disk, a closed pipe), for its writer
            raise damage or StoreError(f"cannot read store {self.path}: {_one_line(exc)}") from None

    def load_files(self, paths: Iterable[str | Path], jobs: int | None = None) -> LoadReport:
        """Bulk-load N-Quads, TriG or JSON-LD files on ``jobs`` threads (see
        :mod:`celebgraph.bulk`)."""
        from celebgraph.bulk import load_files

        try:
            return load_files(self._handle(write=True), paths, jobs)
        except (OSError, RuntimeError, SyntaxError) as exc:
            raise self._damage(exc) or StoreError(f"cannot load into {self.path}: {exc}") from None

    def check(self) -> None:
        """Nothing to check once open (a remote store checks it can reach its server)."""

    def count_graphs(self) -> int:
        with self.reading():
            return sum(1 for _ in self._handle().named_graphs())

    def __len__(self) -> int:
        with self.reading():
            return len(self._handle())
