"""``celebgraph serve`` against DNS rebinding and redirects, on real processes: the server
(``celebgraph serve``) and web servers of Python's ``http.server`` on loopback.

- Bound to loopback, the server answers only requests whose Host header is a loopback
  name or address, or a name given with ``--server-name``: a page whose name an attacker
  re-points at 127.0.0.1 sends its own name and gets 403.
- With ``--allow-federation``, a SERVICE or LOAD target (allowed) that redirects to a
  loopback address (not allowed) is refused at the redirect hop: the address it redirects
  to never gets a request, and the client gets a clear 4xx.
"""

from __future__ import annotations

import http.client
import http.server
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_server import TOKEN, ServerProcess, build_store


def send(server: ServerProcess, path: str, host: str | None, **kwargs: object) -> tuple:
    """One GET (or POST with ``body``) with the given Host header: (status, body text)."""
    address, port = urllib.parse.urlsplit(server.url).netloc.rsplit(":", 1)
    conn = http.client.HTTPConnection(address, int(port), timeout=30)
    try:
        headers = dict(kwargs.pop("headers", {}))  # type: ignore[call-overload]
        body = kwargs.pop("body", None)
        conn.putrequest("POST" if body else "GET", path, skip_host=True)
        if host is not None:
            conn.putheader("Host", host)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("safety") / "store")


@pytest.fixture(scope="module")
def loopback(store: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(store, "--server-name", "graph.example.org")
    yield server
    server.stop()


ASK = "/sparql?query=ASK%7B%7D"


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST:{port}",
        "app.localhost",
        "127.0.0.1:{port}",
        "127.1.2.3",
        "[::1]:{port}",
    ],
)
def test_server_safety_loopback_names_are_answered(loopback, host):
    port = loopback.url.rsplit(":", 1)[1]
    status, body = send(loopback, ASK, host.format(port=port))
    assert (status, body) == (200, '{"head":{},"boolean":true}')


def test_server_safety_a_given_server_name_is_answered(loopback):
    assert send(loopback, ASK, "graph.example.org:8000")[0] == 200
    assert send(loopback, "/", "graph.example.org")[0] == 200


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:80", "10.0.0.1", "localhost.attacker.example"]
)
@pytest.mark.parametrize("path", [ASK, "/", "/graph", "/no-such-page"])
def test_server_safety_another_host_is_403(loopback, host, path):
    status, body = send(loopback, path, host)
    assert status == 403
    assert body.startswith(f"Host {host!r} is not a name of this server;")
    assert "--server-name" in body and "DNS rebinding" in body
    assert "boolean" not in body and "<html" not in body.lower()


def test_server_safety_updates_are_guarded_too(tmp_path):
    server = ServerProcess(build_store(tmp_path / "store"), "--allow-update-token", TOKEN)
    try:
        update = b"update=" + urllib.parse.quote_plus("CLEAR ALL").encode()
        headers = {
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        status, _ = send(server, "/sparql", "attacker.example", body=update, headers=headers)
        assert status == 403
        anything = "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
        assert send(server, anything, "localhost") == (200, '{"head":{},"boolean":true}')
    finally:
        server.stop()


def test_server_safety_no_host_header_names_nothing(loopback):
    """HTTP/1.0 without Host: no browser sends that, so no rebinding either."""
    address, port = urllib.parse.urlsplit(loopback.url).netloc.rsplit(":", 1)
    import socket

    with socket.create_connection((address, int(port)), 30) as sock:
        sock.sendall(f"GET {ASK} HTTP/1.0\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_server_safety_which_servers_check_the_host():
    """Bound to loopback: always; bound elsewhere: only with --server-name (then its own
    address and those names); exposing a server without names is the operator's choice."""
    from celebgraph.server.app import HostGuard, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")
    public = HostGuard(None, "192.0.2.7", ("graph.example.org",))  # type: ignore[arg-type]
    assert public.allowed("192.0.2.7:8000") and public.allowed("GRAPH.example.org")
    assert not public.allowed("localhost") and not public.allowed("attacker.example")


# --- redirects --------------------------------------------------------------------------


class _Hits(http.server.BaseHTTPRequestHandler):
    """Answers N-Triples and SPARQL results, counting requests (the redirect's target)."""

    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b"<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/n-triples")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, *args: object) -> None:
        pass


def _redirecting(target: str) -> type[http.server.BaseHTTPRequestHandler]:
    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            self.do_GET()

        def log_message(self, *args: object) -> None:
            pass

    return Redirect


@pytest.fixture
def redirect_to_loopback() -> Iterator[tuple[str, list[str]]]:
    """(URL on 127.0.0.2 that redirects to a server on 127.0.0.1, that server's hits)."""
    hits: list[str] = []
    handler = type("Hits", (_Hits,), {"hits": hits})
    inside = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    target = f"http://127.0.0.1:{inside.server_address[1]}/private"
    outside = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _redirecting(target))
    for web in (inside, outside):
        threading.Thread(target=web.serve_forever, daemon=True).start()
    yield f"http://127.0.0.2:{outside.server_address[1]}/data", hits
    for web in (inside, outside):
        web.shutdown()
        web.server_close()


def test_server_safety_service_redirect_to_loopback_is_refused(tmp_path, redirect_to_loopback):
    url, hits = redirect_to_loopback
    server = ServerProcess(
        build_store(tmp_path / "store"), "--allow-federation", "--allow-host", "127.0.0.2"
    )
    try:
        query = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
        path = "/sparql?" + urllib.parse.urlencode({"query": query})
        status, body = send(server, path, "localhost")
        assert status == 400, body
        assert body.startswith(f"SERVICE (federated query) refused: {url} redirects to")
        assert "redirects are not followed" in body
        assert hits == []  # the loopback address never got a request
        assert send(server, ASK, "localhost")[0] == 200  # still serving
    finally:
        server.stop()


def test_server_safety_load_redirect_to_loopback_is_refused(tmp_path, redirect_to_loopback):
    url, hits = redirect_to_loopback
    server = ServerProcess(
        build_store(tmp_path / "store"),
        "--allow-update-token",
        TOKEN,
        "--allow-federation",
        "--allow-host",
        "127.0.0.2",
    )
    try:
        update = urllib.parse.urlencode({"update": f"LOAD <{url}>"}).encode()
        headers = {
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        status, body = send(server, "/sparql", "localhost", body=update, headers=headers)
        assert status == 400, body
        assert body.startswith(f"LOAD of a remote document refused: {url} redirects to")
        assert hits == []
    finally:
        server.stop()
