"""A celebgraph store on a SPARQL 1.1 server (Virtuoso, Fuseki, QLever, GraphDB, ...).

The store spec is the query endpoint's URL::

    http://user:password@host:8890/sparql-auth?update=http://host:8890/sparql-auth

The update endpoint is the ``update`` parameter, else ``$CELEBGRAPH_UPDATE_URL``, else the
query URL itself. Credentials come from the URL's user info, else from
``$CELEBGRAPH_STORE_USER`` / ``$CELEBGRAPH_STORE_PASSWORD``; HTTP Basic and Digest (which
Virtuoso's ``/sparql-auth`` asks for) both work.

:class:`RemoteStore` keeps the contract of :class:`celebgraph.store.TripleStore`. Each article is
written with one update request (drop its graph, insert its triples, update the people
graph: the same SPARQL Update the embedded store runs in one transaction). Virtuoso 7
does not apply a multi-operation request atomically: operations before a failing one stay
applied. A write that fails half-way (server stopped, timeout) can leave one article
half-written; the ingest reports it as failed, and ingesting it again repairs it.

Queries get celebgraph's prefixes and see the server's default graph, which on Virtuoso
(and Fuseki with ``unionDefaultGraph``, GraphDB, QLever) is the union of all graphs.
Results are parsed by pyoxigraph, so callers see the same terms as with the embedded
store. The store's own content (``export``, ``len``, ``count_graphs``) is the graphs
whose names start with ``https://w3id.org/celebgraph/``: a shared server may hold other
data (Virtuoso keeps its own system graphs, which queries without GRAPH also see).

Every request is bounded: connecting, sending and reading the whole answer share one
deadline (``$CELEBGRAPH_REMOTE_TIMEOUT`` seconds, default 60, or the ``timeout``
argument), so a server that trickles bytes is cut off like one that says nothing; an
answer is read in pieces and refused once it passes ``$CELEBGRAPH_REMOTE_MAX_BYTES``
(default 256 MiB). An answer that is not HTTP, is cut short, is not in the format asked
for, or does not bind what the query projects is a one-line :class:`QueryError` (a
:class:`StoreError` for updates) naming the endpoint.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import math
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import pyoxigraph as ox
from rdflib import URIRef

from celebgraph.errors import QueryError, StoreError
from celebgraph.rdf import GraphChange, Triple
from celebgraph.sparql_checks import check_sparql
from celebgraph.store.formats import RDF_FORMATS, RESULTS_FORMATS, rdf_format
from celebgraph.store.memory import MemoryStore
from celebgraph.store.protocol import Closing, QueryResult, Triples
from celebgraph.store.sparql import (
    COUNT_GRAPHS,
    COUNT_QUADS,
    GRAPH_ROOT,
    projection,
    prologue,
    quads_page,
    replace_update,
    replace_updates,
    scan,
    to_oxigraph,
    to_substitutions,
    with_values,
)
from celebgraph.text import printable

if TYPE_CHECKING:
    from celebgraph.store.bulk import LoadReport

UPDATE_URL_VAR = "CELEBGRAPH_UPDATE_URL"
USER_VAR = "CELEBGRAPH_STORE_USER"
PASSWORD_VAR = "CELEBGRAPH_STORE_PASSWORD"
TIMEOUT_VAR = "CELEBGRAPH_REMOTE_TIMEOUT"
#: Seconds one request may take in all: connect, send, and read the whole answer.
DEFAULT_TIMEOUT = 60.0
MAX_BYTES_VAR = "CELEBGRAPH_REMOTE_MAX_BYTES"
#: The largest answer read (bytes); a larger one is refused, never held whole.
DEFAULT_MAX_BYTES = 256 * 2**20
#: Rows per request when reading every quad (servers cap result sizes; Virtuoso at 10000).
PAGE = 10_000

_ACCEPT_RESULTS = f"{RESULTS_FORMATS['json'].media_type}, {RESULTS_FORMATS['xml'].media_type};q=0.9"
# text/plain: N-Triples' media type before it had its own.
_ACCEPT_GRAPH = (
    f"{RDF_FORMATS['ntriples'].media_type}, text/plain;q=0.9,"
    f" {RDF_FORMATS['turtle'].media_type};q=0.8"
)
_CHUNK = 1 << 16
_DETAIL = 500  # characters of a server's error page quoted in a message
_T = TypeVar("_T")


def is_remote(spec: object) -> bool:
    """Is this store spec an ``http://`` or ``https://`` URL?"""
    return isinstance(spec, str) and spec.lower().startswith(("http://", "https://"))


