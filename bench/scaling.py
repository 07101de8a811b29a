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


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(PSS summed over the tree, largest RSS of one process), in kB."""
    pss = largest = 0
    for member in _tree(pid):
        try:
            fields = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()[1:]
            )
        except (OSError, ValueError):
            continue
        pss += int(fields["Pss"].split()[0])
        largest = max(largest, int(fields["Rss"].split()[0]))
    return pss, largest


def measured_run(command: list[str]) -> dict:
    """Run ``command``; its wall time and the peaks of its process tree's memory."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_pss = peak_rss = 0
    while process.poll() is None:
        pss, rss = _memory(process.pid)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.2)
    elapsed = time.perf_counter() - start
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return {"seconds": elapsed, "pss_kib": peak_pss, "rss_kib": peak_rss}


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
