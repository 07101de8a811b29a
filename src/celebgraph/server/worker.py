"""The query worker: a process that holds the store and answers one job at a time.

Oxigraph cannot interrupt a query running in a thread, so queries run in processes the
server can kill: past the time limit, or past the memory bound (the parent samples the
worker's resident memory while it waits). A job is a dict; the reply a tuple
``("ok", status, content type, body, headers)`` or ``("error", status, message)``.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import time
from itertools import islice
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from celebgraph.errors import StoreBusyError, StoreError
from celebgraph.ontology import PREFIXES
from celebgraph.server.formats import GRAPH_TYPES, RESULTS_TYPES, content_type, not_acceptable
from celebgraph.server.sparql_text import remote_targets
from celebgraph.store import Store, open_store
from celebgraph.store.formats import RDF_FORMATS, RESULTS_FORMATS

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: Attempts of a read that lost files to a writer's compaction (each on a fresh open).
_READ_ATTEMPTS = 4
#: What RocksDB says when a file it was reading was compacted away under it.
_LOST_FILE_SIGNS = ("No such file", "Corruption", "IO error")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class QueryTimeoutError(Exception):
    """The job ran past the time limit; its worker was killed."""


class QueryMemoryError(Exception):
    """The worker went past the memory bound; it was killed."""


class WorkerCrashedError(Exception):
    """The worker died while it ran the job."""


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def _store_signature(path: str) -> tuple:
    """Names, sizes and times of the store's files: it changes when someone writes."""
    try:
        return tuple(
            sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(path))
        )
    except OSError:
        return ()


class _StoreHandle:
    """The worker's store: read-only, reopened when its files change; or read-write."""

    def __init__(self, path: str, writable: bool) -> None:
        self.path = path
        self.writable = writable
        self.signature: tuple = ()
        self.db = self._open()

    def _open(self, wait: bool = True) -> ox.Store:
        signature = _store_signature(self.path)
        # A read-only view keeps no lock: an ingest may write meanwhile (see get, reopen).
        store = open_store(
            self.path,
            read_only=not self.writable,
            timeout=None if wait else 0,
            hold_lock=self.writable,
        )
        assert isinstance(store, Store)  # a folder, never a URL (cli.serve refuses those)
        self.store, self.signature = store, signature
        return store.database

    def get(self) -> ox.Store:
        """The store, reopened first when someone wrote to it; while a writer still holds
        it, the view opened before goes on answering (no wait behind an ingest)."""
        if not self.writable and _store_signature(self.path) != self.signature:
            # Held by a writer (busy), or caught mid-compaction (a file just removed): the
            # view opened before answers; a read that loses a file reopens (see _read).
            with contextlib.suppress(StoreError):
                self.db = self._open(wait=False)
        return self.db

    def reopen(self) -> None:
        """A fresh read-only open, after a read lost files to a writer's compaction; an
        open during a compaction can fail the same way, so it is retried a few times."""
        for attempt in range(_READ_ATTEMPTS):
            try:
                self.db = self._open()
                return
            except (OSError, StoreError):
                if attempt == _READ_ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * (attempt + 1))


