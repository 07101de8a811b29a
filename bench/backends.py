"""Store backends: ingest of the corpus and the README queries, embedded store vs Virtuoso.

Starts a throwaway Virtuoso on loopback (tests/virtuoso.py; Debian's virtuoso-opensource),
then, one after the other on this machine: ``celebgraph ingest CORPUS -q`` into a fresh
embedded store and into Virtuoso (wall-clock time of the command), and each
``queries/*.rq`` on both (median of ``--repeat`` runs, through ``celebgraph.query``, so a
run includes opening the embedded store or the HTTP round trips).

    python bench/backends.py [CORPUS] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_CORPUS, record

import celebgraph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import virtuoso  # noqa: E402


def ingest(corpus: Path, spec: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "celebgraph", "ingest", str(corpus), "--store", spec, "-q"],
        check=True,
    )
    return time.perf_counter() - start


def median_query(spec: str, text: str, repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = celebgraph.query(spec, text)
        count = len(list(result.raw)) if result.kind != "ask" else 1
        times.append(time.perf_counter() - start)
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not virtuoso.install():
        sys.exit("virtuoso-opensource is not installed and could not be installed")
    server = virtuoso.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            specs = {"embedded": str(Path(tmp) / "store"), "virtuoso": server.url}
            ingest_s = {name: ingest(args.corpus, spec) for name, spec in specs.items()}
            stats = {name: celebgraph.stats(spec) for name, spec in specs.items()}
            lines = [
                f"Corpus {args.corpus} ({stats['embedded']['articles']} articles,"
                f" {stats['embedded']['triples']} triples embedded,"
                f" {stats['virtuoso']['triples']} in Virtuoso). Virtuoso 7 on loopback,"
                " Digest auth, one update request per article.",
                "",
                "| | embedded (Oxigraph) | Virtuoso (SPARQL over HTTP) |",
                "|---|---|---|",
                f"| `celebgraph ingest CORPUS -q` | {ingest_s['embedded']:.1f} s"
                f" | {ingest_s['virtuoso']:.1f} s |",
            ]
            for path in sorted((ROOT / "queries").glob("*.rq")):
                text = path.read_text(encoding="utf-8")
                cells = []
                for spec in specs.values():
                    seconds, count = median_query(spec, text, args.repeat)
                    cells.append(f"{seconds * 1000:.1f} ms ({count} rows)")
                lines.append(f"| `{path.name}` (median of {args.repeat}) | {' | '.join(cells)} |")
            record("Store backends: embedded vs Virtuoso", lines)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