def parse_spec(spec: str) -> tuple[str, str, str | None, str | None]:
    """(query URL, update URL, user, password) of a store URL; credentials left out of both."""
    parts = urllib.parse.urlsplit(spec)
    params = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    update = next((v for k, v in params if k == "update"), None)
    query_params = urllib.parse.urlencode([(k, v) for k, v in params if k != "update"])
    host = parts.hostname or ""
    if not host:
        raise StoreError(f"store URL {_redact(spec)} has no host")
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        raise StoreError(f"store URL {_redact(spec)} has a bad port") from None
    if port is not None:
        netloc += f":{port}"
    query_url = urllib.parse.urlunsplit(
        (parts.scheme.lower(), netloc, parts.path or "/", query_params, "")
    )
    user = urllib.parse.unquote(parts.username) if parts.username is not None else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    if user is None:
        user = os.environ.get(USER_VAR) or None
        password = os.environ.get(PASSWORD_VAR) if user is not None else None
    update = update or os.environ.get(UPDATE_URL_VAR) or query_url
    if not is_remote(update):
        raise StoreError(f"update URL {_redact(update)} is not an http(s) URL")
    if "@" in urllib.parse.urlsplit(update).netloc:
        raise StoreError("put the credentials in the query URL, not in the update URL")
    return query_url, update, user, password


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(?<=://)([^/@:]*):[^/@]*@", r"\1:***@", url)


def _limit(value: float | None, name: str, var: str, default: float, unit: str) -> float:
    """The argument ``name``'s ``value``, else ``$var``, else ``default``: a positive number."""
    source, raw = (name, value) if value is not None else (var, os.environ.get(var, "").strip())
    try:
        number = float(raw) if raw != "" else default
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise StoreError(f"{source} must be a positive number of {unit}, not {raw!r}")
    return number


def _printable(text: str, limit: int = _DETAIL) -> str:
    """Server-sent text for a one-line message: whitespace runs as one space, control
    characters (ANSI escapes, CR) escaped, at most ``limit`` characters."""
    return printable(" ".join(text.split())[:limit])


class RemoteStore(Closing):
    """A celebgraph store on a SPARQL 1.1 query + update endpoint."""

    def __init__(
        self, spec: str, timeout: float | None = None, max_bytes: int | None = None
    ) -> None:
        """Connect to nothing yet; ``timeout`` (seconds per request, connect to last byte)
        defaults to ``$CELEBGRAPH_REMOTE_TIMEOUT`` or :data:`DEFAULT_TIMEOUT`, ``max_bytes``
        (the largest answer) to ``$CELEBGRAPH_REMOTE_MAX_BYTES`` or
        :data:`DEFAULT_MAX_BYTES`."""
        self.spec = spec
        self.path = _redact(spec)  # what messages name, like Store.path
        self.query_url, self.update_url, user, password = parse_spec(spec)
        self.timeout = _limit(timeout, "timeout", TIMEOUT_VAR, DEFAULT_TIMEOUT, "seconds")
        self.max_bytes = int(
            _limit(max_bytes, "max_bytes", MAX_BYTES_VAR, DEFAULT_MAX_BYTES, "bytes")
        )
        self._passwords = None
        if user is not None:
            self._passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {self.query_url, self.update_url}:
                self._passwords.add_password(None, url, user, password or "")
        self._closed = False

    # --- the Store interface ---------------------------------------------------------------

    def close(self) -> None:
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    def check(self) -> None:
        """Fail now (unreachable server, wrong credentials) rather than after extraction."""
        self.query("ASK { }")

    def replace_graph(
        self,
        graph: URIRef,
        triples: Iterable[Triple],
        add: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
        add_if_absent: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
    ) -> int:
        """Replace the named graph ``graph`` by ``triples`` (and the ``add``,
        ``add_if_absent`` changes as in :meth:`Store.replace_graph`) in one update request."""
        build = functools.partial(replace_update, graph, triples, add, add_if_absent)
        return self._write(f"graph {graph}", build)

    def replace_graphs(self, changes: Sequence[GraphChange]) -> list[int]:
        """Several :meth:`replace_graph` changes (graph, triples, add, add_if_absent) in one
        update request: a batch of articles costs one round trip. SPARQL 1.1 Update runs a
        request's operations in order, so the store ends as after one request per change;
        the triples written for each."""
        return self._write(f"{len(changes)} graphs", functools.partial(replace_updates, changes))

    def _write(self, what: str, build: Callable[[], tuple[str, _T]]) -> _T:
        """Build an update and send it; either failure is one error naming ``what``."""
        try:
            update, written = build()
            self._post(self.update_url, {"update": update}, "*/*", StoreError)
        except (ValueError, StoreError) as exc:
            raise StoreError(f"cannot write {what} to {self.path}: {exc}") from None
        return written

    def query(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> QueryResult:
        """Run a query on the server; the answer is read fully (within the time and size
        bounds), checked against the query and parsed by pyoxigraph."""
        check_sparql(sparql)
        bound = to_substitutions(substitutions)
        if bound:
            sparql = with_values(sparql, bound)
        form, _ = scan(sparql)
        accept = _ACCEPT_GRAPH if form == "graph" else _ACCEPT_RESULTS
        body, media = self._post(self.query_url, {"query": prologue() + sparql}, accept)
        return self._parse(body, media, sparql)

    def read_graph(self, graph: URIRef) -> list[ox.Triple]:
        """The triples of the named graph ``graph``."""
        result = self.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": to_oxigraph(graph)}
        )
        return list(result.raw)

    def load_files(self, paths: Iterable[str | Path], jobs: int | None = None) -> LoadReport:
        """Refused: a SPARQL server has a bulk loader of its own."""
        raise StoreError(
            "load writes to an embedded store folder, not a SPARQL endpoint: load the"
            " files with the server's own bulk loader (Virtuoso ld_dir, tdb2.tdbloader)"
        )

    def _parse(self, body: bytes, media: str, sparql: str) -> QueryResult:
        """The answer, read through once now so that a malformed one is a QueryError here
        rather than a traceback wherever its rows are read; the result parses the same
        bytes again as it is iterated, so rows cost no more memory than the answer."""
        form, _ = scan(sparql)
        asked = {"select": "a SELECT", "ask": "an ASK", "graph": "a CONSTRUCT/DESCRIBE"}
        what = f"{self.query_url} answered {asked.get(form, 'the')} query"
        shown = repr(_printable(media)) if media else "no declared format"
        if form != "graph":
            results_format = ox.QueryResultsFormat.from_media_type(media) if media else None
            if results_format is not None:
                return self._results(body, results_format, form, sparql, what)
            if form is not None:
                raise QueryError(f"{what} in {shown}, not in SPARQL results")
        rdf_format = ox.RdfFormat.from_media_type(media) if media else None
        if rdf_format is None:
            raise QueryError(f"{what} in {shown}, not in RDF")
        _, problem = _read_through(lambda: sum(1 for _ in ox.parse(body, rdf_format)))
        if problem:
            raise QueryError(f"{what} with unreadable RDF: {problem}")
        return QueryResult(
            "graph", Triples(lambda: (quad.triple for quad in ox.parse(body, rdf_format)))
        )

    def _results(
        self,
        body: bytes,
        results_format: ox.QueryResultsFormat,
        form: str | None,
        sparql: str,
        what: str,
    ) -> QueryResult:
        shape, problem = _read_through(lambda: _results_shape(body, results_format))
        if problem:
            raise QueryError(f"{what} with unreadable results: {problem}")
        if isinstance(shape, bool):
            if form not in {"ask", None}:
                raise QueryError(f"{what} with a boolean, not rows")
            return QueryResult("ask", ox.parse_query_results(body, results_format))
        names, count = shape
        if form not in {"select", None}:
            raise QueryError(f"{what} with rows, not a boolean")
        projected, one_row = projection(sparql)
        if projected is not None and names != projected:
            listed = " ".join(f"?{n}" for n in sorted(names)) or "no variables"
            wanted = " ".join(f"?{n}" for n in sorted(projected))
            raise QueryError(f"{what} with {listed}, not the {wanted} it selects")
        if one_row and count != 1:
            raise QueryError(f"{what} with {count} rows; an aggregate without GROUP BY has one")
        return QueryResult("select", ox.parse_query_results(body, results_format))

    def quads(self) -> Iterable[ox.Quad]:
        """Every quad of celebgraph's graphs, read in pages by (graph, subject).

        Keyset paging, not OFFSET: Virtuoso refuses to sort past its result cap (10000
        rows by default), and a server may cut a page short. The last subject of a page
        may be cut, so it is read again with the next page; a subject alone in a page is
        taken whole (no celebgraph subject has anywhere near :data:`PAGE` triples).
        """
        after: tuple[str, str] | None = None
        while True:
            terms = [
                (row["g"], row["s"], row["p"], row["o"])
                for row in self.query(quads_page(after, PAGE)).raw
            ]
            rows = [self._quad(*t) for t in terms]
            if not rows:
                return
            last = (rows[-1].graph_name.value, rows[-1].subject.value)
            whole = [q for q in rows if (q.graph_name.value, q.subject.value) != last] or rows
            yield from whole
            previous, after = after, (whole[-1].graph_name.value, whole[-1].subject.value)
            if after == previous:  # the server ignored the FILTER: it would page forever
                raise QueryError(f"{self.query_url} sent the same page of quads twice")

    def _quad(self, g: object, s: object, p: object, o: object) -> ox.Quad:
        """A row of :meth:`quads` as a quad, checked: in a celebgraph graph, with a node as
        subject and an IRI as predicate."""
        if not (
            isinstance(g, ox.NamedNode)
            and g.value.startswith(GRAPH_ROOT)
            and isinstance(s, ox.NamedNode | ox.BlankNode)
            and isinstance(p, ox.NamedNode)
            and o is not None
        ):
            raise QueryError(
                f"{self.query_url} answered a row that is not a quad of a celebgraph graph:"
                f" {_printable(' '.join(str(t) for t in (s, p, o, g)))}"
            )
        return ox.Quad(s, p, o, g)

    def export(self, output: BinaryIO, fmt: str) -> None:
        """Write celebgraph's graphs in ``fmt``, as :meth:`Store.export` does."""
        rdf_format(fmt)  # an unknown format is refused before anything is read
        with MemoryStore() as memory:
            memory.extend(self.quads())
            memory.export(output, fmt)

    def count_graphs(self) -> int:
        return self._count(COUNT_GRAPHS)

    def __len__(self) -> int:
        return self._count(COUNT_QUADS)

    def _count(self, sparql: str) -> int:
        (row,) = self.query(sparql).raw  # one row: the query is an aggregate
        value = row["n"]
        if not (isinstance(value, ox.Literal) and value.value.isdigit()):
            raise QueryError(f"{self.query_url} answered a count with {_printable(str(value))}")
        return int(value.value)

    # --- HTTP -------------------------------------------------------------------------------

    def _post(
        self, url: str, form: dict[str, str], accept: str, error: type[Exception] = QueryError
    ) -> tuple[bytes, str]:
        """POST a form to ``url``: the answer's body and media type, read within
        :attr:`timeout` seconds in all and at most :attr:`max_bytes` long. Every failure is
        one line naming the URL: a :class:`StoreError` when the server cannot be reached or
        does not finish in time, else ``error``."""
        if self._closed:
            raise StoreError(f"store {self.path} is closed")
        where = _redact(url)
        data = urllib.parse.urlencode(form).encode("utf-8")
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": accept,
                "User-Agent": "celebgraph",
            },
        )
        handlers: list[urllib.request.BaseHandler] = [_Deadline(self.timeout)]
        if self._passwords is not None:  # new handlers each time: Digest keeps state
            handlers += [
                urllib.request.HTTPDigestAuthHandler(self._passwords),
                urllib.request.HTTPBasicAuthHandler(self._passwords),
            ]
        timed_out = StoreError(
            f"{where}: no complete answer within {self.timeout:g} s; check the server,"
            f" or set {TIMEOUT_VAR} to wait longer"
        )
        try:
            with urllib.request.build_opener(*handlers).open(request) as response:
                declared = response.headers["Content-Type"]  # no header: not text/plain
                media = response.headers.get_content_type() if declared else ""
                return self._read(response, where, error), media
        except urllib.error.HTTPError as exc:
            detail = ""
            with contextlib.suppress(OSError, http.client.HTTPException):
                detail = _printable(exc.read(4 * _DETAIL).decode("utf-8", "replace"))
            if exc.code in {401, 403}:
                raise StoreError(
                    f"{where} refused the request ({exc.code}): check the credentials"
                    f" (user info in the URL, or {USER_VAR}/{PASSWORD_VAR}) {detail}"
                ) from None
            raise error(f"{where} failed ({exc.code}): {detail}") from None
        except TimeoutError:
            raise timed_out from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise timed_out from None
            reason = _printable(str(exc.reason))
            raise StoreError(f"cannot reach store {where}: {reason}") from None
        except http.client.IncompleteRead as exc:
            raise error(
                f"{where}: the answer was cut short after {len(exc.partial)} bytes;"
                " check the server"
            ) from None
        except http.client.HTTPException as exc:  # before OSError: RemoteDisconnected is both
            reason = _printable(str(exc) or type(exc).__name__, 80)
            raise error(f"{where} did not answer in HTTP: {reason}") from None
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot reach store {where}: {_printable(str(exc))}") from None

    def _read(
        self, response: http.client.HTTPResponse, where: str, error: type[Exception]
    ) -> bytes:
        """The body, read in pieces and given up as soon as it passes :attr:`max_bytes`."""
        expected = response.length  # None without a Content-Length (chunked, or until close)
        too_large = error(
            f"{where}: the answer is larger than {self.max_bytes} bytes; ask for less"
            f" (LIMIT), or set {MAX_BYTES_VAR} higher"
        )
        if expected is not None and expected > self.max_bytes:
            raise too_large
        # A BytesIO's getvalue() is its buffer, not a copy, and pyoxigraph reads bytes in
        # place (a bytearray it would copy): the answer is in memory once.
        body = io.BytesIO()
        while chunk := response.read(_CHUNK):
            body.write(chunk)
            if body.tell() > self.max_bytes:
                raise too_large
        if expected is not None and body.tell() < expected:
            raise error(
                f"{where}: the answer was cut short after {body.tell()} of {expected} bytes;"
                " check the server"
            )
        return body.getvalue()


