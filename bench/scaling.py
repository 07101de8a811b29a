"""Scaling: ingest time, store size and peak memory for 50, 500, 5,000 and 50,000 articles.

Larger corpora are the real corpus replicated under new article ids. Each size runs in a
fresh process so that its peak memory is its own. Sizes up to ``--full-max`` run the whole
``celebgraph ingest`` (extraction and store); larger sizes replicate the corpus'
extractions and measure the store path alone (extraction cost is linear in the number of
articles: see the full-ingest rows).

    python bench/scaling.py [CORPUS] [--sizes 50 500 5000 50000] [--full-max 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_CORPUS, record


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def replicate_corpus(corpus: Path, target: Path, count: int) -> None:
    """``count`` article files: the corpus' .txt files, copied under new ids as needed."""
    files = sorted(corpus.rglob("*.txt"))
    target.mkdir(parents=True)
    for index in range(count):
        source = files[index % len(files)]
        copy = index // len(files)
        name = source.stem if copy == 0 else f"{source.stem}-r{copy}"
        shutil.copyfile(source, target / f"{name}.txt")


def full_ingest(corpus: Path, count: int, work: Path) -> dict:
    articles = work / "in"
    replicate_corpus(corpus, articles, count)
    store = work / "store"
    script = Path(sys.executable).parent / "celebgraph"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([str(script), "ingest", str(articles), "--store", str(store), "-q"],
                   check=True, capture_output=True)  # fmt: skip
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": elapsed, "bytes": folder_size(store), "peak_kib": max(peak, before)}


STORE_ONLY = r"""
import dataclasses, json, resource, sys, time
from pathlib import Path
import celebgraph
from celebgraph.api import extract, write_extraction
from celebgraph.store import Store

corpus, store_path, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
base = [e for e in extract(celebgraph.load_articles([corpus])) if hasattr(e, "claims")]
start = time.perf_counter()
with Store(store_path) as db:
    for index in range(count):
        source = base[index % len(base)]
        copy = index // len(base)
        article = dataclasses.replace(source.article, id=f"{source.article.id}-r{copy}")
        write_extraction(db, dataclasses.replace(source, article=article))
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_kib": peak}))
"""


def store_only(corpus: Path, count: int, work: Path) -> dict:
    store = work / "store"
    result = subprocess.run([sys.executable, "-c", STORE_ONLY, str(corpus), str(store),
                             str(count)], check=True, capture_output=True, text=True)  # fmt: skip
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["bytes"] = folder_size(store)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 5000, 50000])
    parser.add_argument("--full-max", type=int, default=5000)
    args = parser.parse_args()
    lines = [
        f"- {os.cpu_count()} processes for extraction; store path alone beyond "
        f"{args.full_max:,} articles",
        "",
        "| articles | what ran | time (s) | articles/s | store size (MB) | peak memory (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            if count <= args.full_max:
                figures, what = full_ingest(args.corpus, count, work), "full ingest"
            else:
                figures, what = store_only(args.corpus, count, work), "store path only"
        lines.append(
            f"| {count:,} | {what} | {figures['seconds']:.1f} | "
            f"{count / figures['seconds']:.1f} | {figures['bytes'] / 1e6:.1f} | "
            f"{figures['peak_kib'] / 1024:.0f} |"
        )
        print(lines[-1], flush=True)
    record("Scaling (bench/scaling.py)", lines)


if __name__ == "__main__":
    main()
