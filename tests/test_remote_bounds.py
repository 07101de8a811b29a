"""The remote store against servers that misbehave: real HTTP (or not-quite-HTTP) servers
on loopback sockets, started by the tests, that trickle, stall, send garbage, cut their
answers short, send huge or malformed ones, or fail writes.

Every case must end, within the request's deadline, in one :class:`CelebgraphError` line
that names the endpoint (never its password), or, through the command line, in one
``error:`` line and no traceback. The memory bound is measured in a child process (its
peak RSS from ``resource.getrusage``) against a server sending a 1 GB answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import celebgraph
from celebgraph.errors import CelebgraphError, QueryError, StoreError
from celebgraph.store import remote
from celebgraph.store.remote import RemoteStore
from celebgraph.store.sparql import projection

sys.path.insert(0, str(Path(__file__).parent))
import virtuoso

MiB = 2**20
JSON = "application/sparql-results+json"
ASK_TRUE = b'{"head":{},"boolean":true}'

Respond = Callable[[socket.socket, str], None]


class Loopback:
    """A server on 127.0.0.1 that reads each HTTP request and lets ``respond(conn, form)``
    write whatever bytes it likes (``form`` is the request body: ``query=...`` or
    ``update=...``); each connection in its own thread."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.forms: list[str] = []
        self.sent = 0  # bytes of answers written, over all connections
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/sparql"
        self.secret_url = f"http://me:hunter2@127.0.0.1:{port}/sparql"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(body) < length:
                body += conn.recv(65536)
            form = urllib.parse.unquote_plus(body.decode())
            self.forms.append(form)
            with contextlib.suppress(OSError):  # the client gave up: what these tests want
                self.respond(conn, form)

    def close(self) -> None:
        self._listener.close()


def answer(conn: socket.socket, body: bytes, media: str = JSON, status: str = "200 OK") -> None:
    """A well-formed HTTP response."""
    conn.sendall(
        f"HTTP/1.1 {status}\r\nContent-Type: {media}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n\r\n".encode()
        + body
    )


def select_answer(variables: list[str], rows: list[dict]) -> bytes:
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": rows}}).encode()