def _read_through(read: Callable[[], _T]) -> tuple[_T | None, str]:
    """``read()`` (a pass through an answer) and "", or None and why the answer is malformed.

    The caller raises, not this: the error's traceback would keep the parser alive, and
    pyoxigraph's result iterators must not be freed on another thread.
    """
    try:
        return read(), ""
    except (SyntaxError, ValueError) as exc:
        return None, _printable(str(exc))


def _results_shape(
    body: bytes, results_format: ox.QueryResultsFormat
) -> bool | tuple[set[str], int]:
    """A SPARQL results answer read through: its boolean, or its variables and row count."""
    raw = ox.parse_query_results(body, results_format)
    if isinstance(raw, ox.QueryBoolean):
        return bool(raw)
    return {v.value for v in raw.variables}, sum(1 for _ in raw)


# --- HTTP with one deadline per request ---------------------------------------------------


class _Deadline(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Opens http(s) connections whose connect, send and every read (status line, headers,
    body) wait at most until one deadline: a socket timeout alone bounds each wait, so a
    server sending a byte every few seconds would never be timed out."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; TimeoutError once there are none."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete answer within {self.seconds:g} s")
        return left

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_Connection, deadline=self), req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_SecureConnection, deadline=self), req)


class _Bounded:
    """An ``http.client`` connection (mixed in first) that keeps to a :class:`_Deadline`."""

    sock: socket.socket | None
    timeout: float

    def __init__(self, *args: object, deadline: _Deadline, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.response_class = functools.partial(_Response, deadline=deadline)

    def connect(self) -> None:
        self.timeout = self.deadline.left()
        super().connect()  # type: ignore[misc]

    def send(self, data: object) -> None:
        if self.sock is not None:
            self.sock.settimeout(self.deadline.left())
        super().send(data)  # type: ignore[misc]


class _Connection(_Bounded, http.client.HTTPConnection):
    """HTTP within a deadline."""


class _SecureConnection(_Bounded, http.client.HTTPSConnection):
    """HTTPS within a deadline (the TLS handshake within the time left at connect)."""


class _Response(http.client.HTTPResponse):
    """A response whose socket reads go through :class:`_DeadlineReader`."""

    def __init__(
        self, sock: socket.socket, *args: object, deadline: _Deadline, **kwargs: object
    ) -> None:
        super().__init__(sock, *args, **kwargs)
        # Nothing is read yet, so the buffered reader can give up its raw stream unharmed.
        self.fp = io.BufferedReader(_DeadlineReader(self.fp.detach(), sock, deadline))


class _DeadlineReader(io.RawIOBase):
    """A socket stream that, before each read, shortens the socket timeout to what is left."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int | None:
        self._sock.settimeout(self._deadline.left())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()
