"""Store: bulk load rate and the README queries on a graph of over a million triples.

The graph is the corpus' own extraction replicated under new article and claim ids (and
new person ids for a share of them, so that the people graph grows too). The same
N-Quads are loaded into the embedded Oxigraph store and into rdflib's in-memory
``Dataset``; each README query runs on both, in this one process.

    python bench/store_speed.py [CORPUS] [--triples 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
from _common import DEFAULT_CORPUS, record

import celebgraph
from celebgraph.ontology import PREFIXES
from celebgraph.store import Store

ROOT = Path(__file__).resolve().parents[1]


def replicate(source: Path, target: Path, wanted: int) -> int:
    """Write N-Quads with ``wanted`` or more quads: copies of ``source`` under new ids."""
    lines = source.read_text(encoding="utf-8").splitlines()
    copies = max(1, -(-wanted // len(lines)))
    written = 0
    with target.open("w", encoding="utf-8") as out:
        for copy in range(copies):
            suffix = f"-r{copy}"
            for line in lines:
                # New article graphs and claims; persons shared every tenth copy only.
                line = line.replace("/resource/article/", "/resource/article/" + suffix[1:] + "-")
                line = line.replace("/resource/claim/", "/resource/claim/" + suffix[1:] + "-")
                if copy % 10:
                    line = line.replace("/resource/person/", f"/resource/person/{copy}-")
                out.write(line + "\n")
                written += 1
    return written


def time_query(run, query: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(query)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cap", type=float, default=300, help="seconds before rdflib is stopped")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = tmp / "base"
        celebgraph.ingest([args.corpus], store=base, jobs=0)
        seed = tmp / "seed.nq"
        with seed.open("wb") as handle:
            celebgraph.export(base, handle, "nquads")
        data = tmp / "big.nq"
        quads = replicate(seed, data, args.triples)

        # Oxigraph bulk load, and the per-article transactional path ingest uses.
        store_path = tmp / "big-store"
        start = time.perf_counter()
        store = ox.Store(str(store_path))
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
        store.flush()
        bulk = time.perf_counter() - start
        del store
        per_article = _per_article_rate(data, tmp / "tx-store", limit=200_000)

        with Store(store_path) as db:
            size = len(db)

            def run_ox(query: str) -> None:
                result = db.query(query)
                if result.kind == "select":
                    list(result.raw)

            import rdflib

            start = time.perf_counter()
            dataset = rdflib.Dataset(default_union=True)
            dataset.parse(str(data), format="nquads")
            rdflib_load = time.perf_counter() - start
            prefixes = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())

            def run_rdflib(query: str) -> float | None:
                return _capped(lambda: list(dataset.query(prefixes + query)), args.cap)

            lines = [
                f"- data: {quads:,} quads written, {size:,} in the store "
                f"(corpus extraction replicated)",
                f"- Oxigraph bulk load: {bulk:.1f} s = {quads / bulk:,.0f} triples/s "
                f"(target ≥ 100,000: {'met' if quads / bulk >= 100_000 else 'NOT met'})",
                f"- transactional per-article writes (the `ingest` path): "
                f"{per_article:,.0f} triples/s",
                f"- rdflib in-memory load of the same file: {rdflib_load:.1f} s",
                "",
                "| query | Oxigraph (s) | rdflib in-memory (s) | speed-up (target ≥ 50×) |",
                "|---|---|---|---|",
            ]
            for path in sorted((ROOT / "queries").glob("*.rq")):
                query = path.read_text(encoding="utf-8")
                fast = time_query(run_ox, query, args.repeat)
                slow = run_rdflib(query)
                if slow is None:  # rdflib did not finish within the cap
                    ratio = args.cap / fast
                    lines.append(
                        f"| {path.stem} | {fast:.3f} | > {args.cap:.0f} (stopped) | "
                        f"> {ratio:,.0f}× ({'met' if ratio >= 50 else 'unknown'}) |"
                    )
                    continue
                ratio = slow / fast if fast else float("inf")
                lines.append(
                    f"| {path.stem} | {fast:.3f} | {slow:.2f} | {ratio:,.0f}× "
                    f"({'met' if ratio >= 50 else 'NOT met'}) |"
                )
    record("Store speed (bench/store_speed.py)", lines)


def _capped(work, cap: float) -> float | None:
    """Seconds ``work()`` takes in a forked child (which shares the loaded data), or None
    when it is still running after ``cap`` seconds (the child is then killed)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        start = time.perf_counter()
        work()
        send.send(time.perf_counter() - start)

    process = context.Process(target=child)
    process.start()
    ready = receive.poll(cap)
    result = receive.recv() if ready else None
    process.kill()
    process.join()
    return result


def _per_article_rate(data: Path, path: Path, limit: int) -> float:
    """Triples/s through ``Store.replace_graph`` (one transaction per article graph)."""
    from rdflib import URIRef

    graphs: dict[str, list] = {}
    count = 0
    for quad in ox.parse(path=str(data), format=ox.RdfFormat.N_QUADS):
        if count >= limit:
            break
        if not isinstance(quad.graph_name, ox.NamedNode):
            continue
        graphs.setdefault(quad.graph_name.value, []).append(quad)
        count += 1
    from celebgraph.store import Store as CgStore

    def term(t):
        from rdflib import BNode, Literal

        if isinstance(t, ox.NamedNode):
            return URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return BNode(t.value)
        return Literal(t.value, datatype=URIRef(t.datatype.value) if t.datatype else None)

    prepared = {
        g: [(term(q.subject), term(q.predicate), term(q.object)) for q in quads]
        for g, quads in graphs.items()
    }
    with CgStore(path) as db:
        start = time.perf_counter()
        for graph, triples in prepared.items():
            db.replace_graph(URIRef(graph), triples)
        elapsed = time.perf_counter() - start
    return count / elapsed


if __name__ == "__main__":
    main()
