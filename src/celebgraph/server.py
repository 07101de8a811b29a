"""A SPARQL 1.1 Protocol endpoint over a celebgraph store, on the standard library's HTTP server.

``/sparql`` answers queries sent by GET (``?query=``) or POST (an HTML form's
``query=``, or the query itself as ``application/sparql-query``), in the format the
``Accept`` header asks for: SPARQL JSON (the default), XML, CSV or TSV for SELECT and ASK;
Turtle (the default), N-Triples, JSON-LD or RDF/XML for CONSTRUCT and DESCRIBE. Queries see
the union of all graphs as their default graph and have celebgraph's prefixes predefined,
as ``celebgraph query`` does. The protocol's ``default-graph-uri`` and ``named-graph-uri``
parameters replace that dataset by the graphs they name.

The server is read-only unless it was started with an update token: then SPARQL Update
(POST ``application/sparql-update`` or form ``update=``) is run for requests that carry
``Authorization: Bearer TOKEN``, and refused with 403 otherwise.

Limits. Every query runs in a worker process from a small pool (Oxigraph cannot interrupt a
query running in a thread); one that exceeds ``timeout`` seconds has its worker killed and
replaced, and gets 503 "query exceeded the N s limit" while the other workers go on serving.
SELECT solutions and CONSTRUCT/DESCRIBE triples are cut after ``max_rows``: the worker reads
at most ``max_rows`` of them, serializes those, and the response then carries the header
``X-Result-Truncated: true`` (``X-Result-Limit`` always says the limit).

Store access. Read-only servers open the store read-only in each worker (no lock, so an
ingest may run alongside; a worker reopens the store when its files change, so it sees
what an ingest wrote). An update-enabled server runs a single worker that holds the store
read-write (Oxigraph lets one process at a time open a store read-write), so queries and
updates are served one at a time and no ingest can run while it is up.

``/`` is a small query page, ``/graph`` the HTML graph page named by ``graph_page``; every
response carries ``Access-Control-Allow-Origin: *`` so that browser clients (YASGUI) work.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import multiprocessing
import os
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from celebgraph.errors import StoreBusyError, StoreError
from celebgraph.ontology import PREFIXES
from celebgraph.store import open_database

#: Largest request body accepted (a query or an update), in bytes.
MAX_BODY = 1 << 20

#: (media type, pyoxigraph format name) offered for SELECT and ASK, the default first.
RESULTS_TYPES: list[tuple[str, str]] = [
    ("application/sparql-results+json", "JSON"),
    ("application/sparql-results+xml", "XML"),
    ("text/csv", "CSV"),
    ("text/tab-separated-values", "TSV"),
    ("application/json", "JSON"),
    ("application/xml", "XML"),
    ("text/xml", "XML"),
]

#: (media type, pyoxigraph format name) offered for CONSTRUCT and DESCRIBE, the default first.
GRAPH_TYPES: list[tuple[str, str]] = [
    ("text/turtle", "TURTLE"),
    ("application/n-triples", "N_TRIPLES"),
    ("application/ld+json", "JSON_LD"),
    ("application/rdf+xml", "RDF_XML"),
    ("application/x-turtle", "TURTLE"),
]

_RESULTS_FORMATS = {
    "JSON": ox.QueryResultsFormat.JSON,
    "XML": ox.QueryResultsFormat.XML,
    "CSV": ox.QueryResultsFormat.CSV,
    "TSV": ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "TURTLE": ox.RdfFormat.TURTLE,
    "N_TRIPLES": ox.RdfFormat.N_TRIPLES,
    "JSON_LD": ox.RdfFormat.JSON_LD,
    "RDF_XML": ox.RdfFormat.RDF_XML,
}
_TEXT_TYPES = ("text/", "application/n-triples")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass(frozen=True)
class ServerConfig:
    """How to run the SPARQL server.

    ``port`` 0 picks a free port (read it from ``server.server_address``). ``timeout`` is the
    limit of one query or update in seconds; ``max_rows`` the most SELECT solutions (or
    CONSTRUCT/DESCRIBE triples) one response carries. ``update_token``, when set, enables
    SPARQL Update for requests with ``Authorization: Bearer <update_token>``.
    ``graph_page`` is the HTML file served at ``/graph``. ``workers`` query processes run
    side by side (one when updates are enabled).
    """

    store: Path
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 30.0
    max_rows: int = 10_000
    update_token: str | None = None
    graph_page: Path | None = None
    workers: int = 2
    quiet: bool = False

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        if self.max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.update_token is not None and not self.update_token.strip():
            raise ValueError("update_token must not be empty")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")


# --- content negotiation ------------------------------------------------------------------


def _parse_accept(header: str) -> list[tuple[str, str, float]]:
    """``Accept`` → [(type, subtype, q)]; malformed ranges are skipped."""
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        main, sub = media.split("/", 1)
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((main, sub, q))
    return ranges


def negotiate(accept: str | None, offers: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The offer (media type, format) the ``Accept`` header prefers, or None if none fits.

    Each offer gets the q-value of the most specific range that matches it; the highest q
    wins, ties go to the earlier offer. No header (or an empty one) means the first offer.

    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", RESULTS_TYPES)[0]
    'application/sparql-results+xml'
    >>> negotiate("image/png", RESULTS_TYPES) is None
    True
    """
    if not accept or not accept.strip():
        return offers[0]
    ranges = _parse_accept(accept)
    best, best_q = None, 0.0
    for offer in offers:
        main, sub = offer[0].split("/", 1)
        q, specificity = 0.0, -1
        for r_main, r_sub, r_q in ranges:
            if r_main == main and r_sub == sub:
                level = 2
            elif r_main == main and r_sub == "*":
                level = 1
            elif r_main == "*" and r_sub == "*":
                level = 0
            else:
                continue
            if level > specificity:
                q, specificity = r_q, level
        if q > best_q:
            best, best_q = offer, q
    return best


