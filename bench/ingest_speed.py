"""Extraction throughput: the full ``ingest`` against the bare spaCy pipeline.

Both run over the same texts with the same number of processes, in this one run, so the
ratio does not depend on how fast the machine is.

    python bench/ingest_speed.py [CORPUS] [--jobs N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_CORPUS, record

import celebgraph
from celebgraph.articles import load_articles
from celebgraph.extract.pipeline import MODELS


def bare_parse(texts: list[str], jobs: int) -> float:
    import spacy

    for name in MODELS:
        try:
            nlp = spacy.load(name)
            break
        except OSError:
            continue
    start = time.perf_counter()
    for _ in nlp.pipe(texts, n_process=jobs, batch_size=16):
        pass
    return time.perf_counter() - start


def full_ingest(corpus: Path, jobs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        report = celebgraph.ingest([corpus], store=Path(folder) / "store", jobs=jobs)
        elapsed = time.perf_counter() - start
    assert report.failed == 0, report.errors
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--jobs", type=int, default=0, help="processes (0: one per core)")
    args = parser.parse_args()
    import os

    jobs = args.jobs or os.cpu_count() or 1
    articles = list(load_articles([args.corpus]))
    texts = [a.full_text for a in articles]
    words = sum(len(t.split()) for t in texts)
    bare = bare_parse(texts, jobs)
    full = full_ingest(args.corpus, jobs)
    target = 1.15
    n = len(articles)

    def rate(seconds: float) -> str:
        return f"{seconds:.1f} s ({words / seconds:,.0f} words/s, {n / seconds:.1f} articles/s)"

    verdict = "met" if full / bare <= target else "NOT met"
    record(
        "Extraction throughput (bench/ingest_speed.py)",
        [
            f"- corpus: {n} articles, {words} words; {jobs} processes",
            f"- bare spaCy `nlp.pipe`: {rate(bare)}",
            f"- full `celebgraph ingest`: {rate(full)}",
            f"- ratio ingest / bare parse: {full / bare:.2f} (target ≤ {target}: {verdict})",
        ],
    )


if __name__ == "__main__":
    main()
