"""A celebgraph store on a SPARQL 1.1 server (Virtuoso, Fuseki, QLever, GraphDB, ...).

The store spec is the query endpoint's URL::

    http://user:password@host:8890/sparql-auth?update=http://host:8890/sparql-auth

The update endpoint is the ``update`` parameter, else ``$CELEBGRAPH_UPDATE_URL``, else the
query URL itself. Credentials come from the URL's user info, else from
``$CELEBGRAPH_STORE_USER`` / ``$CELEBGRAPH_STORE_PASSWORD``; HTTP Basic and Digest (which
Virtuoso's ``/sparql-auth`` asks for) both work.

:class:`RemoteStore` has the methods of :class:`celebgraph.store.Store`. Each article is
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
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import URIRef

from celebgraph.errors import QueryError, StoreError
from celebgraph.ontology import PREFIXES
from celebgraph.rdf import Triple
from celebgraph.store import QueryResult, replace_update, to_substitutions

UPDATE_URL_VAR = "CELEBGRAPH_UPDATE_URL"
USER_VAR = "CELEBGRAPH_STORE_USER"
PASSWORD_VAR = "CELEBGRAPH_STORE_PASSWORD"
TIMEOUT_VAR = "CELEBGRAPH_HTTP_TIMEOUT"
DEFAULT_TIMEOUT = 300.0
#: Graph names of celebgraph's own graphs (articles, people, ontology).
GRAPH_ROOT = "https://w3id.org/celebgraph/"
#: Rows per request when reading every quad (servers cap result sizes; Virtuoso at 10000).
PAGE = 10_000

_RESULTS_JSON = "application/sparql-results+json"
_ACCEPT_GRAPH = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8"
_OWN_GRAPHS = f'FILTER(STRSTARTS(STR(?g), "{GRAPH_ROOT}"))'


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


# --- reading SPARQL text: the query form and where the WHERE group opens -----------------

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<word>[A-Za-z_][\w\-.]*(?::[^\s{}();,]*)?|:[^\s{}();,]*)
  | (?P<brace>\{)
    """,
    re.VERBOSE | re.DOTALL,
)
_FORMS = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


def _scan(sparql: str) -> tuple[str | None, int | None]:
    """The query form (select/ask/graph) and the offset just after the ``{`` that opens the
    query's WHERE group (None when there is none, as in ``DESCRIBE <iri>``)."""
    form = None
    seen_where = False
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup
        if kind == "word":
            word = match.group().upper()
            if form is None and word in _FORMS:
                form = _FORMS[word]
            elif word == "WHERE":
                seen_where = True
        elif kind == "brace" and form is not None and (seen_where or form in {"select", "ask"}):
            return form, match.end()
    return form, None


def with_values(sparql: str, bound: Mapping[ox.Variable, object]) -> str:
    """The query with the substitutions as a VALUES block at the start of its WHERE group:
    every term written by pyoxigraph (N-Triples escaping), never pasted in as text."""
    names, terms = [], []
    for variable, term in bound.items():
        if isinstance(term, ox.BlankNode):
            raise QueryError(
                f"substitution for ?{variable.value}: a remote store cannot bind a blank node"
            )
        names.append(str(variable))
        terms.append(str(term))
    block = f" VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }} "
    _, where = _scan(sparql)
    if where is None:
        return f"{sparql}\nVALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    return sparql[:where] + block + sparql[where:]


def _prologue() -> str:
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())


