"""Visualization: HTML generation time and size, and time to a settled layout in headless
Chromium, for graphs of 500, 2,000 and 10,000 people.

The graphs are synthetic (preferential attachment, like the corpus graph: a few very
connected people), with claims spread over the relation families. The page is drawn with
``--max-nodes`` equal to the graph's size, so nothing is dropped. Above
``viz.LAYOUT_IN_PYTHON_ABOVE`` people the layout is computed while generating the page
(the "layout" column), else by vis-network in the browser.

    python bench/viz_speed.py [--sizes 500 2000 10000] [--timeout 600]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
from _common import record

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import Browser, find_chromium
from celebgraph import viz
from celebgraph.graph import family
from celebgraph.ontology import RELATIONS


def synthetic(people: int, seed: int = 7) -> nx.MultiDiGraph:
    """A person graph shaped like ``celebgraph.graph.to_networkx`` output."""
    rng = random.Random(seed)
    skeleton = nx.barabasi_albert_graph(people, 2, seed=seed)
    graph = nx.MultiDiGraph()
    for node in skeleton:
        graph.add_node(f"p{node}", label=f"Person {node}", aliases=[])
    relations = sorted(RELATIONS)
    for a, b in skeleton.edges():
        relation = rng.choice(relations)
        graph.add_edge(
            f"p{a}", f"p{b}", relation=relation, family=family(relation),
            status=rng.choice(["asserted", "asserted", "asserted", "reported"]),
            confidence=round(rng.uniform(0.4, 0.95), 3),
            evidence=f"Person {a} and Person {b} appear in sentence {a}-{b}.",
            article=f"a{a}", headline=f"Headline {a}", support=1,
        )  # fmt: skip
    return graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    binary = find_chromium()
    lines = [
        "| people | claims | layout | HTML generation (s) | page size (MB) "
        "| settled in Chromium (s) |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            graph = synthetic(size)
            start = time.perf_counter()
            page = viz.to_html(graph)
            generation = time.perf_counter() - start
            path = Path(tmp) / f"graph-{size}.html"
            path.write_text(page, encoding="utf-8")
            settled = "no browser"
            if binary:
                browser = Browser(binary, Path(tmp) / f"profile-{size}")
                try:
                    start = time.perf_counter()
                    browser.open(path, timeout=args.timeout)
                    settled = f"{time.perf_counter() - start:.1f}"
                except (AssertionError, TimeoutError):
                    settled = f"> {args.timeout:.0f} (not settled)"
                finally:
                    browser.close()
            where = "Python" if size > viz.LAYOUT_IN_PYTHON_ABOVE else "browser"
            lines.append(
                f"| {size:,} | {graph.number_of_edges():,} | {where} | {generation:.2f} | "
                f"{len(page.encode()) / 1e6:.2f} | {settled} |"
            )
    record("Visualization speed (bench/viz_speed.py)", lines)


if __name__ == "__main__":
    main()
