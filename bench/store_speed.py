"""Store: bulk load rate and the README queries on a graph of over a million triples.

The graph is the corpus' own extraction replicated under new article and claim ids (and
new person ids for nine copies in ten, so that the people graph grows too), written as
one N-Quads file. All figures come from this one run on this machine:

- loading: ``celebgraph.load`` (checks the file, then loads it on every core) into a fresh
  store; one call of Oxigraph's own ``bulk_load``; ingest's path (one transaction per
  article graph); rdflib's in-memory ``Dataset.parse`` of the same file (the baseline);
  with ``--virtuoso``, Virtuoso's bulk loader (``ld_dir`` + ``rdf_loader_run``);
- each README query (``queries/*.rq``), median of ``--repeat`` runs with every row read:
  the embedded store; the same engine (Oxigraph) in memory, which shows what the disk
  costs; rdflib in memory (stopped after ``--cap`` seconds); Virtuoso over HTTP; and the
  whole ``celebgraph query`` command, start-up and store opening included.

    python bench/store_speed.py [CORPUS] [--triples 1050000] [--repeat 5] [--virtuoso]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from _common import DEFAULT_CORPUS, record

import celebgraph
from celebgraph.ontology import PREFIXES
from celebgraph.store import Store

ROOT = Path(__file__).resolve().parents[1]
QUERIES = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))}
TARGET_SPEEDUP = 50
TARGET_LOAD = 100_000


def replicate(source: Path, target: Path, wanted: int) -> int:
    """Write N-Quads with ``wanted`` or more quads: copies of ``source`` under new ids."""
    lines = source.read_text(encoding="utf-8").splitlines()
    copies = max(1, -(-wanted // len(lines)))
    written = 0
    with target.open("w", encoding="utf-8") as out:
        for copy in range(copies):
            for line in lines:
                line = line.replace("/resource/article/", f"/resource/article/r{copy}-")
                line = line.replace("/resource/claim/", f"/resource/claim/r{copy}-")
                if copy % 10:
                    line = line.replace("/resource/person/", f"/resource/person/{copy}-")
                out.write(line + "\n")
                written += 1
    return written


def median_time(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def capped_median(run: Callable[[], object], repeat: int, cap: float) -> float | None:
    """Median seconds of ``run()`` over ``repeat`` runs in a forked child (which shares the
    loaded data); the runs that finish within ``cap`` seconds in all count, None if none."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        for _ in range(repeat):
            start = time.perf_counter()
            run()
            send.send(time.perf_counter() - start)

    process = context.Process(target=child)
    process.start()
    deadline = time.monotonic() + cap
    times = []
    while len(times) < repeat and receive.poll(max(0.0, deadline - time.monotonic())):
        times.append(receive.recv())
    process.kill()
    process.join()
    return statistics.median(times) if times else None


def per_article_rate(data: Path, path: Path, limit: int) -> float:
    """Triples/s through ``Store.replace_graph`` (one transaction per article graph)."""
    from rdflib import Literal, URIRef

    def term(t):
        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if t.language:
            return Literal(t.value, lang=t.language)
        return Literal(t.value, datatype=URIRef(t.datatype.value))

    graphs: dict[str, list] = {}
    count = 0
    for quad in ox.parse(path=str(data), format=ox.RdfFormat.N_QUADS):
        if count >= limit:
            break
        graph = quad.graph_name.value
        if "/resource/article/" in graph:
            graphs.setdefault(graph, []).append(tuple(map(term, quad.triple)))
            count += 1
    with Store(path) as db:
        start = time.perf_counter()
        for graph, triples in graphs.items():
            db.replace_graph(URIRef(graph), triples)
        elapsed = time.perf_counter() - start
    return count / elapsed


def command_time(store: Path, query: str, repeat: int) -> float:
    script = Path(sys.executable).parent / "celebgraph"
    command = [str(script), "query", query, "--store", str(store), "--format", "csv"]
    return median_time(
        lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL), repeat
    )


def start_virtuoso(data: Path) -> tuple[object, float]:
    """A throwaway Virtuoso holding ``data``, and the seconds its bulk loader took."""
    sys.path.insert(0, str(ROOT / "tests"))
    import virtuoso

    if not virtuoso.install():
        sys.exit("virtuoso-opensource is not installed and could not be installed")
    server = virtuoso.start()
    shutil.copy(data, server.directory / data.name)
    start = time.perf_counter()
    server.isql(f"ld_dir('{server.directory}', '{data.name}', 'urn:celebgraph:default')")
    server.isql("rdf_loader_run()")
    server.isql("checkpoint")
    return server, time.perf_counter() - start


def rate(quads: int, seconds: float) -> str:
    return f"{seconds:.1f} s = {quads / seconds:,.0f} triples/s"


def query_times(run: Callable[[str], object], repeat: int) -> dict[str, float]:
    """Median seconds of each README query through ``run(text)``."""
    return {name: median_time(lambda t=text: run(t), repeat) for name, text in QUERIES.items()}


def in_memory(data: Path, repeat: int) -> tuple[float, dict[str, float]]:
    """Oxigraph in memory: load seconds and query times."""
    start = time.perf_counter()
    memory = ox.Store()
    memory.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
    load = time.perf_counter() - start
    return load, query_times(
        lambda t: list(memory.query(t, prefixes=PREFIXES, use_default_graph_as_union=True)),
        repeat,
    )