class RemoteStore:
    """A celebgraph store on a SPARQL 1.1 query + update endpoint."""

    def __init__(self, spec: str, timeout: float | None = None) -> None:
        self.spec = spec
        self.path = _redact(spec)  # what messages name, like Store.path
        self.query_url, self.update_url, user, password = parse_spec(spec)
        if timeout is None:
            raw = os.environ.get(TIMEOUT_VAR, "").strip()
            try:
                timeout = float(raw) if raw else DEFAULT_TIMEOUT
            except ValueError:
                raise StoreError(
                    f"{TIMEOUT_VAR} must be a number of seconds, not {raw!r}"
                ) from None
        self.timeout = timeout
        handlers: list[urllib.request.BaseHandler] = []
        if user is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {self.query_url, self.update_url}:
                passwords.add_password(None, url, user, password or "")
            handlers += [
                urllib.request.HTTPDigestAuthHandler(passwords),
                urllib.request.HTTPBasicAuthHandler(passwords),
            ]
        self._opener = urllib.request.build_opener(*handlers)
        self._closed = False

    # --- the Store interface ---------------------------------------------------------------

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        try:
            update, count = replace_update(graph, triples, add, add_if_absent)
        except ValueError as exc:
            raise StoreError(f"cannot write graph {graph} to {self.path}: {exc}") from None
        try:
            self._post(self.update_url, {"update": update}, "*/*", StoreError)
        except StoreError as exc:
            raise StoreError(f"cannot write graph {graph} to {self.path}: {exc}") from None
        return count

    def query(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> QueryResult:
        """Run a query on the server; the answer is read fully and parsed by pyoxigraph."""
        bound = to_substitutions(substitutions)
        if bound:
            sparql = with_values(sparql, bound)
        form, _ = _scan(sparql)
        accept = (
            _ACCEPT_GRAPH
            if form == "graph"
            else f"{_RESULTS_JSON}, application/sparql-results+xml;q=0.9"
        )
        body, media = self._post(self.query_url, {"query": _prologue() + sparql}, accept)
        return self._parse(body, media)

    def _parse(self, body: bytes, media: str) -> QueryResult:
        results_format = ox.QueryResultsFormat.from_media_type(media) if media else None
        if results_format is not None:
            try:
                raw = ox.parse_query_results(body, results_format)
            except SyntaxError as exc:
                raise QueryError(f"{self.path} sent an unreadable answer: {exc}") from None
            if isinstance(raw, ox.QueryBoolean):
                return QueryResult("ask", bool(raw))  # type: ignore[arg-type]
            return QueryResult("select", raw)
        rdf_format = ox.RdfFormat.from_media_type(media) if media else None
        if rdf_format is None:
            raise QueryError(f"{self.path} answered in an unknown format {media!r}")
        try:
            triples = [q.triple for q in ox.parse(body, rdf_format)]
        except SyntaxError as exc:
            raise QueryError(f"{self.path} sent an unreadable answer: {exc}") from None
        return QueryResult("graph", triples)  # type: ignore[arg-type]

    def quads(self) -> Iterable[ox.Quad]:
        """Every quad of celebgraph's graphs, read in pages by (graph, subject).

        Keyset paging, not OFFSET: Virtuoso refuses to sort past its result cap (10000
        rows by default), and a server may cut a page short. The last subject of a page
        may be cut, so it is read again with the next page; a subject alone in a page is
        taken whole (no celebgraph subject has anywhere near :data:`PAGE` triples).
        """
        after: tuple[str, str] | None = None
        while True:
            where = ""
            if after is not None:
                g, s = (str(ox.Literal(v)) for v in after)
                where = f"FILTER(STR(?g) > {g} || (STR(?g) = {g} && STR(?s) > {s}))"
            rows = [
                (row["g"], row["s"], row["p"], row["o"])
                for row in self.query(
                    f"SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OWN_GRAPHS} {where} }}"
                    f" ORDER BY STR(?g) STR(?s) LIMIT {PAGE}"
                ).raw
            ]
            if not rows:
                return
            last = (rows[-1][0].value, rows[-1][1].value)
            whole = [r for r in rows if (r[0].value, r[1].value) != last] or rows
            for g, s, p, o in whole:
                yield ox.Quad(s, p, o, g)
            after = (whole[-1][0].value, whole[-1][1].value)

    def export(self, output: BinaryIO, fmt: str) -> None:
        """Write celebgraph's graphs in ``fmt``, as :meth:`Store.export` does."""
        from celebgraph.store import RDF_FORMATS, dump

        if fmt not in RDF_FORMATS:
            raise StoreError(f"unknown format {fmt!r}; use one of {', '.join(RDF_FORMATS)}")
        memory = ox.Store()
        memory.extend(self.quads())
        dump(memory, output, fmt)

    def count_graphs(self) -> int:
        return self._count(
            f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OWN_GRAPHS} }}"
        )

    def __len__(self) -> int:
        return self._count(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OWN_GRAPHS} }}"
        )

    def _count(self, sparql: str) -> int:
        (row,) = list(self.query(sparql).raw)
        return int(row["n"].value)

    # --- HTTP -------------------------------------------------------------------------------

    def _post(
        self, url: str, form: dict[str, str], accept: str, error: type[Exception] = QueryError
    ) -> tuple[bytes, str]:
        if self._closed:
            raise StoreError(f"store {self.path} is closed")
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
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read()
                media = response.headers.get_content_type() if response.headers else ""
                return body, media
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read().decode("utf-8", "replace").split())[:500]
            if exc.code in {401, 403}:
                raise StoreError(
                    f"{_redact(url)} refused the request ({exc.code}): check the credentials"
                    f" (user info in the URL, or {USER_VAR}/{PASSWORD_VAR}) {detail}"
                ) from None
            raise error(f"{_redact(url)} failed ({exc.code}): {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(f"cannot reach store {_redact(url)}: {reason}") from None
