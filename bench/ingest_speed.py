"""Extraction throughput: the full ``ingest`` against the bare spaCy pipeline.

All run over the same texts with the same number of processes, in this one run, so the
ratios do not depend on how fast the machine is:

- the bare model: ``nlp.pipe`` over the whole article texts (the baseline);
- the model as ingest runs it: celebgraph's pipeline without its document components,
  over the pieces ingest cuts articles into (:func:`celebgraph.extraction.pipeline.text_chunks`);
- the whole ``celebgraph ingest`` command with the hand-written rules alone
  (``--layer rules``: the extractor before the relation model);
- the whole ``celebgraph ingest`` command as shipped: reading, the model, people, the
  relation model and claims, RDF and the store.

CPU use is the processes' user and system time over wall time and cores: 100 % means
every core busy all the time. Worker memory is the largest peak resident size
(``VmHWM``) of any extraction worker process of the ingest, sampled while it runs.

    python bench/ingest_speed.py [CORPUS] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import DEFAULT_CORPUS, record

from celebgraph.articles import load_articles
from celebgraph.extraction.pipeline import (
    CHUNK_BATCH,
    DOCUMENT_COMPONENTS,
    MODELS,
    load_nlp,
    text_chunks,
)

TARGET = 1.3
MEMORY_TARGET = 1.5  # worker peak, shipped extractor against the rules alone


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its finished children)."""
    cpu, start = cpu_seconds(), time.perf_counter()
    work()
    return time.perf_counter() - start, cpu_seconds() - cpu


def bare_parse(texts: list[str], jobs: int) -> tuple[float, float]:
    import spacy

    for name in MODELS:
        try:
            nlp = spacy.load(name)
            break
        except OSError:
            continue
    return timed(lambda: [None for _ in nlp.pipe(texts, n_process=jobs, batch_size=16)])


def model_on_pieces(texts: list[str], jobs: int) -> tuple[float, float]:
    nlp = load_nlp()
    pieces = [chunk for text in texts for chunk in text_chunks(text)]
    return timed(
        lambda: [
            None
            for _ in nlp.pipe(
                pieces, n_process=jobs, batch_size=CHUNK_BATCH, disable=DOCUMENT_COMPONENTS
            )
        ]
    )


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found += children.get(pid, [])
        todo += children.get(pid, [])
    return found


def _peak_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1])


def full_ingest(corpus: Path, jobs: int, *extra: str) -> tuple[float, float, float]:
    """(wall s, CPU s, largest peak resident MB of a worker) of one ingest command."""
    script = Path(sys.executable).parent / "celebgraph"
    peaks: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        command = [str(script), "ingest", str(corpus), "--store", f"{folder}/store", "-q"]
        command += ["--jobs", str(jobs), *extra]

        def run() -> None:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            while process.poll() is None:
                for pid in _descendants(process.pid):
                    peaks[pid] = max(peaks.get(pid, 0), _peak_kb(pid))
                time.sleep(0.1)
            if process.returncode:
                raise SystemExit(f"ingest failed ({process.returncode})")

        wall, cpu = timed(run)
    return wall, cpu, max(peaks.values(), default=0) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--jobs", type=int, default=0, help="processes (0: one per core)")
    args = parser.parse_args()
    jobs = args.jobs or os.cpu_count() or 1
    articles = list(load_articles([args.corpus]))
    texts = [a.full_text for a in articles]
    words = sum(len(t.split()) for t in texts)
    n = len(articles)
    rules_run = full_ingest(args.corpus, jobs, "--layer", "rules")
    shipped_run = full_ingest(args.corpus, jobs)
    runs = {
        "bare spaCy `nlp.pipe` over whole texts (baseline)": bare_parse(texts, jobs),
        "the model as ingest runs it, over pieces": model_on_pieces(texts, jobs),
        "`celebgraph ingest --layer rules` (the rules alone)": rules_run[:2],
        "`celebgraph ingest` as shipped (rules and relation model)": shipped_run[:2],
    }
    bare, _ = runs["bare spaCy `nlp.pipe` over whole texts (baseline)"]
    model, _ = runs["the model as ingest runs it, over pieces"]
    full = shipped_run[0]
    lines = [f"- corpus: {n} articles, {words:,} words; {jobs} processes", ""]
    lines += ["| run | time (s) | words/s | articles/s | CPU use |", "|---|---|---|---|---|"]
    for name, (wall, cpu) in runs.items():
        lines.append(
            f"| {name} | {wall:.1f} | {words / wall:,.0f} | {n / wall:.1f} | "
            f"{cpu / (wall * jobs):.0%} |"
        )
    verdict = "met" if full / bare <= TARGET else "NOT met"
    memory = shipped_run[2] / rules_run[2] if rules_run[2] else float("nan")
    memory_verdict = "met" if memory <= MEMORY_TARGET else "NOT met"
    lines += [
        "",
        f"- ingest / bare parse: {full / bare:.2f} (target ≤ {TARGET}: {verdict})",
        f"- ingest / the model over pieces: {full / model:.2f} (what reading, people, claims "
        "and the store add to the model)",
        f"- ingest / ingest with the rules alone: {full / rules_run[0]:.2f} (what the relation "
        "model adds)",
        f"- peak memory of an extraction worker: {shipped_run[2]:.0f} MB as shipped, "
        f"{rules_run[2]:.0f} MB with the rules alone: {memory:.2f}× "
        f"(target ≤ {MEMORY_TARGET}×: {memory_verdict})",
    ]
    record("Extraction throughput (bench/ingest_speed.py)", lines)


if __name__ == "__main__":
    main()
