"""The HTTP side: a Starlette application served by uvicorn, and its pages.

Every method gets a definite answer (405 with ``Allow`` for those a path does not take);
uvicorn reads chunked bodies, refuses malformed requests (a negative Content-Length: 400),
closes keep-alive connections after ``idle_timeout`` and listens with a real backlog.

A server bound to a loopback address answers only requests addressed to it by a loopback
name or address (the ``Host`` header: ``localhost``, ``*.localhost``, ``127.x.x.x``,
``[::1]``) or by one of ``server_names``; any other gets 403. A web page of another origin
whose name an attacker re-points at 127.0.0.1 (DNS rebinding) sends its own name: it can
neither query nor read the query page. A server bound elsewhere checks the header when
``server_names`` are given (then its own address and those names).

CORS headers go on read answers only (queries, the service description, their errors and
the preflight, which offers no Authorization header: no other origin can send an update).
HTML answers carry a strict Content-Security-Policy: the query page's inline script and
style are allowed by their SHA-256 hashes and nothing else runs; the graph page (a pyvis
page whose inline scripts and styles vary with the graph) gets ``'unsafe-inline'`` for
script and style but may load and connect to nothing.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import json
import re
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from celebgraph.ontology import PREFIXES
from celebgraph.server.config import ServerConfig
from celebgraph.server.pool import WorkerPool
from celebgraph.server.protocol import CORS, HttpError, SparqlProtocol, error_response

_COMMON = {"X-Content-Type-Options": "nosniff"}
_PAGE_HEADERS = {
    **_COMMON,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_LOCKED = "base-uri 'none'; frame-ancestors 'none'"
GRAPH_PAGE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    f"img-src data: blob:; font-src data:; form-action 'none'; {_LOCKED}"
)
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


@cache
def query_page() -> bytes:
    """The self-contained query page served at ``/``."""
    page = resources.files("celebgraph").joinpath("static/query.html").read_text("utf-8")
    return page.replace("/*PREFIXES*/{}", json.dumps(PREFIXES), 1).encode("utf-8")


@cache
def query_page_csp() -> str:
    """The query page's policy: its own inline script and style, by hash; requests only to
    this origin (the endpoint)."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, text in _INLINE.findall(query_page().decode("utf-8")):
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    return (
        f"default-src 'none'; script-src {' '.join(hashes['script'])}; "
        f"style-src {' '.join(hashes['style'])}; connect-src 'self'; img-src 'self'; "
        f"form-action 'self'; {_LOCKED}"
    )


class _Sparql(HTTPEndpoint):
    """``/sparql``: GET, HEAD, POST and the CORS preflight."""

    async def get(self, request: Request) -> Response:
        protocol: SparqlProtocol = request.app.state.protocol
        try:
            response = await protocol.handle(request)
        except HttpError as exc:
            response = error_response(exc.status, exc.message, exc.headers)
        response.headers.update(_COMMON)
        if not getattr(request.state, "update", False):
            response.headers.update(CORS)
        return response

    post = get

    async def options(self, request: Request) -> Response:
        return Response(
            status_code=204,
            headers={
                **CORS,
                "Allow": "GET, HEAD, POST, OPTIONS",
                "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Accept, Content-Type",
                "Access-Control-Max-Age": "600",
            },
        )


