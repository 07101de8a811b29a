"""Extraction on a Dask cluster against local extraction processes, on this machine.

For each corpus size (the corpus, and the corpus replicated under new ids), a fresh
``celebgraph ingest`` into a fresh store with ``--jobs 1``, ``--jobs 2``, ``--cluster
local:1`` and ``--cluster local:2``: wall time (model loading included), articles/s, the
cluster's time against the local ingest with as many workers, speed-up per worker, and the
peak memory of the ingesting process (for ``local:N`` it also holds the scheduler).

Then the two figures a projection to a real cluster needs, measured in this process:

- the scheduler's cost per task: tasks carrying a real batch of articles (so that sending
  them is counted) to a worker that does nothing with them, many in flight;
- the store's write rate: real extractions written to a fresh embedded store the way
  ingest writes them (one transaction per article).

    python bench/distributed.py [CORPUS] [--sizes 500 5000]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from _common import DEFAULT_CORPUS, measured_run, record, replicate_corpus
from distributed import Client, LocalCluster  # Dask's, not this file (see _common)

from celebgraph.api import write_extraction
from celebgraph.articles import load_articles
from celebgraph.extraction import Extractor
from celebgraph.processes import BATCH, batched
from celebgraph.store import Store

MODES = [("--jobs", "1"), ("--jobs", "2"), ("--cluster", "local:1"), ("--cluster", "local:2")]


def task_overhead(corpus: Path, tasks: int = 400) -> tuple[float, float]:
    """(ms per task with 8 tasks in flight, ms for one task alone) on a one-worker cluster."""
    articles = list(load_articles([corpus]))
    chunks = [c for c in batched(articles, BATCH) if len(c) == BATCH]
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
        ) as cluster,
        Client(cluster) as client,
    ):
        client.submit(len, chunks[0], pure=False).result()  # warm up
        start = time.perf_counter()
        futures = []
        for i in range(tasks):
            futures.append(client.submit(len, chunks[i % len(chunks)], pure=False))
            if len(futures) >= 8:
                futures.pop(0).result()
        for future in futures:
            future.result()
        in_flight = (time.perf_counter() - start) / tasks
        alone = []
        for i in range(50):
            start = time.perf_counter()
            client.submit(len, chunks[i % len(chunks)], pure=False).result()
            alone.append(time.perf_counter() - start)
    return in_flight * 1000, statistics.median(alone) * 1000


def write_rate(corpus: Path, copies: int = 4) -> float:
    """Articles/s written to a fresh embedded store, one transaction each."""
    extractor = Extractor()
    extractions = list(extractor.extract_many(load_articles([corpus])))
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store") as db:
        start = time.perf_counter()
        for copy in range(copies):
            for extraction in extractions:
                article = replace(extraction.article, id=f"{extraction.article.id}-w{copy}")
                write_extraction(db, replace(extraction, article=article))
        return copies * len(extractions) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    args = parser.parse_args()
    script = Path(sys.executable).parent / "celebgraph"
    lines = [
        "| articles | ingest | time (s) | articles/s | against --jobs N | speed-up per worker "
        "| ingesting process peak (RSS, MB) | all processes peak (PSS, MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rates: dict[tuple[int, str, str], float] = {}
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            replicate_corpus(args.corpus, work / "in", count)
            for option, value in MODES:
                store = work / f"store{option}{value}".replace(":", "")
                command = [str(script), "ingest", str(work / "in"), "--store", str(store)]
                figures = measured_run([*command, "-q", option, value])
                workers = int(value.rsplit(":", 1)[-1])
                rate = count / figures["seconds"]
                rates[count, option, value] = rate
                one = rates[count, option, value.replace(str(workers), "1")]
                local = rates[count, "--jobs", str(workers)]
                lines.append(
                    f"| {count:,} | `{option} {value}` | {figures['seconds']:.1f} | {rate:.1f} "
                    f"| {local / rate:.2f}× the time | {rate / one / workers:.2f} "
                    f"| {figures['own_kib'] / 1024:.0f} | {figures['pss_kib'] / 1024:.0f} |"
                )
                print(lines[-1], flush=True)
    in_flight, alone = task_overhead(args.corpus)
    writes = write_rate(args.corpus)
    largest = max(args.sizes)
    per_worker = rates[largest, "--cluster", "local:1"]
    task_seconds = BATCH / per_worker
    lines += [
        "",
        f"- Scheduler cost per task (a batch of {BATCH} articles sent, nothing done): "
        f"{in_flight:.1f} ms with 8 in flight, {alone:.1f} ms for one alone; one task "
        f"of real extraction takes {task_seconds:.2f} s at `local:1` "
        f"({in_flight / 1000 / task_seconds:.1%} of it).",
        f"- Store write rate (embedded, one transaction per article): {writes:.0f} articles/s.",
        f"- Projection: one worker extracts {per_worker:.1f} articles/s here, so the store's "
        f"write rate binds at about {writes / per_worker:.0f} workers "
        f"({writes:.0f} articles/s); below that, W workers give W × {per_worker:.1f} "
        "articles/s less the scheduler's share above.",
    ]
    record("Extraction on a Dask cluster (bench/distributed.py)", lines)


if __name__ == "__main__":
    main()
