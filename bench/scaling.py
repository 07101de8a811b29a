"""Scaling: ingest time, store size and memory for 50, 500, 5,000 and 50,000 articles.

Larger corpora are the real corpus replicated under new article ids (copies of one article
sit next to each other, so a batch can hold several copies of the longest article: the
worst case for memory). Each size is a fresh ``celebgraph ingest`` command into a fresh
store. Memory is sampled from /proc every 0.2 s over the command's whole process tree:
the peak of the sum of proportional set sizes (PSS: pages shared by the forked workers
counted once) and the peak resident set of the largest single process.

    python bench/scaling.py [CORPUS] [--sizes 50 500 5000 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import DEFAULT_CORPUS, measured_run, record, replicate_corpus


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 5000, 50000])
    args = parser.parse_args()
    script = Path(sys.executable).parent / "celebgraph"
    lines = [
        f"- `celebgraph ingest` with {os.cpu_count()} extraction processes; memory over the "
        "whole process tree",
        "",
        "| articles | time (s) | articles/s | triples | store size (MB) "
        "| peak memory, all processes (PSS, MB) | peak of the largest process (RSS, MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            replicate_corpus(args.corpus, work / "in", count)
            store = work / "store"
            figures = measured_run(
                [str(script), "ingest", str(work / "in"), "--store", str(store), "-q"]
            )
            size = folder_size(store)
            stats = subprocess.run(
                [str(script), "stats", "--store", str(store), "--json"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            triples = json.loads(stats)["triples"]
        lines.append(
            f"| {count:,} | {figures['seconds']:.1f} | {count / figures['seconds']:.1f} | "
            f"{triples:,} | {size / 1e6:.1f} | {figures['pss_kib'] / 1024:.0f} | "
            f"{figures['rss_kib'] / 1024:.0f} |"
        )
        print(lines[-1], flush=True)
    record("Scaling (bench/scaling.py)", lines)


if __name__ == "__main__":
    main()
