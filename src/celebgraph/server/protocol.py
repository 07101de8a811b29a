"""The SPARQL 1.1 Protocol at ``/sparql``: requests read into jobs for the workers, their
replies into responses, and the service description answered to a GET without a query.

A query's dataset is the protocol's ``default-graph-uri`` / ``named-graph-uri`` when given,
else its own ``FROM`` / ``FROM NAMED``, else the union of all graphs. Relative IRIs resolve
against the endpoint's URL. Updates need the bearer token; ``using-graph-uri`` and
``using-named-graph-uri`` become USING clauses. ``SERVICE`` and ``LOAD`` of remote IRIs are
refused unless the server allows federation (see :func:`check_remote`).
"""

from __future__ import annotations

import asyncio
import codecs
import hmac
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from celebgraph.errors import QueryError, StoreError
from celebgraph.server.config import ServerConfig
from celebgraph.server.formats import (
    FORMAT_IRIS,
    GRAPH_TYPES,
    RESULTS_TYPES,
    content_type,
    negotiate,
    not_acceptable,
)
from celebgraph.server.pool import PoolBusyError, WorkerPool
from celebgraph.server.sparql_text import check_remote, has_dataset_clause, remote_targets
from celebgraph.server.worker import QueryMemoryError, QueryTimeoutError, WorkerCrashedError
from celebgraph.sparql_checks import check_sparql
from celebgraph.store.formats import RDF_FORMATS
from celebgraph.store.sparql import with_using

#: Largest request body accepted (a query or an update), in bytes.
MAX_BODY = 1 << 20
#: Headers every read answer carries, so that browser clients (YASGUI) can use them.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Type, X-Result-Limit, X-Result-Truncated",
}
_FORM = "application/x-www-form-urlencoded"
_QUERY = "application/sparql-query"
_UPDATE = "application/sparql-update"
_SD = "http://www.w3.org/ns/sparql-service-description#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


class HttpError(Exception):
    """Stop handling the request and answer with ``status`` and a one-line message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def sd(name: str) -> ox.NamedNode:
    """A term of the SPARQL service description vocabulary."""
    return ox.NamedNode(_SD + name)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    text = " ".join(message.split()) + "\n"
    return Response(text, status, headers, media_type="text/plain; charset=utf-8")


async def read_body(request: Request) -> bytes:
    """The request body (chunked or not), at most :data:`MAX_BODY` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise HttpError(413, f"request body over {MAX_BODY} bytes", {"Connection": "close"})
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HttpError(413, f"request body over {MAX_BODY} bytes", {"Connection": "close"})
        chunks.append(chunk)
    return b"".join(chunks)


def _media_and_charset(header: str) -> tuple[str, str | None]:
    media, *params = (p.strip() for p in header.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
    return media.lower(), charset


def _codec(charset: str | None) -> str:
    """Python's name of the body's declared charset (UTF-8 when none is declared)."""
    try:
        return codecs.lookup(charset or "utf-8").name
    except LookupError:
        raise HttpError(415, f"unknown charset {charset!r} in Content-Type") from None


def request_params(request: Request, body: bytes) -> dict[str, list[str]]:
    """The protocol's parameters, URL and body together (a direct query or update body is
    the ``query`` or ``update`` parameter). A form body is decoded in its declared charset;
    a direct query or update must be UTF-8, as the protocol says."""
    params: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.url.query, keep_blank_values=True):
        params.setdefault(name, []).append(value)
    if request.method != "POST":
        return params
    media, charset = _media_and_charset(request.headers.get("content-type", ""))
    codec = _codec(charset)
    if media == _FORM:
        try:
            form = parse_qsl(
                body.decode("ascii"), keep_blank_values=True, encoding=codec, errors="strict"
            )
        except UnicodeError:
            raise HttpError(400, f"the form is not valid {codec} (its declared charset)") from None
        for name, value in form:
            params.setdefault(name, []).append(value)
        return params
    if media in (_QUERY, _UPDATE):
        if codec not in ("utf-8", "ascii"):
            raise HttpError(415, f"a {media} body must be UTF-8, not charset={charset}")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise HttpError(400, "the request body is not UTF-8") from None
        params.setdefault("query" if media == _QUERY else "update", []).append(text)
        return params
    raise HttpError(
        415,
        f"unsupported Content-Type {media or '(none)'}; use {_FORM}, {_QUERY} or {_UPDATE}",
    )