def _content_type(media_type: str) -> str:
    if media_type.startswith(_TEXT_TYPES):
        return f"{media_type}; charset=utf-8"
    return media_type


# --- the worker process -------------------------------------------------------------------


def _one_line(text: object) -> str:
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

    def _open(self) -> ox.Store:
        if not self.writable:
            self.signature = _store_signature(self.path)
        # With the checks and one-line errors of every opening (a missing or damaged file
        # is named); read-only, nothing in the folder is created or changed.
        return open_database(self.path, read_only=not self.writable)

    def get(self) -> ox.Store:
        if not self.writable and _store_signature(self.path) != self.signature:
            self.db = self._open()
        return self.db

    def reopen(self) -> ox.Store:
        self.db = self._open()
        return self.db


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
    if fmt != "JSON":
        parsed = ox.parse_query_results(data, ox.QueryResultsFormat.JSON)
        data = parsed.serialize(format=_RESULTS_FORMATS[fmt])
    return data, truncated


def _run_query(handle: _StoreHandle, job: dict[str, Any]) -> tuple:
    kwargs: dict[str, Any] = {"prefixes": PREFIXES}
    try:
        if job["default_graph"] is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job["default_graph"]]
        else:
            kwargs["use_default_graph_as_union"] = True
        if job["named_graphs"] is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job["named_graphs"]]
    except ValueError as exc:
        return ("error", 400, f"invalid graph IRI: {_one_line(exc)}")
    try:
        result = handle.get().query(job["sparql"], **kwargs)
    except OSError:
        if handle.writable:
            raise
        # A read-only view can lose files to a writer's compaction: reopen, try once more.
        result = handle.reopen().query(job["sparql"], **kwargs)
    max_rows = job["max_rows"]
    limit_headers = {"X-Result-Limit": str(max_rows)}
    if isinstance(result, ox.QueryTriples):
        offer = job["graph_format"]
        if offer is None:
            return ("error", 406, _not_acceptable("a CONSTRUCT or DESCRIBE query", GRAPH_TYPES))
        media, fmt = offer
        triples = list(islice(result, max_rows + 1))
        truncated = len(triples) > max_rows
        rdf_format = _GRAPH_FORMATS[fmt]
        prefixes = PREFIXES if rdf_format is ox.RdfFormat.TURTLE else None
        body = ox.serialize(triples[:max_rows], None, rdf_format, prefixes=prefixes)
    else:
        offer = job["results_format"]
        if offer is None:
            return ("error", 406, _not_acceptable("a SELECT or ASK query", RESULTS_TYPES))
        media, fmt = offer
        if isinstance(result, ox.QueryBoolean):
            body, truncated = result.serialize(format=_RESULTS_FORMATS[fmt]), False
        else:
            body, truncated = _select_body(result, fmt, max_rows)
    if truncated:
        limit_headers["X-Result-Truncated"] = "true"
    return ("ok", 200, _content_type(media), body, limit_headers)