def with_rdflib(data: Path, repeat: int, cap: float) -> tuple[float, dict[str, float | None]]:
    """rdflib's in-memory Dataset: parse seconds and query times (None: over ``cap``)."""
    import rdflib

    start = time.perf_counter()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(str(data), format="nquads")
    load = time.perf_counter() - start
    prefixes = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
    return load, {
        name: capped_median(lambda t=text: list(dataset.query(prefixes + t)), repeat, cap)
        for name, text in QUERIES.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--triples", type=int, default=1_050_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cap", type=float, default=300, help="seconds before rdflib is stopped")
    parser.add_argument("--virtuoso", action="store_true", help="also load and query Virtuoso")
    args = parser.parse_args()
    jobs = os.cpu_count() or 1
    columns: dict[str, dict[str, float | None]] = {}
    loads: list[str] = []

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = tmp / "base"
        celebgraph.ingest([args.corpus], store=base)
        seed = tmp / "seed.nq"
        with seed.open("wb") as handle:
            celebgraph.export(base, handle, "nquads")
        data = tmp / "big.nq"
        quads = replicate(seed, data, args.triples)

        # The embedded store, loaded by celebgraph load; then its queries and commands.
        store_path = tmp / "big-store"
        start = time.perf_counter()
        report = celebgraph.load([data], store=store_path)
        load = time.perf_counter() - start
        assert report.failed == 0 and report.quads == quads, report
        with Store(store_path) as db:
            size = len(db)
            rows = {name: len(list(db.query(text).raw)) for name, text in QUERIES.items()}
            columns["embedded store (s)"] = query_times(
                lambda t: list(db.query(t).raw), args.repeat
            )
        columns["`celebgraph query` (s)"] = {
            name: command_time(store_path, text, args.repeat) for name, text in QUERIES.items()
        }
        start = time.perf_counter()
        single = ox.Store(str(tmp / "single-call"))
        single.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
        single.flush()
        single_call = time.perf_counter() - start
        del single
        per_article = per_article_rate(data, tmp / "tx-store", limit=200_000)
        memory_load, columns["Oxigraph in memory (s)"] = in_memory(data, args.repeat)
        rdflib_load, columns["rdflib in memory (s)"] = with_rdflib(data, args.repeat, args.cap)
        gc.collect()  # rdflib's million triples go before Virtuoso starts

        loads = [
            f"- data: {quads:,} quads in one N-Quads file ({data.stat().st_size / 1e6:.0f} MB), "
            f"{size:,} distinct in the store; {jobs} cores",
            f"- `celebgraph load` (checked, then {jobs} threads): {rate(quads, load)} "
            f"(target ≥ {TARGET_LOAD:,}: {'met' if quads / load >= TARGET_LOAD else 'NOT met'})",
            f"- one Oxigraph `bulk_load` call: {rate(quads, single_call)}",
            f"- ingest's path, one transaction per article graph: {per_article:,.0f} triples/s",
            f"- Oxigraph in memory: {rate(quads, memory_load)}",
            f"- rdflib in-memory `Dataset.parse` (baseline): {rate(quads, rdflib_load)}; "
            f"`celebgraph load` is {rdflib_load / load:.0f}× faster",
        ]

        # Virtuoso last, alone on the machine.
        if args.virtuoso:
            server, virtuoso_load = start_virtuoso(data)
            try:
                loads.append(
                    f"- Virtuoso `ld_dir` + `rdf_loader_run`: {rate(quads, virtuoso_load)}"
                )
                for name, text in QUERIES.items():
                    found = len(list(celebgraph.query(server.url, text).raw))
                    assert found == rows[name], (name, found, rows[name])
                columns["Virtuoso over HTTP (s)"] = query_times(
                    lambda t: list(celebgraph.query(server.url, t).raw), args.repeat
                )
            finally:
                server.stop()

    order = ["embedded store (s)", "Oxigraph in memory (s)", "rdflib in memory (s)"]
    order += [c for c in ("Virtuoso over HTTP (s)",) if c in columns]
    order += ["`celebgraph query` (s)"]
    lines = [*loads, "", f"Queries: median of {args.repeat} runs, every row read.", ""]
    lines.append(
        "| query | rows | "
        + " | ".join(order)
        + f" | speed-up vs rdflib (target ≥ {TARGET_SPEEDUP}×) |"
    )
    lines.append("|---|---|" + "---|" * (len(order) + 1))
    for name in QUERIES:
        cells = [name, f"{rows[name]:,}"]
        for column in order:
            value = columns[column][name]
            cells.append(f"> {args.cap:.0f} (stopped)" if value is None else f"{value:.4f}")
        fast, slow = columns["embedded store (s)"][name], columns["rdflib in memory (s)"][name]
        if slow is None:
            ratio = args.cap / fast
            cells.append(f"> {ratio:,.0f}× ({'met' if ratio >= TARGET_SPEEDUP else 'unknown'})")
        else:
            ratio = slow / fast
            cells.append(f"{ratio:,.0f}× ({'met' if ratio >= TARGET_SPEEDUP else 'NOT met'})")
        lines.append("| " + " | ".join(cells) + " |")
    record("Store speed (bench/store_speed.py)", lines)


if __name__ == "__main__":
    main()
