"""Extraction throughput: the full ``ingest`` against the bare spaCy pipeline.

All run over the same texts with the same number of processes, in this one run, so the
ratios do not depend on how fast the machine is:

- the bare model: ``nlp.pipe`` over the whole article texts (the baseline);
- the model as ingest runs it: celebgraph's pipeline without its document components,
  over the pieces ingest cuts articles into (:func:`celebgraph.extract.pipeline.text_chunks`);
- the whole ``celebgraph ingest`` command: reading, the model, people and claims, RDF and
  the store.

CPU use is the processes' user and system time over wall time and cores: 100 % means
every core busy all the time.

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
from celebgraph.extract.pipeline import (
    CHUNK_BATCH,
    DOCUMENT_COMPONENTS,
    MODELS,
    load_nlp,
    text_chunks,
)

TARGET = 1.15


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


def full_ingest(corpus: Path, jobs: int) -> tuple[float, float]:
    script = Path(sys.executable).parent / "celebgraph"
    with tempfile.TemporaryDirectory() as folder:
        command = [str(script), "ingest", str(corpus), "--store", f"{folder}/store", "-q"]
        command += ["--jobs", str(jobs)]
        return timed(lambda: subprocess.run(command, check=True, capture_output=True))


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
    runs = {
        "bare spaCy `nlp.pipe` over whole texts (baseline)": bare_parse(texts, jobs),
        "the model as ingest runs it, over pieces": model_on_pieces(texts, jobs),
        "full `celebgraph ingest` command": full_ingest(args.corpus, jobs),
    }
    bare, _ = runs["bare spaCy `nlp.pipe` over whole texts (baseline)"]
    model, _ = runs["the model as ingest runs it, over pieces"]
    full, _ = runs["full `celebgraph ingest` command"]
    lines = [f"- corpus: {n} articles, {words:,} words; {jobs} processes", ""]
    lines += ["| run | time (s) | words/s | articles/s | CPU use |", "|---|---|---|---|---|"]
    for name, (wall, cpu) in runs.items():
        lines.append(
            f"| {name} | {wall:.1f} | {words / wall:,.0f} | {n / wall:.1f} | "
            f"{cpu / (wall * jobs):.0%} |"
        )
    verdict = "met" if full / bare <= TARGET else "NOT met"
    lines += [
        "",
        f"- ingest / bare parse: {full / bare:.2f} (target ≤ {TARGET}: {verdict})",
        f"- ingest / the model over pieces: {full / model:.2f} (what reading, people, claims "
        "and the store add to the model)",
    ]
    record("Extraction throughput (bench/ingest_speed.py)", lines)


if __name__ == "__main__":
    main()