class _QueryPage(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        headers = {**_PAGE_HEADERS, "Content-Security-Policy": query_page_csp()}
        return Response(query_page(), 200, headers, media_type="text/html; charset=utf-8")


class _GraphPage(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        page = request.app.state.config.graph_page
        if page is None:
            raise HttpError(
                404,
                "no graph page: start the server with --graph-page FILE "
                "(an HTML page written by celebgraph's graph command)",
            )
        try:
            body = Path(page).read_bytes()
        except OSError as exc:
            raise HttpError(404, f"cannot read graph page {page}: {exc.strerror or exc}") from None
        headers = {**_PAGE_HEADERS, "Content-Security-Policy": GRAPH_PAGE_CSP}
        return Response(body, 200, headers, media_type="text/html; charset=utf-8")


async def _http_error(request: Request, exc: Exception) -> Response:
    """Every error as one line of text: the framework's (404, 405) and the pages' own."""
    if isinstance(exc, HttpError):
        return error_response(exc.status, exc.message, {**_COMMON, **exc.headers})
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no such page {request.url.path}; the SPARQL endpoint is /sparql"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed here"
    else:
        message = exc.detail
    return error_response(exc.status_code, message, {**_COMMON, **(exc.headers or {})})


def _host_name(header: str) -> str:
    """The name or address of a ``Host`` header, without its port or brackets, lowercase."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    name, colon, port = header.rpartition(":")
    return name if colon and port.isdigit() else header


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) names this machine's loopback interface.

    >>> [is_loopback(h) for h in ("localhost", "app.localhost", "127.0.0.2", "::1", "10.0.0.1")]
    [True, True, True, True, False]
    """
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HostGuard:
    """Refuse (403) requests whose ``Host`` is not a name of this server (see the module
    documentation); a request without one (HTTP/1.0) names nothing and is let through."""

    def __init__(self, app: ASGIApp, bound: str, names: tuple[str, ...]) -> None:
        self.app = app
        self.loopback = is_loopback(bound)
        self.names = {_host_name(n) for n in names} | {bound.lower().strip("[]")}

    def allowed(self, host: str) -> bool:
        name = _host_name(host)
        return name in self.names or (self.loopback and is_loopback(name))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            hosts = [v.decode("latin-1") for k, v in scope["headers"] if k == b"host"]
            if hosts and not all(self.allowed(h) for h in hosts):
                shown = " ".join(repr(h) for h in hosts)
                response = error_response(
                    403,
                    f"Host {shown} is not a name of this server; it answers only "
                    + ("loopback names and addresses" if self.loopback else "its own address")
                    + " and the names given with --server-name NAME (a guard against"
                    " DNS rebinding)",
                    _COMMON,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def make_app(config: ServerConfig, pool: WorkerPool) -> Starlette:
    guard = is_loopback(config.host) or bool(config.server_names)
    middleware = (
        [Middleware(HostGuard, bound=config.host, names=config.server_names)] if guard else []
    )
    app = Starlette(
        middleware=middleware,
        routes=[
            Route("/sparql", _Sparql),
            Route("/sparql/", _Sparql),
            Route("/", _QueryPage),
            Route("/index.html", _QueryPage),
            Route("/query", _QueryPage),
            Route("/graph", _GraphPage),
            Route("/graph/", _GraphPage),
        ],
        exception_handlers={HTTPException: _http_error, HttpError: _http_error},
    )
    app.state.config = config
    app.state.protocol = SparqlProtocol(config, pool)
    return app


class _Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Stop on SIGINT or SIGTERM, then return (uvicorn would re-raise the signal,
        killing the process before the workers are stopped)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class SparqlServer:
    """A bound server; ``serve_forever()`` serves, ``shutdown()`` stops it, its workers and
    closes the socket (from any thread)."""

    def __init__(self, config: ServerConfig, pool: WorkerPool, sock: socket.socket) -> None:
        self.config = config
        self.pool = pool
        self.socket = sock
        self._uvicorn = _Uvicorn(
            uvicorn.Config(
                make_app(config, pool),
                # httptools (C) parses requests in a third of h11's time: the main
                # process's CPU is taken from the query workers on a small machine.
                http="httptools",
                # The client is the peer: a loopback client's X-Forwarded-For must not give
                # it another place in the fair queue.
                proxy_headers=False,
                lifespan="off",
                backlog=config.backlog,
                timeout_keep_alive=max(1, round(config.idle_timeout)),
                timeout_graceful_shutdown=5,
                log_config=None if config.quiet else uvicorn.config.LOGGING_CONFIG,
                log_level="warning" if config.quiet else "info",
                access_log=not config.quiet,
                server_header=False,
            )
        )
        self._lock = threading.Lock()
        self._started = False
        self._stopped = False
        self._done = threading.Event()

    @property
    def server_address(self) -> tuple:
        return self.socket.getsockname()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._started = True
        try:
            self._uvicorn.run(sockets=[self.socket])
        finally:
            self._done.set()

    def shutdown(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            started = self._started
        self._uvicorn.should_exit = True
        if started:
            self._done.wait(30)
        self.socket.close()
        self.pool.close()


def _bind(config: ServerConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    # IPPROTO_TCP said outright: asyncio sets TCP_NODELAY only on sockets that say it, and
    # without it a response's second write waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.host, config.port))
        sock.listen(config.backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def make_server(config: ServerConfig) -> SparqlServer:
    """A bound, not yet serving, SPARQL server; call ``serve_forever()`` and ``shutdown()``.

    Raises :class:`~celebgraph.errors.StoreError` when the store cannot be opened and
    :class:`OSError` when the address cannot be bound.
    """
    writable = config.update_token is not None
    size = 1 if writable else config.workers
    pool = WorkerPool(
        Path(config.store), writable, size, config.timeout, config.max_memory_mb << 20
    )
    try:
        return SparqlServer(config, pool, _bind(config))
    except BaseException:
        pool.close()
        raise


def serve(config: ServerConfig, ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM). ``ready`` gets the base URL once bound."""
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
