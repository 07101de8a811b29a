"""Readers of ``celebgraph serve`` while a real ingest writes to the same store: how many
queries get a 500 (RocksDB's ``Corruption: … No such file …sst`` when a writer's
compaction removes a file under a read-only worker)?

Fills a store with ``--prefill`` generated articles, starts the real server
(``celebgraph serve`` as a subprocess, loopback, ``--workers``), then runs ``--clients``
threads looping the README queries (``queries/*.rq``) and a scan of every quad over
keep-alive connections while ``celebgraph ingest`` (a real subprocess) ingests the corpus
again and again for ``--seconds``; every ingest writes every ``--write-interval`` seconds
(each write opens the store, writes, flushes and closes it: new SST files, compactions).

Prints the answers by status, the 500s' messages (first few) and how many ingest rounds
ran. ``--record`` appends the line to bench/results.md. To count the 500s without the
retry of :mod:`celebgraph.server.worker`, set its ``_READ_ATTEMPTS`` to 1 for the run.

    .venv/bin/python bench/serve_during_ingest.py --seconds 120 --label "with the fix"
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from _common import DEFAULT_CORPUS, record
from server_load import build_store, post_query, start_server

ROOT = Path(__file__).resolve().parents[1]
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
#: A read of every quad (each SST file): the widest window for a compaction to hit.
SCAN = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def client(address: str, until: float, counts: Counter, messages: list[str]) -> None:
    """Loop the README queries until ``until``; count answers by status."""
    host, port = address.rsplit(":", 1)
    queries = [q.read_text(encoding="utf-8") for q in QUERIES] + [SCAN]
    conn: http.client.HTTPConnection | None = None
    i = random.randrange(len(queries))
    while time.monotonic() < until:
        body = urllib.parse.urlencode({"query": queries[i % len(queries)]})
        i += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, int(port), 60)
            response, data = post_query(conn, body)
            counts[str(response.status)] += 1
            if response.status >= 500:
                messages.append(f"{response.status} {data[:300].decode('utf-8', 'replace')}")
        except (OSError, http.client.HTTPException) as exc:
            counts[type(exc).__name__] += 1
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS / "celebrity")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write-interval", type=float, default=0.5)
    parser.add_argument(
        "--prefill", type=int, default=5000, help="generated articles in the store at start"
    )
    parser.add_argument("--label", default="")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"no corpus at {args.corpus} (see ../shared/corpus/README.md)")
    cli = [sys.executable, "-m", "celebgraph"]
    env = {**os.environ, "CELEBGRAPH_WRITE_INTERVAL": str(args.write_interval)}
    with tempfile.TemporaryDirectory(prefix="cg-ingest-readers-") as tmp:
        store = Path(tmp) / "store"
        build_store(store, args.prefill, max(50, args.prefill // 10))
        server, address = start_server(store, args.workers, 30.0)
        counts: Counter = Counter()
        messages: list[str] = []
        rounds = 0
        try:
            until = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=client, args=(address, until, counts, messages))
                for _ in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            while time.monotonic() < until:
                ingest = subprocess.Popen(
                    [*cli, "ingest", str(args.corpus), "--store", str(store), "--jobs", "1"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
                while ingest.poll() is None and time.monotonic() < until:
                    time.sleep(0.2)
                if ingest.poll() is None:
                    ingest.terminate()  # a clean stop: what was extracted is stored
                    ingest.wait(60)
                rounds += 1
            for thread in threads:
                thread.join()
            ssts = len(list(store.glob("*.sst")))
        finally:
            server.terminate()
            server.wait(30)
    total = sum(counts.values())
    fivehundreds = counts.get("500", 0)
    line = (
        f"{args.label or 'run'}: {total} queries in {args.seconds:g} s, {args.clients} clients,"
        f" {args.workers} workers, {args.prefill} articles at start, {rounds} ingest round(s),"
        f" write every"
        f" {args.write_interval:g} s; by status {dict(sorted(counts.items()))};"
        f" 500s: {fivehundreds} ({100 * fivehundreds / max(total, 1):.3f} %); {ssts} SST files"
    )
    print(line)
    for message in messages[:5]:
        print("  ", " ".join(message.split()))
    if args.record:
        record("Readers during an ingest (bench/serve_during_ingest.py)", [line])


if __name__ == "__main__":
    main()