def endpoint_url(request: Request) -> str:
    """The endpoint's own URL as the client addressed it: the base of relative IRIs."""
    url = f"{request.url.scheme}://{request.url.netloc}/sparql"
    try:
        ox.NamedNode(url)
    except ValueError:
        server = request.scope.get("server") or ("localhost", 80)
        url = f"http://{server[0]}:{server[1]}/sparql"
    return url


class SparqlProtocol:
    """Turns protocol requests into worker jobs and their replies into responses."""

    def __init__(self, config: ServerConfig, pool: WorkerPool) -> None:
        self.config = config
        self.pool = pool

    async def handle(self, request: Request) -> Response:
        body = await read_body(request)  # read even when unused: the connection stays in step
        params = request_params(request, body)
        queries, updates = params.get("query", []), params.get("update", [])
        if queries and updates:
            raise HttpError(400, "send either a query or an update, not both")
        if len(queries) > 1 or len(updates) > 1:
            raise HttpError(400, "send exactly one query or update per request")
        if updates:
            request.state.update = True  # its answer is no read: no CORS headers
            if request.method != "POST":
                raise HttpError(400, "SPARQL Update must be sent with POST")
            return await self._update(request, updates[0], params)
        if queries:
            return await self._query(request, queries[0], params)
        if request.method == "POST":
            raise HttpError(
                400,
                "missing query: POST a form with query=... or update=..., or a body of type "
                f"{_QUERY} or {_UPDATE}",
            )
        return await self._service_description(request)

    async def _check(self, sparql: str, base: str) -> None:
        """Size, nesting and remote fetches, before the text reaches the engine."""
        try:
            check_sparql(sparql)
            config = self.config
            for keyword, iri in remote_targets(sparql):
                await asyncio.to_thread(
                    check_remote, keyword, iri, base, config.allow_federation, config.allow_hosts
                )
        except QueryError as exc:
            raise HttpError(400, str(exc)) from None

    async def _query(self, request: Request, sparql: str, params: dict[str, list[str]]) -> Response:
        accept = request.headers.get("accept")
        results_offer = negotiate(accept, RESULTS_TYPES)
        graph_offer = negotiate(accept, GRAPH_TYPES)
        if results_offer is None and graph_offer is None:
            raise HttpError(406, not_acceptable("the query", RESULTS_TYPES + GRAPH_TYPES))
        base = endpoint_url(request)
        await self._check(sparql, base)
        default_graph = params.get("default-graph-uri")
        named_graphs = params.get("named-graph-uri")
        if default_graph is not None or named_graphs is not None:
            # The protocol's dataset replaces the query's: what it does not name is empty.
            default_graph, named_graphs = default_graph or [], named_graphs or []
        job = {
            "op": "query",
            "sparql": sparql,
            "base_iri": base,
            "has_from": has_dataset_clause(sparql),
            "default_graph": default_graph,
            "named_graphs": named_graphs,
            "results_format": results_offer,
            "graph_format": graph_offer,
            "max_rows": self.config.max_rows,
        }
        return await self._run(request, job)

    async def _update(
        self, request: Request, sparql: str, params: dict[str, list[str]]
    ) -> Response:
        token = self.config.update_token
        if token is None:
            raise HttpError(
                403,
                "SPARQL Update is disabled: this server is read-only "
                "(start it with --allow-update-token TOKEN to enable updates)",
            )
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("utf-8"), token.encode("utf-8")
        ):
            raise HttpError(403, "SPARQL Update needs the header Authorization: Bearer <token>")
        base = endpoint_url(request)
        await self._check(sparql, base)
        using, using_named = (
            params.get("using-graph-uri", []),
            params.get("using-named-graph-uri", []),
        )
        if using or using_named:
            try:
                for graph in using + using_named:
                    ox.NamedNode(graph)  # no text that could end the IRI and add operations
            except ValueError as exc:
                raise HttpError(400, f"invalid graph IRI: {' '.join(str(exc).split())}") from None
            try:
                sparql = with_using(sparql, using, using_named)
            except QueryError as exc:
                raise HttpError(400, str(exc)) from None
        return await self._run(request, {"op": "update", "sparql": sparql, "base_iri": base})

    async def _service_description(self, request: Request) -> Response:
        offer = negotiate(request.headers.get("accept"), GRAPH_TYPES)
        if offer is None:
            raise HttpError(406, not_acceptable("the service description", GRAPH_TYPES))
        reply = await self._reply(request, {"op": "graphs", "max_rows": self.config.max_rows})
        url = endpoint_url(request)
        media, fmt = offer
        body = ox.serialize(self._description(url, reply[3]), None, RDF_FORMATS[fmt].format)
        return Response(body, 200, {"Vary": "Accept"}, media_type=content_type(media))

    def _description(self, url: str, graphs: list[str]) -> list[ox.Triple]:
        """sd:Service: endpoint, languages, formats, features and the named graphs."""
        service, dataset, collection = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
        default = ox.BlankNode()
        triples = [
            ox.Triple(service, _RDF_TYPE, sd("Service")),
            ox.Triple(service, sd("endpoint"), ox.NamedNode(url)),
            ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
            ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
            ox.Triple(service, sd("defaultDataset"), dataset),
            ox.Triple(service, sd("availableGraphs"), collection),
            ox.Triple(dataset, _RDF_TYPE, sd("Dataset")),
            ox.Triple(dataset, sd("defaultGraph"), default),
            ox.Triple(default, _RDF_TYPE, sd("Graph")),
            ox.Triple(collection, _RDF_TYPE, sd("GraphCollection")),
        ]
        triples += [ox.Triple(service, sd("resultFormat"), ox.NamedNode(f)) for f in FORMAT_IRIS]
        if self.config.update_token is not None:
            triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
        if self.config.allow_federation:
            triples.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
        for name in graphs:
            graph = ox.BlankNode()
            triples += [
                ox.Triple(graph, _RDF_TYPE, sd("NamedGraph")),
                ox.Triple(graph, sd("name"), ox.NamedNode(name)),
                ox.Triple(dataset, sd("namedGraph"), graph),
                ox.Triple(collection, sd("namedGraph"), graph),
            ]
        return triples

    async def _reply(self, request: Request, job: dict[str, Any]) -> tuple:
        """The worker's "ok" reply to ``job``; HttpError for everything else."""
        config = self.config
        what = "update" if job["op"] == "update" else "query"
        client = request.client.host if request.client else ""
        try:
            reply = await self.pool.run(client, job)
        except PoolBusyError:
            raise HttpError(
                503,
                f"server busy: all {self.pool.size} query workers stayed in use for "
                f"{config.timeout:g} s; retry later",
                {"Retry-After": "1"},
            ) from None
        except QueryTimeoutError:
            raise HttpError(503, f"{what} exceeded the {config.timeout:g} s limit") from None
        except QueryMemoryError:
            raise HttpError(
                503, f"{what} exceeded the memory limit of {config.max_memory_mb} MB"
            ) from None
        except WorkerCrashedError:
            raise HttpError(500, f"the query worker crashed; the {what} was not answered") from None
        except StoreError as exc:
            raise HttpError(503, str(exc)) from None
        if reply[0] != "ok":
            raise HttpError(reply[1], reply[2])
        return reply

    async def _run(self, request: Request, job: dict[str, Any]) -> Response:
        _, status, media, body, headers = await self._reply(request, job)
        if media:
            headers = {**headers, "Vary": "Accept"}
        return Response(body, status, headers, media_type=media)