def _run_update(handle: _StoreHandle, job: dict[str, Any]) -> tuple:
    db = handle.get()
    db.update(job["sparql"], prefixes=PREFIXES)
    db.flush()
    return ("ok", 204, None, b"", {})


def _worker_main(conn: Any, path: str, writable: bool) -> None:
    """A query worker: opens the store, then answers jobs from ``conn`` until it closes."""
    try:
        handle = _StoreHandle(path, writable)
    except StoreError as exc:
        conn.send(("startup-error", _one_line(exc)))
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
            run = _run_update if job["op"] == "update" else _run_query
            reply = run(handle, job)
        except SyntaxError as exc:
            reply = ("error", 400, f"invalid SPARQL: {_one_line(exc)}")
        except StoreError as exc:  # reopening the store after a write (see _StoreHandle)
            reply = ("error", 503 if isinstance(exc, StoreBusyError) else 500, _one_line(exc))
        except (OSError, RuntimeError) as exc:
            reply = ("error", 500, f"query failed: {_one_line(exc)}")
        except Exception as exc:
            reply = ("error", 500, f"query failed: {type(exc).__name__}: {_one_line(exc)}")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


# --- the pool of workers ------------------------------------------------------------------


class _QueryTimeoutError(Exception):
    pass


class _WorkerCrashedError(Exception):
    pass


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        # Forking the threaded server directly is unsafe; a fork server is not, and with
        # this module preloaded a new worker starts in milliseconds.
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


class _Worker:
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

    def run(self, job: dict[str, Any], timeout: float) -> tuple:
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                raise _QueryTimeoutError
            return self.conn.recv()
        except (EOFError, OSError) as exc:
            raise _WorkerCrashedError from exc

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


class _WorkerPool:
    """Up to ``size`` workers; a request borrows one, and one that timed out is replaced."""

    def __init__(self, path: Path, writable: bool, size: int) -> None:
        self.ctx = _context()
        self.path = str(path)
        self.writable = writable
        self.size = size
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        # Start them all now: a store that cannot be opened fails here, not on a request.
        workers = [_Worker(self.ctx, self.path, writable)]
        try:
            workers += [_Worker(self.ctx, self.path, writable) for _ in range(size - 1)]
        finally:
            self._idle.extend(workers)

    def acquire(self, timeout: float) -> _Worker | None:
        if not self._slots.acquire(timeout=timeout):
            return None
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            try:
                worker = _Worker(self.ctx, self.path, self.writable)
            except BaseException:
                self._slots.release()
                raise
        return worker

    def release(self, worker: _Worker, healthy: bool) -> None:
        if healthy and not self._closed:
            with self._lock:
                self._idle.append(worker)
        else:
            worker.kill()
        self._slots.release()
        if not healthy and not self._closed:
            threading.Thread(target=self._replace, daemon=True).start()

    def _replace(self) -> None:
        # Hold a slot while starting: there are never more live workers than slots, so two
        # read-write workers never race for the store's lock.
        if not self._slots.acquire(blocking=False):
            return  # a request holds the slot and starts a worker itself when it needs one
        try:
            worker = _Worker(self.ctx, self.path, self.writable)
        except Exception:
            self._slots.release()
            return  # the next request starts one (and reports why it cannot)
        with self._lock:
            keep = not self._closed
            if keep:
                self._idle.append(worker)
        self._slots.release()
        if not keep:
            worker.stop()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


# --- HTTP ---------------------------------------------------------------------------------


def _not_acceptable(what: str, offers: list[tuple[str, str]]) -> str:
    types = ", ".join(dict.fromkeys(m for m, _ in offers))
    return f"cannot answer {what} in any type the Accept header allows; use one of {types}"


def query_page() -> bytes:
    """The self-contained query page served at ``/``."""
    page = resources.files("celebgraph").joinpath("static/query.html").read_text("utf-8")
    return page.replace("/*PREFIXES*/{}", json.dumps(PREFIXES), 1).encode("utf-8")


