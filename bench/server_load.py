"""Load on ``celebgraph serve``: many clients of the README queries, with and without a hog.

Builds a store of generated articles (a few hundred people, claims of every status), starts
the real server (``celebgraph serve`` as a subprocess, loopback), and runs two bounded
scenarios of ``--seconds`` each:

- ``readme``: ``--clients`` threads loop the queries of ``queries/`` over keep-alive
  connections (raw ``http.client``);
- ``readme + hog``: the same, plus one client looping an expensive query (an ``ORDER BY``
  over a cross product) that the server has to stop (timeout or memory bound).

For each: answers/s, p50 and p99 latency of the README queries, errors by status, and the
peak RSS of the whole server process tree (sampled every 50 ms).

The baseline is the server of an earlier commit (``--baseline``, by default the last one
with the hand-made server on ``http.server``), unpacked from git and run on the same store
in the same run: ``--rounds`` rounds, the two servers alternating, medians reported with
the ratios this commit / baseline. ``--record`` appends the table to bench/results.md;
``--label`` names the run.

    .venv/bin/python bench/server_load.py --record
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import psutil
from _common import record

from celebgraph import Store
from celebgraph.api import write_extraction
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import RELATIONS, Status

ROOT = Path(__file__).resolve().parents[1]
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
# Every triple of the store against every other, sorted: no server can answer it cheaply.
# The last commit whose server was the hand-made one on http.server.
BASELINE = "f88aa4a"
HOG = "SELECT ?a ?b WHERE { ?a ?p ?x . ?b ?q ?y } ORDER BY ?x ?y LIMIT 1"


def build_store(path: Path, articles: int, people: int, seed: int = 7) -> None:
    """A store of generated articles: names from a fixed pool, claims of every status."""
    rng = random.Random(seed)
    names = ["Kanye West", "Taylor Swift"] + [f"Person {i:04d} Example" for i in range(people)]
    relations = sorted(RELATIONS)
    statuses = [Status.ASSERTED, Status.REPORTED, Status.DENIED]
    with Store(path) as store:
        for n in range(articles):
            cast = rng.sample(names, 5)
            entities = {
                name.lower().replace(" ", "-"): Entity(name.lower().replace(" ", "-"), name)
                for name in cast
            }
            keys = list(entities)
            claims = [
                Claim(
                    a,
                    rng.choice(relations),
                    b,
                    rng.choice(statuses),
                    round(rng.random(), 2),
                    f"Sentence {k} of article {n}.",
                    "bench.v1",
                )
                for k in range(4)
                for a, b in [rng.sample(keys, 2)]
            ]
            text = " ".join(f"{e.name} was here." for e in entities.values())
            article = Article(f"bench-{n}", f"Headline {n}", text, date="2024-01-01")
            write_extraction(store, Extraction(article, entities, claims))


def start_server(
    store: Path, workers: int, timeout: float, package: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """``celebgraph serve`` on a free loopback port; (process, base URL) once it listens.
    ``package``: a folder holding another revision's ``celebgraph`` to run instead."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "celebgraph", "serve", "--store", str(store)]
    command += ["--port", str(port), "--workers", str(workers), "--timeout", str(timeout)]
    env = dict(os.environ)
    if package is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, f"127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}") from None
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start in 60 s")