@pytest.fixture
def serve() -> Iterator[Callable[[Respond], Loopback]]:
    servers: list[Loopback] = []

    def start(respond: Respond) -> Loopback:
        servers.append(Loopback(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def one_line_error(error: BaseException, server: Loopback) -> str:
    """The message, checked: one line, naming the endpoint, never the password."""
    message = str(error)
    assert "\n" not in message and "\r" not in message and "\x1b" not in message, message
    assert "127.0.0.1:" in message, message
    assert "hunter2" not in message, message
    return message


# --- time: one deadline for the whole request -------------------------------------------


def trickle(prefix: bytes, gap: float, limit: float = 20.0) -> Respond:
    """Send ``prefix`` then one byte every ``gap`` seconds (for at most ``limit``)."""

    def respond(conn: socket.socket, form: str) -> None:
        conn.sendall(prefix)
        end = time.monotonic() + limit
        while time.monotonic() < end:
            conn.sendall(b" ")  # JSON allows any amount of whitespace
            time.sleep(gap)

    return respond


HEADERS = f"HTTP/1.1 200 OK\r\nContent-Type: {JSON}\r\n\r\n".encode()


TRICKLES: dict[str, Respond] = {
    "a byte of the body every 0.2 s": trickle(HEADERS + b'{"head":{},', 0.2),
    "a byte of the headers every 0.2 s": trickle(b"HTTP/1.1 200 OK\r\nX-Slow:", 0.2),
    "silence after the status line": trickle(b"HTTP/1.1 200 OK\r\n", 30.0),
    "no answer at all": lambda conn, form: time.sleep(20),
}


@pytest.mark.parametrize("case", TRICKLES)
def test_remote_bounds_a_trickling_server_is_cut_off_at_the_deadline(serve, case):
    server = serve(TRICKLES[case])
    store = RemoteStore(server.secret_url, timeout=1.5)
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        store.query("ASK {}")
    took = time.monotonic() - started
    assert 1.4 < took < 6, f"{case}: gave up after {took:.1f} s"
    assert "no complete answer within 1.5 s" in one_line_error(caught.value, server)


def test_remote_bounds_timeout_defaults_to_tens_of_seconds_and_the_environment(monkeypatch):
    monkeypatch.delenv("CELEBGRAPH_REMOTE_TIMEOUT", raising=False)
    monkeypatch.delenv("CELEBGRAPH_REMOTE_MAX_BYTES", raising=False)
    store = RemoteStore("http://127.0.0.1:9/sparql")
    assert 10 <= store.timeout == remote.DEFAULT_TIMEOUT <= 120
    assert 100 * MiB <= store.max_bytes == remote.DEFAULT_MAX_BYTES <= 1024 * MiB
    monkeypatch.setenv("CELEBGRAPH_REMOTE_TIMEOUT", "2.5")
    monkeypatch.setenv("CELEBGRAPH_REMOTE_MAX_BYTES", "1000")
    store = RemoteStore("http://127.0.0.1:9/sparql")
    assert (store.timeout, store.max_bytes) == (2.5, 1000)
    assert RemoteStore("http://127.0.0.1:9/sparql", timeout=7, max_bytes=5).timeout == 7


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("CELEBGRAPH_REMOTE_TIMEOUT", "soon"),
        ("CELEBGRAPH_REMOTE_TIMEOUT", "0"),
        ("CELEBGRAPH_REMOTE_TIMEOUT", "inf"),
        ("CELEBGRAPH_REMOTE_MAX_BYTES", "-1"),
        ("CELEBGRAPH_REMOTE_MAX_BYTES", "nan"),
    ],
)
def test_remote_bounds_bad_settings_are_one_line(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(StoreError, match=f"^{var} must be a positive number of .*, not '{value}'$"):
        RemoteStore("http://127.0.0.1:9/sparql")


def test_remote_bounds_cli_on_a_server_trickling_a_byte_every_2_s_is_one_line(serve):
    server = serve(trickle(HEADERS + b'{"head":{},', 2.0, limit=60))
    env = {**os.environ, "CELEBGRAPH_REMOTE_TIMEOUT": "5"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "celebgraph", "query", "--store", server.url, "ASK {}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"error: {server.url}: no complete answer within 5 s; check the server,"
        " or set CELEBGRAPH_REMOTE_TIMEOUT to wait longer\n"
    )
    assert time.monotonic() - started < 30


# --- size: answers are read in pieces and refused past the bound ----------------------------


def endless(prefix: bytes, piece: bytes, total: int, chunked: bool = False) -> Respond:
    """A 200 answer of ``prefix`` then ``piece`` repeated up to ``total`` bytes, without a
    Content-Length (read until the connection closes), or in chunks."""

    def respond(conn: socket.socket, form: str) -> None:
        coding = "Transfer-Encoding: chunked\r\n" if chunked else ""
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: {JSON}\r\n{coding}\r\n".encode())
        block = prefix + piece * ((MiB - len(prefix)) // len(piece))
        sent = 0
        while sent < total:
            conn.sendall(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
            sent += len(block)
            block = piece * (MiB // len(piece))
        if chunked:
            conn.sendall(b"0\r\n\r\n")

    return respond


ROW = b'{"x":{"type":"uri","value":"http://example.org/a-fairly-long-name-for-a-row"}},'
ROWS = b'{"head":{"vars":["x"]},"results":{"bindings":['


@pytest.mark.parametrize("chunked", [False, True], ids=["until-close", "chunked"])
def test_remote_bounds_a_huge_answer_is_refused_past_the_bound(serve, chunked):
    server = serve(endless(ROWS, ROW, 1024 * MiB, chunked))
    store = RemoteStore(server.secret_url, max_bytes=8 * MiB)
    with pytest.raises(QueryError) as caught:
        store.query("SELECT ?x WHERE { ?x ?p ?o }")
    message = one_line_error(caught.value, server)
    assert "the answer is larger than 8388608 bytes" in message
    assert "CELEBGRAPH_REMOTE_MAX_BYTES" in message


def test_remote_bounds_a_declared_huge_length_is_refused_unread(serve):
    def respond(conn: socket.socket, form: str) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {JSON}\r\nContent-Length: {1024 * MiB}\r\n"
        conn.sendall(head.encode() + b"\r\n")
        time.sleep(20)  # the body never comes: the client must not wait for it

    server = serve(respond)
    started = time.monotonic()
    with pytest.raises(QueryError, match="larger than 1048576 bytes"):
        RemoteStore(server.url, timeout=10, max_bytes=MiB).query("ASK {}")
    assert time.monotonic() - started < 5


# The child's own peak RSS (VmHWM): resource.getrusage's ru_maxrss would start at this
# test process's RSS, which Linux carries over to a child across exec.
MEASURE = """
import sys
from celebgraph.errors import CelebgraphError
from celebgraph.store.remote import RemoteStore

def peak():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:"))

before = peak()
try:
    result = RemoteStore(sys.argv[1]).query(sys.argv[2])
    outcome = f"{sum(1 for _ in result.raw)} rows"
except Exception as exc:  # noqa: BLE001 (measured whatever it is, the test then judges)
    outcome = str(exc) if isinstance(exc, CelebgraphError) else f"{type(exc).__name__}: {exc}"
print(peak() - before, " ".join(outcome.split()))
"""


def peak_growth(url: str, query: str, max_bytes: int) -> tuple[int, str]:
    """Run one query in a fresh process: how much its peak RSS grew, and the outcome."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("no /proc/self/status to read a process's peak memory from")
    env = {**os.environ, "CELEBGRAPH_REMOTE_MAX_BYTES": str(max_bytes)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, url, query],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    growth, outcome = done.stdout.split(" ", 1)
    return int(growth), outcome.strip()


def test_remote_bounds_memory_stays_near_the_bound_on_a_1_gb_answer(serve):
    server = serve(endless(ROWS, ROW, 1024 * MiB))
    growth, outcome = peak_growth(server.url, "SELECT ?x WHERE { ?x ?p ?o }", 64 * MiB)
    assert "the answer is larger than 67108864 bytes" in outcome
    assert growth < 2 * 64 * MiB, f"peak grew by {growth / MiB:.0f} MiB on a 1 GB answer"


def test_remote_bounds_a_large_graph_answer_costs_about_its_size(serve):
    triple = b"<http://example.org/s> <http://example.org/p> <http://example.org/o-long-enough> .\n"
    count = (100 * MiB) // len(triple)
    body = triple * count

    def respond(conn: socket.socket, form: str) -> None:
        answer(conn, body, "application/n-triples")

    server = serve(respond)
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    growth, outcome = peak_growth(server.url, construct, 256 * MiB)
    assert outcome == f"{count} rows"
    assert growth < 2 * len(body), f"peak grew by {growth / MiB:.0f} MiB on 100 MiB"


# --- malformed answers: one line each ----------------------------------------------------


def raw(data: bytes) -> Respond:
    return lambda conn, form: conn.sendall(data)


def cut(body: bytes, declared: int) -> Respond:
    """Declare ``declared`` bytes, send ``body``, close."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {JSON}\r\nContent-Length: {declared}\r\n\r\n"
    return raw(head.encode() + body)


def close_delimited(body: bytes, media: str = JSON) -> Respond:
    return raw(f"HTTP/1.1 200 OK\r\nContent-Type: {media}\r\n\r\n".encode() + body)


def sends(body: bytes, media: str = JSON) -> Respond:
    return lambda conn, form: answer(conn, body, media)


COUNT = select_answer(["n"], [{"n": {"type": "literal", "value": "3"}}])
MALFORMED = [
    # (case, response, query, what the one line says)
    ("ssh banner", raw(b"SSH-2.0-OpenSSH_9.2\r\n"), "ASK {}", "did not answer in HTTP"),
    ("binary", raw(bytes(range(256)) * 4), "ASK {}", "did not answer in HTTP"),
    ("nothing", raw(b""), "ASK {}", "did not answer in HTTP"),
    ("ansi", raw(b"\x1b[31mHELLO\x1b[0m\r\n"), "ASK {}", "did not answer in HTTP"),
    (
        "endless header",
        raw(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000),
        "ASK {}",
        "did not answer in HTTP",
    ),
    ("cut at Content-Length", cut(b'{"head":{},"boo', 26), "ASK {}", "cut short after 15 of 26"),
    (
        "cut chunked",
        raw(
            f"HTTP/1.1 200 OK\r\nContent-Type: {JSON}\r\nTransfer-Encoding: chunked\r\n\r\n"
            '1a\r\n{"head":{},'.encode()
        ),
        "ASK {}",
        "cut short",
    ),
    (
        "truncated JSON",
        close_delimited(COUNT[:-9]),
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "unreadable results",
    ),
    (
        "truncated XML",
        close_delimited(
            b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            b'<head><variable name="n"/></head><results><result><binding name="n"><lit',
            "application/sparql-results+xml",
        ),
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "unreadable results",
    ),
    (
        "truncated N-Triples",
        close_delimited(b"<http://a> <http://b> <http://c", "application/n-triples"),
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "unreadable RDF",
    ),
    ("html page", sends(b"<html>hi</html>", "text/html"), "ASK {}", "in 'text/html', not in"),
    (
        "no content type",
        raw(b"HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\n" + ASK_TRUE),
        "ASK {}",
        "no declared format",
    ),
    (
        "results for a CONSTRUCT",
        sends(COUNT),
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "in 'application/sparql-results+json', not in RDF",
    ),
    ("boolean for a SELECT", sends(ASK_TRUE), "SELECT ?s WHERE { ?s ?p ?o }", "a boolean"),
    ("rows for an ASK", sends(COUNT), "ASK { ?s ?p ?o }", "with rows, not a boolean"),
    (
        "empty bindings for a count",
        sends(select_answer([], [])),
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "with no variables, not the ?n it selects",
    ),
    (
        "no row for a count",
        sends(select_answer(["n"], [])),
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "with 0 rows; an aggregate without GROUP BY has one",
    ),
    (
        "other variables",
        sends(select_answer(["y"], [])),
        "SELECT ?x WHERE { ?x ?p ?o }",
        "with ?y, not the ?x it selects",
    ),
    (
        "a binding of an undeclared variable",
        sends(select_answer(["x"], [{"z": {"type": "uri", "value": "http://a"}}])),
        "SELECT ?x WHERE { ?x ?p ?o }",
        "unreadable results",
    ),
    (
        "error page with escapes",
        sends(b"\x1b[2Jboom\r\nerror: forged", "text/plain"),
        "ASK {}",
        "with unreadable results: CSV",  # text/plain is CSV results, which cannot be read
    ),
]


@pytest.mark.parametrize(
    ("case", "respond", "query", "expected"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_remote_bounds_malformed_answers_are_one_line(serve, case, respond, query, expected):
    server = serve(respond)
    with pytest.raises(CelebgraphError) as caught:
        result = RemoteStore(server.secret_url, timeout=10).query(query)
        list(result.raw) if result.kind != "ask" else bool(result.raw)
    assert expected in one_line_error(caught.value, server), case


@pytest.mark.parametrize(
    ("sparql", "projected", "one_row"),
    [
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {"n"}, True),
        ("SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s", {"s", "n"}, False),
        ("SELECT (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?s", {"n"}, False),
        ("SELECT (MAX(?o) AS ?m) WHERE { ?s ?p ?o } HAVING (MAX(?o) > 3)", {"m"}, False),
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } OFFSET 1", {"n"}, False),
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } VALUES ?s { <http://a> }", {"n"}, False),
        ("SELECT (STR(?s) AS ?t) WHERE { ?s ?p ?o }", {"t"}, False),
        (
            "SELECT ?s ?o WHERE { { SELECT ?s (COUNT(*) AS ?o) { ?s ?p ?x } GROUP BY ?s } }",
            {"s", "o"},
            False,
        ),
        (
            "PREFIX ex: <http://e/> SELECT ?x FROM <http://g> WHERE { ?x ex:SELECT ?y }",
            {"x"},
            False,
        ),
        ("SELECT * WHERE { ?s ?p ?o }", None, False),
        ("SELECT ?s WHERE { ?s ?p ?o FILTER(?o = '} GROUP BY (') }", {"s"}, False),
        ("# SELECT ?y\nASK { ?s ?p ?o }", None, False),
    ],
)
def test_remote_bounds_projection_read_from_the_query(sparql, projected, one_row):
    assert projection(sparql) == (projected, one_row)


def test_remote_bounds_server_error_page_is_escaped_and_short(serve):
    page = b"\x1b[31mfatal\x1b[0m\r\nerror: forged line\n" + b"x" * 100_000
    server = serve(lambda conn, form: answer(conn, page, "text/plain", "500 Server Error"))
    with pytest.raises(QueryError) as caught:
        RemoteStore(server.secret_url).query("ASK {}")
    message = one_line_error(caught.value, server)
    assert message.startswith(f"{server.url} failed (500): \\x1b[31mfatal\\x1b[0m error: forged")
    assert len(message) < 700


@pytest.mark.parametrize(
    "rows",
    [
        [{}],
        [{"n": {"type": "literal", "value": "many"}}],
        [{"n": {"type": "uri", "value": "http://3"}}],
    ],
    ids=["unbound", "not a number", "an IRI"],
)
def test_remote_bounds_a_count_that_is_not_a_number_is_one_line(serve, rows):
    server = serve(sends(select_answer(["n"], rows)))
    store = RemoteStore(server.secret_url)
    for count in (len, RemoteStore.count_graphs):
        with pytest.raises(QueryError, match="answered a count with"):
            count(store)


def test_remote_bounds_cli_stats_on_empty_bindings_is_one_line(serve):
    server = serve(sends(select_answer([], [])))
    done = subprocess.run(
        [sys.executable, "-m", "celebgraph", "stats", "--store", server.secret_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"error: {server.url} answered a SELECT query with no")


QUAD = {"type": "uri", "value": "https://w3id.org/celebgraph/article/a"}


BAD_QUADS = {
    "a literal subject": {"g": QUAD, "s": {"type": "literal", "value": "x"}, "p": QUAD, "o": QUAD},
    "no object": {"g": QUAD, "s": QUAD, "p": QUAD},
    "another graph": {
        "g": {"type": "uri", "value": "http://other/g"},
        "s": QUAD,
        "p": QUAD,
        "o": QUAD,
    },
}


def pages(row: dict) -> Respond:
    """The same page of quads whatever the FILTER asks for; after 50 pages (so that a
    client that does not notice ends too), an empty one."""
    calls = []

    def respond(conn: socket.socket, form: str) -> None:
        calls.append(form)
        answer(conn, select_answer(["g", "s", "p", "o"], [row] if len(calls) <= 50 else []))

    return respond


@pytest.mark.parametrize("case", BAD_QUADS)
def test_remote_bounds_export_of_bad_quads_is_one_line(serve, case):
    server = serve(pages(BAD_QUADS[case]))
    with pytest.raises(QueryError, match="answered a row that is not a quad") as caught:
        list(RemoteStore(server.secret_url).quads())
    one_line_error(caught.value, server)


def test_remote_bounds_export_stops_when_the_server_repeats_a_page(serve):
    server = serve(pages({"g": QUAD, "s": QUAD, "p": QUAD, "o": QUAD}))
    with pytest.raises(QueryError, match="sent the same page of quads twice") as caught:
        list(RemoteStore(server.secret_url).quads())
    one_line_error(caught.value, server)
    assert len(server.forms) == 2


# --- ingest: every failed article is reported ------------------------------------------------


def refuse_updates(conn: socket.socket, form: str) -> None:
    """Answer the ASK of the store check; fail every update, as a server whose disk is
    full would."""
    if form.startswith("query="):
        answer(conn, ASK_TRUE)
    else:
        answer(conn, b"SR008: disk full", "text/plain", "500 Internal Server Error")


def test_remote_bounds_ingest_reports_each_failed_article_and_the_ontology(
    serve, tmp_path, seed_path
):
    server = serve(refuse_updates)
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i:03}.txt")
        paths[-1].write_text(f"Headline {i}\n\nKanye West met Taylor Swift at the show {i}.\n")
    report = celebgraph.ingest(paths, store=server.secret_url, jobs=1)
    assert report.articles == 0
    assert len(report.errors) == 4, report.errors
    for path, error in zip(paths, report.errors, strict=False):
        assert error.startswith(f"{path}: cannot store (cannot write graph"), error
        assert "failed (500): SR008: disk full" in error
    assert report.errors[-1].startswith(
        "cannot write graph https://w3id.org/celebgraph/ontology to"
    )
    assert report.errors[-1].endswith("; ingest again to write it")
    assert not any("hunter2" in e or "\n" in e for e in report.errors)
    # The batch of three, refused; each article again alone, to name it; the ontology.
    assert sum(f.startswith("update=") for f in server.forms) == 1 + 3 + 1


def test_remote_bounds_cli_ingest_prints_each_failed_article(serve, tmp_path):
    server = serve(refuse_updates)
    for i in range(2):
        (tmp_path / f"{i:03}.txt").write_text(f"Headline {i}\n\nKanye West sang {i}.\n")
    env = {**os.environ, "CELEBGRAPH_WRITE_INTERVAL": "0"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "celebgraph",
            "ingest",
            str(tmp_path),
            "--store",
            server.url,
            "-q",
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines), lines
    assert "000.txt: cannot store" in lines[0] and "001.txt: cannot store" in lines[1]
    assert "celebgraph/ontology" in lines[2]
    assert done.stdout.startswith("0 articles") and done.stdout.rstrip().endswith("3 failed")


# --- a real server: Virtuoso keeps working within the bounds ----------------------------------


@pytest.fixture(scope="module")
def virtuoso_server():
    if not virtuoso.install():
        pytest.skip("virtuoso-opensource is not installed and apt-get could not install it")
    server = virtuoso.start()
    yield server
    server.stop()


def test_remote_bounds_virtuoso_within_and_beyond_the_bounds(virtuoso_server):
    url = virtuoso_server.url
    store = RemoteStore(url)
    graph = "https://w3id.org/celebgraph/article/bounds"
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    store._post(store.update_url, {"update": f"DROP SILENT GRAPH <{graph}>"}, "*/*", StoreError)
    for start in range(0, 3000, 500):  # Virtuoso limits the size of one update
        people = " ".join(
            f'<https://w3id.org/celebgraph/resource/person/p{i}> {label} "Person {i}" .'
            for i in range(start, start + 500)
        )
        insert = f"INSERT DATA {{ GRAPH <{graph}> {{ {people} }} }}"
        store._post(store.update_url, {"update": insert}, "*/*", StoreError)
    assert (len(store), store.count_graphs()) == (3000, 1)
    assert len(list(store.quads())) == 3000
    every = "SELECT ?p ?name WHERE { ?p rdfs:label ?name FILTER(STRSTARTS(?name, 'Person')) }"
    assert sum(1 for _ in store.query(every).raw) == 3000

    small = RemoteStore(url, max_bytes=10_000)
    assert small.query("ASK {}").raw
    for read in (lambda: small.query(every), lambda: list(small.quads())):
        with pytest.raises(QueryError, match="the answer is larger than 10000 bytes") as caught:
            read()
        assert virtuoso_server.password not in str(caught.value)

    # 9 million string comparisons: several seconds of work, given up at the deadline.
    slow = RemoteStore(url, timeout=1)
    started = time.monotonic()
    with pytest.raises(StoreError, match="no complete answer within 1 s"):
        slow.query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a rdfs:label ?x . ?b rdfs:label ?y"
            " FILTER(STRSTARTS(?x, 'Person') && STRSTARTS(?y, 'Person') && STR(?x) < STR(?y)) }"
        )
    assert time.monotonic() - started < 3