def _term_json(term: Any) -> dict[str, Any]:
    """A pyoxigraph term in the SPARQL 1.1 JSON results format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value not in (_XSD_STRING, _RDF_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _term_json(term.subject),
                "predicate": _term_json(term.predicate),
                "object": _term_json(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def _select_body(solutions: ox.QuerySolutions, fmt: str, max_rows: int) -> tuple[bytes, bool]:
    """At most ``max_rows`` solutions serialized in ``fmt``; and whether rows were cut."""
    names = [v.value for v in solutions.variables]
    rows = list(islice(solutions, max_rows + 1))
    truncated = len(rows) > max_rows
    bindings = []
    for row in rows[:max_rows]:
        binding = {}
        for name in names:
            term = row[name]
            if term is not None:
                binding[name] = _term_json(term)
        bindings.append(binding)
    data = json.dumps(
        {"head": {"vars": names}, "results": {"bindings": bindings}},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    if fmt != "json":
        parsed = ox.parse_query_results(data, ox.QueryResultsFormat.JSON)
        data = parsed.serialize(format=RESULTS_FORMATS[fmt].format)
    return data, truncated


def _dataset(job: dict[str, Any]) -> dict[str, Any]:
    """pyoxigraph's dataset options: the protocol's graphs, else the query's own FROM /
    FROM NAMED (no option: Oxigraph reads them), else the union of all graphs."""
    if job["default_graph"] is None and job["named_graphs"] is None:
        return {} if job["has_from"] else {"use_default_graph_as_union": True}
    return {
        "default_graph": [ox.NamedNode(g) for g in job["default_graph"] or []],
        "named_graphs": [ox.NamedNode(g) for g in job["named_graphs"] or []],
    }


def _answer(db: ox.Store, job: dict[str, Any], dataset: dict[str, Any]) -> tuple:
    """Run the query and serialize (at most ``max_rows`` of) its answer."""
    result = db.query(job["sparql"], base_iri=job["base_iri"], prefixes=PREFIXES, **dataset)
    max_rows = job["max_rows"]
    limit_headers = {"X-Result-Limit": str(max_rows)}
    if isinstance(result, ox.QueryTriples):
        offer = job["graph_format"]
        if offer is None:
            return ("error", 406, not_acceptable("a CONSTRUCT or DESCRIBE query", GRAPH_TYPES))
        media, fmt = offer
        triples = list(islice(result, max_rows + 1))
        truncated = len(triples) > max_rows
        rdf_format = RDF_FORMATS[fmt].format
        prefixes = PREFIXES if rdf_format is ox.RdfFormat.TURTLE else None
        body = ox.serialize(triples[:max_rows], None, rdf_format, prefixes=prefixes)
    else:
        offer = job["results_format"]
        if offer is None:
            return ("error", 406, not_acceptable("a SELECT or ASK query", RESULTS_TYPES))
        media, fmt = offer
        if isinstance(result, ox.QueryBoolean):
            body, truncated = result.serialize(format=RESULTS_FORMATS[fmt].format), False
        else:
            body, truncated = _select_body(result, fmt, max_rows)
    if truncated:
        limit_headers["X-Result-Truncated"] = "true"
    return ("ok", 200, content_type(media), body, limit_headers)


def _read(handle: _StoreHandle, job: dict[str, Any], run: Any) -> tuple:
    """``run(db)``, read through to the end; a read-only view that loses files to a
    writer's compaction (an OSError or RuntimeError "Corruption: … No such file … .sst",
    while reading rows too) is reopened and the read starts over."""
    for attempt in range(_READ_ATTEMPTS):
        try:
            return run(handle.get())
        except (OSError, RuntimeError) as exc:  # pyoxigraph raises either for a lost file
            lost = any(sign in str(exc) for sign in _LOST_FILE_SIGNS)
            if handle.writable or not lost or attempt == _READ_ATTEMPTS - 1:
                raise
            handle.reopen()
    raise AssertionError("unreachable")


def _run_query(handle: _StoreHandle, job: dict[str, Any]) -> tuple:
    try:
        dataset = _dataset(job)
    except ValueError as exc:
        return ("error", 400, f"invalid graph IRI: {one_line(exc)}")
    return _read(handle, job, lambda db: _answer(db, job, dataset))


def _run_graphs(handle: _StoreHandle, job: dict[str, Any]) -> tuple:
    """The names of (at most ``max_rows``) named graphs, for the service description."""

    def names(db: ox.Store) -> list[str]:
        graphs = (g.value for g in db.named_graphs() if isinstance(g, ox.NamedNode))
        return sorted(islice(graphs, job["max_rows"]))

    return ("ok", 200, None, _read(handle, job, names), {})


def _run_update(handle: _StoreHandle, job: dict[str, Any]) -> tuple:
    db = handle.get()
    db.update(job["sparql"], base_iri=job["base_iri"], prefixes=PREFIXES)
    db.flush()
    return ("ok", 204, None, b"", {})


_RUNS = {"query": _run_query, "update": _run_update, "graphs": _run_graphs}

#: Oxigraph's HTTP client follows no redirect: a SERVICE or LOAD target that answers one
#: fails with this, before any request goes to the address it redirects to.
_REDIRECT = re.compile(r"too many redirects.*redirection target is (\S+)", re.IGNORECASE)


def _redirect_refused(job: dict[str, Any], exc: BaseException) -> tuple | None:
    """The 400 for a SERVICE or LOAD target that redirected (whose target was checked, but
    not where it redirects: that could be a private address), None for another error."""
    found = _REDIRECT.search(one_line(exc))
    if found is None:
        return None
    targets = remote_targets(job.get("sparql", ""))
    keyword, iri = targets[0] if len(targets) == 1 else ("SERVICE", None)
    what = "SERVICE (federated query)" if keyword == "SERVICE" else "LOAD of a remote document"
    return (
        "error",
        400,
        f"{what} refused: {iri or 'a remote target'} redirects to {found.group(1).rstrip('.')};"
        " redirects are not followed (where they lead is not checked against private"
        " addresses); give the address it redirects to",
    )


def _worker_main(conn: Any, path: str, writable: bool) -> None:
    """A query worker: opens the store, then answers jobs from ``conn`` until it closes."""
    try:
        handle = _StoreHandle(path, writable)
    except StoreError as exc:
        conn.send(("startup-error", one_line(exc)))
        return
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            reply = _RUNS[job["op"]](handle, job)
        except SyntaxError as exc:
            reply = ("error", 400, f"invalid SPARQL: {one_line(exc)}")
        except StoreError as exc:  # reopening the store after a write (see _StoreHandle)
            reply = ("error", 503 if isinstance(exc, StoreBusyError) else 500, one_line(exc))
        except (OSError, RuntimeError) as exc:
            reply = _redirect_refused(job, exc) or ("error", 500, f"query failed: {one_line(exc)}")
        except Exception as exc:
            reply = ("error", 500, f"query failed: {type(exc).__name__}: {one_line(exc)}")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def context() -> multiprocessing.context.BaseContext:
    """A fork server with this module preloaded: safe from a threaded server, and a new
    worker starts in milliseconds; spawn where there is no fork server."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def _rss(pid: int) -> int | None:
    """Resident memory of a process in bytes (Linux), None where /proc does not say."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_bytes().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


class Worker:
    """One worker process and the pipe to it."""

    #: How often the parent looks at the worker's memory while a job runs, in seconds.
    SAMPLE = 0.02

    def __init__(self, ctx: multiprocessing.context.BaseContext, path: str, writable: bool):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, path, writable),
            daemon=True,
            name="celebgraph-sparql-worker",
        )
        self.process.start()
        child.close()
        try:
            if not self.conn.poll(60):
                raise StoreError(f"cannot open store {path}: the query worker did not start")
            hello = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise StoreError(f"cannot open store {path}: the query worker died") from None
        if hello[0] != "ready":
            self.kill()
            raise StoreError(hello[1])

    def run(self, job: dict[str, Any], timeout: float, max_memory: int) -> tuple:
        """The worker's reply; raises when it ran too long, grew too big or died (the
        caller then kills it)."""
        deadline = time.monotonic() + timeout
        try:
            self.conn.send(job)
            while not self.conn.poll(self.SAMPLE):
                rss = _rss(self.process.pid or 0)
                if rss is not None and rss > max_memory:
                    raise QueryMemoryError
                if time.monotonic() >= deadline:
                    raise QueryTimeoutError
            return self.conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerCrashedError from exc

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
            self.process.join(2)
        self.kill()