class Peak:
    """The largest summed RSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            total = 0
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                continue
            for proc in tree:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def post_query(
    conn: http.client.HTTPConnection, body: str
) -> tuple[http.client.HTTPResponse, bytes]:
    """POST one form-encoded query on a kept-alive connection: the response and its body."""
    conn.request(
        "POST",
        "/sparql",
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json",
        },
    )
    response = conn.getresponse()
    return response, response.read()


def client(
    address: str,
    queries: list[str],
    until: float,
    latencies: list[float],
    errors: Counter,
    source: str = "127.0.0.1",
) -> None:
    """Loop the queries over one keep-alive connection until ``until``; new one on error.
    ``source`` is the client's own address (the hog has one of its own, as another
    machine would)."""
    host, port = address.rsplit(":", 1)
    conn: http.client.HTTPConnection | None = None
    i = random.randrange(len(queries))
    while time.monotonic() < until:
        body = urllib.parse.urlencode({"query": queries[i % len(queries)]})
        i += 1
        started = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, int(port), 60, (source, 0))
            response, _ = post_query(conn, body)
            if response.status == 200:
                latencies.append(time.monotonic() - started)
            else:
                errors[str(response.status)] += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] += 1
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()


def scenario(address: str, pid: int, clients: int, seconds: float, hog: bool) -> dict:
    queries = [q.read_text(encoding="utf-8") for q in QUERIES]
    latencies: list[float] = []
    errors: Counter = Counter()
    hog_latencies: list[float] = []
    hog_errors: Counter = Counter()
    peak = Peak(pid)
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(address, queries, until, latencies, errors))
        for _ in range(clients)
    ]
    if hog:
        threads.append(
            threading.Thread(
                target=client,
                args=(address, [HOG], until, hog_latencies, hog_errors, "127.0.0.2"),
            )
        )
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "answers_s": len(latencies) / elapsed,
        "p50": pct(0.50) if latencies else float("nan"),
        "p99": pct(0.99) if latencies else float("nan"),
        "errors": dict(errors),
        "hog": dict(hog_errors) | ({"200": len(hog_latencies)} if hog_latencies else {}),
        "rss_mb": peak.stop() / 1e6,
    }


def baseline_tree(revision: str, into: Path) -> Path:
    """The package of ``revision`` (a commit of this repository) and the files it reads from
    the top of a checkout, unpacked under ``into``: the folder to put first on PYTHONPATH to
    run that revision's server."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src", "ontology", "data", "queries"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def median_result(results: list[dict]) -> dict:
    """Per figure, the median over rounds; errors summed."""
    out: dict = {}
    for key in ("answers_s", "p50", "p99", "rss_mb"):
        out[key] = statistics.median(r[key] for r in results)
    for key in ("errors", "hog"):
        out[key] = dict(sum((Counter(r[key]) for r in results), Counter()))
    return out


def table(rows: list[tuple[str, str, dict]]) -> list[str]:
    lines = [
        "| scenario | server | answers/s | p50 (ms) | p99 (ms) | errors | hog client | "
        "peak RSS, server tree (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, server, r in rows:
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) or "0"
        hog = ", ".join(f"{k}: {v}" for k, v in sorted(r["hog"].items())) or "-"
        lines.append(
            f"| {name} | {server} | {r['answers_s']:.0f} | {r['p50']:.0f} | {r['p99']:.0f} | "
            f"{errors} | {hog} | {r['rss_mb']:.0f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="against the baseline in the same run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument(
        "--baseline",
        default=BASELINE,
        help="commit whose server is the baseline, run in the same rounds ('' for none)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds, servers alternating")
    parser.add_argument("--record", action="store_true", help="append to bench/results.md")
    args = parser.parse_args()
    scenarios = (("readme", False), ("readme + hog", True))
    with tempfile.TemporaryDirectory(prefix="celebgraph-load-") as tmp:
        store = Path(tmp) / "store"
        build_store(store, args.articles, args.people)
        servers = {"this commit": None}
        if args.baseline:
            servers = {f"baseline {args.baseline}": baseline_tree(args.baseline, Path(tmp))}
            servers["this commit"] = None
        results: dict[tuple[str, str], list[dict]] = {}
        for round_ in range(args.rounds):
            # Alternate which server goes first: a drift of the machine falls on both.
            order = list(servers) if round_ % 2 == 0 else list(reversed(servers))
            for server in order:
                process, address = start_server(store, args.workers, args.timeout, servers[server])
                try:
                    for name, hog in scenarios:
                        result = scenario(address, process.pid, args.clients, args.seconds, hog)
                        results.setdefault((name, server), []).append(result)
                        print(f"round {round_ + 1}", server, name, result, flush=True)
                finally:
                    process.terminate()
                    try:
                        process.wait(15)
                    except subprocess.TimeoutExpired:
                        process.kill()
    medians = {key: median_result(value) for key, value in results.items()}
    rows = [(name, server, medians[name, server]) for name, _ in scenarios for server in servers]
    lines = [
        f"- {args.clients} clients of the {len(QUERIES)} queries of `queries/`, "
        f"{args.seconds:g} s per scenario, {args.workers} workers, --timeout {args.timeout:g}; "
        f"store of {args.articles} generated articles; median of {args.rounds} rounds, the "
        "servers alternating",
        "",
        *table(rows),
    ]
    if args.baseline:
        base, this = list(servers)
        lines.append("")
        for name, _ in scenarios:
            b, t = medians[name, base], medians[name, this]
            lines.append(
                f"- {name}, this commit / baseline: answers/s {t['answers_s'] / b['answers_s']:.2f}"
                f", p99 {t['p99'] / b['p99']:.2f}, peak RSS {t['rss_mb'] / b['rss_mb']:.2f}"
            )
    if args.record:
        record(f"SPARQL server under load, {args.label} (bench/server_load.py)", lines)
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