class _HttpError(Exception):
    """Stop handling the request and answer with ``status`` and a one-line message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class SparqlRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "celebgraph-sparql"
    disable_nagle_algorithm = True
    server: SparqlServer

    # -- plumbing --

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.config.quiet:
            super().log_message(format, *args)

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header(
            "Access-Control-Expose-Headers", "Content-Type, X-Result-Limit, X-Result-Truncated"
        )
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _send_error_line(self, status: int, message: str, headers: dict | None = None) -> None:
        self._send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8", headers)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            self.close_connection = True
            raise _HttpError(411, "send the request body with a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise _HttpError(400, "malformed Content-Length") from None
        if length > MAX_BODY:
            self.close_connection = True
            raise _HttpError(413, f"request body over {MAX_BODY} bytes")
        return self.rfile.read(length) if length > 0 else b""

    # -- methods --

    def do_OPTIONS(self) -> None:
        requested = self.headers.get("Access-Control-Request-Headers")
        self._send(
            204,
            headers={
                "Allow": "GET, POST, OPTIONS",
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": requested or "Accept, Authorization, Content-Type",
                "Access-Control-Max-Age": "600",
            },
        )

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        try:
            body = self._read_body()  # read even when unused: the connection stays in step
            url = urlsplit(self.path)
            if url.path in ("/sparql", "/sparql/"):
                self._sparql(url.query, body)
            elif url.path in ("/", "/index.html", "/query"):
                self._page(query_page)
            elif url.path in ("/graph", "/graph/"):
                self._graph_page()
            else:
                raise _HttpError(404, f"no such page {url.path}; the SPARQL endpoint is /sparql")
        except _HttpError as reply:
            self._send_error_line(reply.status, reply.message, reply.headers)

    def _page(self, load: Callable[[], bytes]) -> None:
        if self.command not in ("GET", "HEAD"):
            raise _HttpError(405, f"{self.command} is not allowed here", {"Allow": "GET, HEAD"})
        self._send(200, load(), "text/html; charset=utf-8", {"Cache-Control": "no-cache"})

    def _graph_page(self) -> None:
        page = self.server.config.graph_page
        if page is None:
            raise _HttpError(
                404,
                "no graph page: start the server with --graph-page FILE "
                "(an HTML page written by celebgraph's graph command)",
            )
        try:
            self._page(Path(page).read_bytes)
        except OSError as exc:
            raise _HttpError(404, f"cannot read graph page {page}: {exc.strerror or exc}") from None

    # -- the SPARQL protocol --

    def _sparql(self, query_string: str, body: bytes) -> None:
        params = parse_qs(query_string, keep_blank_values=True)
        if self.command == "POST":
            media = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise _HttpError(400, "the request body is not UTF-8") from None
            if media == "application/x-www-form-urlencoded":
                for name, values in parse_qs(text, keep_blank_values=True).items():
                    params.setdefault(name, []).extend(values)
            elif media == "application/sparql-query":
                params.setdefault("query", []).append(text)
            elif media == "application/sparql-update":
                params.setdefault("update", []).append(text)
            else:
                raise _HttpError(
                    415,
                    f"unsupported Content-Type {media or '(none)'}; use "
                    "application/x-www-form-urlencoded, application/sparql-query or "
                    "application/sparql-update",
                )
        elif self.command not in ("GET", "HEAD"):
            raise _HttpError(405, f"{self.command} is not allowed", {"Allow": "GET, POST, OPTIONS"})
        queries, updates = params.get("query", []), params.get("update", [])
        if queries and updates:
            raise _HttpError(400, "send either a query or an update, not both")
        if len(queries) > 1 or len(updates) > 1:
            raise _HttpError(400, "send exactly one query or update per request")
        if updates:
            if self.command != "POST":
                raise _HttpError(400, "SPARQL Update must be sent with POST")
            self._update(updates[0], params)
        elif queries:
            self._query(queries[0], params)
        else:
            raise _HttpError(
                400,
                "missing query: send GET /sparql?query=..., or POST a form with query=... "
                "or a body of type application/sparql-query",
            )

    def _query(self, sparql: str, params: dict[str, list[str]]) -> None:
        accept = self.headers.get("Accept")
        results_offer = negotiate(accept, RESULTS_TYPES)
        graph_offer = negotiate(accept, GRAPH_TYPES)
        if results_offer is None and graph_offer is None:
            raise _HttpError(406, _not_acceptable("the query", RESULTS_TYPES + GRAPH_TYPES))
        default_graph = params.get("default-graph-uri")
        named_graphs = params.get("named-graph-uri")
        if named_graphs is not None and default_graph is None:
            default_graph = []  # a dataset given only by its named graphs has an empty default
        self._run(
            {
                "op": "query",
                "sparql": sparql,
                "default_graph": default_graph,
                "named_graphs": named_graphs,
                "results_format": results_offer,
                "graph_format": graph_offer,
                "max_rows": self.server.config.max_rows,
            }
        )

    def _update(self, sparql: str, params: dict[str, list[str]]) -> None:
        token = self.server.config.update_token
        if token is None:
            raise _HttpError(
                403,
                "SPARQL Update is disabled: this server is read-only "
                "(start it with --allow-update-token TOKEN to enable updates)",
            )
        scheme, _, given = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("utf-8"), token.encode("utf-8")
        ):
            raise _HttpError(403, "SPARQL Update needs the header Authorization: Bearer <token>")
        if params.get("using-graph-uri") or params.get("using-named-graph-uri"):
            raise _HttpError(
                400,
                "using-graph-uri and using-named-graph-uri are not supported; "
                "use USING or GRAPH in the update itself",
            )
        self._run({"op": "update", "sparql": sparql})

    def _run(self, job: dict[str, Any]) -> None:
        config = self.server.config
        pool = self.server.pool
        try:
            worker = pool.acquire(timeout=config.timeout)
        except StoreError as exc:
            raise _HttpError(503, str(exc)) from None
        if worker is None:
            raise _HttpError(
                503,
                f"server busy: all {pool.size} query workers stayed in use for "
                f"{config.timeout:g} s; retry later",
                {"Retry-After": "1"},
            )
        healthy = False
        try:
            reply = worker.run(job, config.timeout)
            healthy = True
        except _QueryTimeoutError:
            what = "update" if job["op"] == "update" else "query"
            raise _HttpError(503, f"{what} exceeded the {config.timeout:g} s limit") from None
        except _WorkerCrashedError:
            raise _HttpError(500, "the query worker crashed; the query was not answered") from None
        finally:
            pool.release(worker, healthy)
        if reply[0] == "ok":
            _, status, content_type, body, headers = reply
            headers = {**headers, "Vary": "Accept"} if content_type else headers
            self._send(status, body, content_type, headers)
        else:
            raise _HttpError(reply[1], reply[2])


class SparqlServer(ThreadingHTTPServer):
    """The HTTP server; ``shutdown()`` also stops the query workers and closes the socket."""

    daemon_threads = True

    def __init__(self, config: ServerConfig, pool: _WorkerPool) -> None:
        self.config = config
        self.pool = pool
        self._serving = False
        self._stopped = False
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), SparqlRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._serving = True
        super().serve_forever(poll_interval)

    def shutdown(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._serving:
            super().shutdown()
        self.server_close()
        self.pool.close()


def make_server(config: ServerConfig) -> SparqlServer:
    """A bound, not yet serving, SPARQL server; call ``serve_forever()`` and ``shutdown()``.

    Raises :class:`~celebgraph.errors.StoreError` when the store cannot be opened and
    :class:`OSError` when the address cannot be bound.
    """
    writable = config.update_token is not None
    pool = _WorkerPool(Path(config.store), writable, 1 if writable else config.workers)
    try:
        return SparqlServer(config, pool)
    except BaseException:
        pool.close()
        raise


def serve(config: ServerConfig, ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C). ``ready`` gets the base URL once listening."""
    server = make_server(config)
    try:
        if ready is not None:
            ready(server.url)
        else:
            print(
                f"SPARQL endpoint at {server.url}/sparql, query page at {server.url}/",
                file=sys.stderr,
                flush=True,
            )
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


__all__ = ["ServerConfig", "SparqlServer", "make_server", "negotiate", "query_page", "serve"]
