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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyoxigraph as ox
from rdflib import URIRef

from celebgraph.errors import (
    NoStoreError,
    QueryError,
    StoreBusyError,
    StoreDamagedError,
    StoreError,
)
from celebgraph.rdf import GraphChange, Triple
from celebgraph.store.memory import dump, run_query
from celebgraph.store.protocol import Closing, QueryResult
from celebgraph.store.sparql import replace_update, replace_updates, to_oxigraph

if TYPE_CHECKING:
    from celebgraph.store.bulk import LoadReport

ENV_VAR = "CELEBGRAPH_STORE"
LOCK_TIMEOUT_VAR = "CELEBGRAPH_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0


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


class Store(Closing):
    """An on-disk celebgraph store.

    >>> import tempfile
    >>> with Store(tempfile.mkdtemp()) as store:
    ...     store.count_graphs()
    0
    """

    def __init__(
        self,
        path: str | Path | None = None,
        timeout: float | None = None,
        read_only: bool = False,
        hold_lock: bool = True,
    ) -> None:
        """Open (or create) the store at ``path``; wait up to ``timeout`` seconds (default
        ``$CELEBGRAPH_LOCK_TIMEOUT`` or 30) while another process holds it.

        ``read_only`` opens an existing store for reading only: nothing in the folder is
        created or changed, and readers share the store while writers wait for them. A
        read-only store opened with ``hold_lock=False`` gives its shared lock up once open,
        so writers need not wait for it: it reads on at the version it opened, and a
        writer's compaction may remove a file under it (the SPARQL server's workers, which
        reopen then; see :mod:`celebgraph.server.worker`).
        """
        self._db = None
        self.read_only = read_only
        self._damaged = False  # damage found: no flush on close, it could only fail again
        self.path = Path(path) if path is not None else default_store_path()
        self._key = self.path.resolve()  # its key in _WRITERS
        self._db, self._lock = _open_waiting(self.path, read_only, timeout, register=True)
        if not hold_lock and self._lock is not None:
            with _OPEN_LOCK:
                self._lock.release()

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

    @property
    def database(self) -> ox.Store:
        """The pyoxigraph store, for code that needs pyoxigraph's own query options (the
        SPARQL server's dataset and base IRI); its errors are the caller's to word."""
        return self._handle()

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
        self._update(update, f"graph {graph}")
        return count

    def replace_graphs(self, changes: Sequence[GraphChange]) -> list[int]:
        """Several :meth:`replace_graph` changes in one transaction (all or none); the
        triples written for each."""
        try:
            update, counts = replace_updates(changes)
        except ValueError as exc:
            raise StoreError(f"cannot write to {self.path}: {exc}") from None
        self._update(update, f"{len(counts)} graphs")
        return counts

    def _update(self, update: str, what: str) -> None:
        try:
            self._handle(write=True).update(update)
        except (OSError, RuntimeError, SyntaxError) as exc:
            raise self._damage(exc) or StoreError(
                f"cannot write {what} to {self.path}: {exc}"
            ) from None

    def query(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> QueryResult:
        """Run a SPARQL query over the union of all article graphs.

        ``substitutions`` binds variables to values before the query runs (a ``str`` is a
        plain literal; rdflib and pyoxigraph terms are kept), so user input never becomes
        SPARQL syntax. In a SELECT query, a substituted variable must be selected.
        """
        try:
            with self.reading():
                return run_query(self._handle(), sparql, substitutions)
        except QueryError as exc:
            if substitutions and "projection" in str(exc):
                raise QueryError(
                    f"{exc} (a substituted variable must be in the SELECT clause)"
                ) from None
            raise

    def read_graph(self, graph: URIRef) -> list[ox.Triple]:
        """The triples of the named graph ``graph``."""
        with self.reading():
            quads = self._handle().quads_for_pattern(None, None, None, to_oxigraph(graph))
            return [q.triple for q in quads]

    def export(self, output: BinaryIO, fmt: str) -> None:
        """Write the whole store in ``fmt`` (see :data:`celebgraph.store.formats.RDF_FORMATS`)."""
        try:
            dump(self._handle(), output, fmt)
        except (OSError, RuntimeError) as exc:
            damage = self._damage(exc)
            if damage is None and isinstance(exc, OSError):
                raise  # the output's own error (a full disk, a closed pipe), for its writer
            raise damage or StoreError(f"cannot read store {self.path}: {_one_line(exc)}") from None

    def load_files(self, paths: Iterable[str | Path], jobs: int | None = None) -> LoadReport:
        """Bulk-load N-Quads, TriG or JSON-LD files on ``jobs`` threads (see
        :mod:`celebgraph.store.bulk`)."""
        from celebgraph.store.bulk import load_files

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
