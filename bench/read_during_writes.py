"""Reads of a store while a writer opens, writes and closes it in a loop (what an ingest does,
without the extraction that paces it): how many reads fail with RocksDB's
``Corruption: … No such file …sst`` (a compaction removed a file under a read-only view)?

Two kinds of reader, each in ``--readers`` processes, scanning every quad in a loop:

- ``raw``: ``pyoxigraph.Store.read_only`` opened afresh for each read, no celebgraph lock;
- ``worker``: the SPARQL server's own read path (``_StoreHandle`` and ``_read`` of
  :mod:`celebgraph.server.worker`: opened through ``open_store`` with its lock, reopened
  when the files change, and a read that lost a file retried on a fresh open), with
  ``--attempts`` reads per query (1: no retry).

    .venv/bin/python bench/read_during_writes.py --seconds 45 --reader raw
    .venv/bin/python bench/read_during_writes.py --seconds 45 --reader worker --attempts 1
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from rdflib import Literal, URIRef

SCAN = "SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


def writer(path: str, until: float) -> None:
    from celebgraph.store import Store

    n = 0
    while time.time() < until:
        with Store(path) as store:
            for _ in range(3):
                graph = URIRef(f"https://w3id.org/celebgraph/article/w{n % 300}")
                triples = [
                    (URIRef(f"https://x/{n}-{i}"), URIRef("https://x/p"), Literal(f"{'v' * 50}{i}"))
                    for i in range(200)
                ]
                store.replace_graph(graph, triples)
                n += 1
    print(f"writer: {n} articles written", file=sys.stderr, flush=True)


def reader(path: str, until: float, kind: str, attempts: int, results) -> None:
    import pyoxigraph as ox

    from celebgraph.server import worker

    worker._READ_ATTEMPTS = attempts
    handle = worker._StoreHandle(path, writable=False) if kind == "worker" else None
    ok, errors = 0, Counter()
    while time.time() < until:
        try:
            if handle is None:
                sum(1 for _ in ox.Store.read_only(path).query(SCAN))
            else:
                worker._read(handle, {}, lambda db: sum(1 for _ in db.query(SCAN)))
            ok += 1
        except Exception as exc:  # counted, whatever it is
            errors[f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}"] += 1
    results.put((ok, errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--reader", choices=["raw", "worker"], default="worker")
    parser.add_argument("--attempts", type=int, default=4)
    parser.add_argument("--readers", type=int, default=2)
    args = parser.parse_args()
    from celebgraph.store import Store

    ctx = multiprocessing.get_context("spawn")  # no RocksDB state across a fork
    with tempfile.TemporaryDirectory(prefix="cg-read-writes-") as tmp:
        path = str(Path(tmp) / "store")
        with Store(path):
            pass
        until = time.time() + args.seconds
        results = ctx.Queue()
        procs = [ctx.Process(target=writer, args=(path, until))] + [
            ctx.Process(target=reader, args=(path, until, args.reader, args.attempts, results))
            for _ in range(args.readers)
        ]
        for proc in procs:
            proc.start()
        answers = [results.get() for _ in range(args.readers)]
        for proc in procs:
            proc.join()
    ok = sum(a[0] for a in answers)
    errors = sum((a[1] for a in answers), Counter())
    label = args.reader + (f", {args.attempts} attempts" if args.reader == "worker" else "")
    print(f"{label}: {ok} reads whole, {sum(errors.values())} failed in {args.seconds:g} s")
    for message, count in errors.most_common(3):
        print(f"  {count} × {message}")


if __name__ == "__main__":
    main()
