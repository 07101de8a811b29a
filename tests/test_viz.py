"""The HTML page: self-contained, escaped, filtered, and drawn by a real headless Chromium.

The browser tests drive Debian's ``chromium`` over the DevTools protocol on a pipe (no
extra package, nothing downloaded), with name resolution blocked and the network emulated
offline; they skip only when no Chromium is installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import statistics
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from browser import Browser, find_chromium
from celebgraph import Store, viz
from celebgraph.api import write_extraction
from celebgraph.cli import app
from celebgraph.graph import family, to_networkx
from celebgraph.layout import layout
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import RELATIONS, Status

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
EVIL_NAME = '<img src=x onerror="window.pwned=1">Eve'
EVIL_SENTENCE = "Eve said </script><script>window.pwned=2</script> & left."
EVIL_HEADLINE = "<b onmouseover=window.pwned=3>Scandal</b>"


def hand_store(path: Path) -> Path:
    """Seven people, seven (pair, relation, status) edges, one denied; hostile texts."""
    people = {
        "eve": Entity("eve", EVIL_NAME), "ann": Entity("ann", "Ann Lee", ("Lee",)),
        "bo": Entity("bo", "Bo Ray"), "cy": Entity("cy", "Cy Nash"),
        "di": Entity("di", "Di Ott"), "ed": Entity("ed", "Ed Pike"),
        "flo": Entity("flo", "Flo Jay"),
    }  # fmt: skip
    a, r, d = Status.ASSERTED, Status.REPORTED, Status.DENIED
    articles = {
        "x1": [("eve", "spouseOf", "ann", a, EVIL_SENTENCE), ("ann", "friendOf", "bo", a, "S1.")],
        "x2": [("ann", "spouseOf", "eve", a, "S2."), ("bo", "partnerOf", "cy", r, "S3.")],
        "x3": [("cy", "sued", "di", d, "S4."), ("di", "interrupted", "ed", a, "S5.")],
        "x4": [("ed", "collaboratedWith", "flo", a, "S6."), ("flo", "praised", "ann", a, "S7.")],
    }
    with Store(path) as db:
        for article_id, claims in articles.items():
            keys = sorted({k for c in claims for k in (c[0], c[2])})
            write_extraction(db, Extraction(
                Article(article_id, EVIL_HEADLINE if article_id == "x1" else "News", "Body."),
                {k: people[k] for k in keys},
                [Claim(s, rel, o, st, 0.8, ev, "hand.v1") for s, rel, o, st, ev in claims],
            ))  # fmt: skip
    return path


def large_graph(seed: int = 3) -> nx.MultiDiGraph:
    """Too many people for the browser's layout; a few very connected, as in the news."""
    rng, relations = random.Random(seed), sorted(RELATIONS)
    skeleton = nx.barabasi_albert_graph(viz.LAYOUT_IN_PYTHON_ABOVE + 200, 2, seed=seed)
    graph = nx.MultiDiGraph()
    graph.add_nodes_from((f"p{n}", {"label": f"Person {n}"}) for n in skeleton)
    for a, b in skeleton.edges():
        relation = rng.choice(relations)
        status = rng.choice(["asserted", "reported", "denied"])
        graph.add_edge(f"p{a}", f"p{b}", relation=relation, family=family(relation),
                       status=status, confidence=0.7, evidence=f"{a} & {b}.",
                       article=f"a{a}", headline="H", support=1)  # fmt: skip
    return graph


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hand_store(tmp_path_factory.mktemp("viz") / "store")


@pytest.fixture(scope="module")
def page(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "graph.html"
    viz.visualize(store, path, status=["asserted", "reported", "denied"])
    return path


def page_data(html: str) -> dict:
    return json.loads(re.search(r"window.cgData = (.*);\n", html).group(1))


def test_page_is_self_contained(page: Path):
    html = page.read_text(encoding="utf-8")
    loads = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html, re.IGNORECASE)
    assert [u for u in loads if re.match(r"(https?:)?//", u)] == []
    own = html.replace(viz._vis_js(), "")  # the page without vis-network's code
    assert not re.search(r"<link|<script[^>]+src|<iframe|<img|@import", own, re.I)
    styles = " ".join(re.findall(r"<style>(.*?)</style>", html, re.S))
    assert "url(" not in styles
    assert "vis.Network" in html and "default-src 'none'" in html  # inlined, and CSP
    assert len(html.encode()) < 700_000


def test_text_from_articles_cannot_break_out(page: Path):
    html = page.read_text(encoding="utf-8")
    own = html.replace(viz._vis_js(), "")  # the page without vis-network's code
    assert own.count("<script") == own.count("</script") == 2  # only the page's own
    assert "<img" not in html and "<b onmouseover" not in html
    assert "window.pwned" in html  # the text itself is there, escaped
    data = page_data(html)
    eve = next(n for n in data["nodes"] if n["id"] == "eve")
    assert eve["label"] == EVIL_NAME  # canvas text, never HTML
    assert "&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;Eve" in eve["title"]
    tips = " ".join(e["title"] for e in data["edges"])
    assert "&lt;/script&gt;&lt;script&gt;window.pwned=2&lt;/script&gt; &amp; left." in tips


def test_edges_styled_by_family_and_status(store: Path):
    net = viz.to_pyvis(to_networkx(store, status=["asserted", "reported", "denied"]))
    edges = {(e["from"], e["relation"], e["to"]): e for e in net.edges}
    assert len(edges) == 7  # spouseOf from two articles, in both orders, is one edge
    assert edges["ann", "spouseOf", "eve"]["value"] == 2
    assert edges["bo", "partnerOf", "cy"]["dashes"] == [8, 6]  # reported: dashed
    assert edges["ann", "friendOf", "bo"]["dashes"] is False
    assert edges["ann", "friendOf", "bo"]["color"] == viz.FAMILY_COLORS["social"]
    denied = edges["cy", "sued", "di"]
    assert denied["label"] == "s̶u̶e̶d̶" and denied["color"] == viz.DENIED_COLOR
    assert "<s>" in denied["title"]
    sizes = {n["id"]: n["value"] for n in net.nodes}
    assert sizes["ann"] == 3 and sizes["eve"] == 1
    assert len({n["color"] for n in net.nodes}) >= 2  # coloured by community


def test_denied_claims_hidden_by_default(store: Path, tmp_path: Path):
    shown = viz.visualize(store, tmp_path / "p.html")
    data = page_data((tmp_path / "p.html").read_text(encoding="utf-8"))
    assert shown["claims"] == 7 and len(data["edges"]) == 6
    assert data["statuses"] == ["asserted", "reported"]
    assert {e["relation"] for e in data["edges"]}.isdisjoint({"sued"})


def test_max_nodes_keeps_the_most_connected_and_says_so(store: Path, tmp_path: Path):
    shown = viz.visualize(store, tmp_path / "p.html", max_nodes=3)
    assert (shown["nodes"], shown["dropped_nodes"]) == (3, 4)
    data = page_data((tmp_path / "p.html").read_text(encoding="utf-8"))
    # degrees: Ann 3; Bo, Ed and Flo 2 (ties by name); the denied claim does not count
    assert {n["id"] for n in data["nodes"]} == {"ann", "bo", "ed"}
    assert data["note"].startswith("Showing the 3 most connected of 7 people")
    assert sorted(data["dropped"]) == sorted(["Cy Nash", "Di Ott", EVIL_NAME, "Flo Jay"])


def test_center_depth_and_determinism(store: Path, tmp_path: Path):
    viz.visualize(store, tmp_path / "a.html", center="ann lee", depth=1)
    viz.visualize(store, tmp_path / "b.html", center="Lee", depth=1)
    first = (tmp_path / "a.html").read_bytes()
    assert first == (tmp_path / "b.html").read_bytes()
    assert {n["id"] for n in page_data(first.decode())["nodes"]} == {"ann", "bo", "eve", "flo"}


def test_small_graphs_laid_out_by_the_browser(store: Path):
    net = viz.to_pyvis(to_networkx(store))
    assert not any("x" in n or "y" in n for n in net.nodes)
    assert "enabled" not in net.options["physics"]  # vis-network's physics, as always


def test_large_graphs_get_positions_and_no_physics():
    graph = large_graph()
    net = viz.to_pyvis(graph)
    assert len(net.nodes) == len(graph) > viz.LAYOUT_IN_PYTHON_ABOVE
    assert all(isinstance(n["x"], int) and isinstance(n["y"], int) for n in net.nodes)
    assert len({(n["x"], n["y"]) for n in net.nodes}) == len(graph)  # nobody on anybody
    assert net.options["physics"]["enabled"] is False
    assert viz.to_html(graph) == viz.to_html(graph)  # seeded: the same page every time
    moved = layout(graph, seed=viz.SEED + 1)
    assert moved != {n["id"]: (n["x"], n["y"]) for n in net.nodes}


def test_layout_keeps_linked_people_together():
    graph = nx.MultiDiGraph()
    for clique in ("a", "b"):
        graph.add_edges_from((f"{clique}{i}", f"{clique}{j}") for i in range(8) for j in range(i))
    graph.add_edges_from([("a0", "b0"), ("x", "y")])
    pos = layout(graph)

    def mean_distance(pairs):
        return sum(math.dist(pos[u], pos[v]) for u, v in pairs) / len(pairs)

    within = mean_distance(
        [(f"{c}{i}", f"{c}{j}") for c in "ab" for i in range(8) for j in range(i)]
    )
    across = mean_distance([(f"a{i}", f"b{j}") for i in range(8) for j in range(8)])
    assert within < across / 2
    assert min(math.dist(pos[u], pos[v]) for u in pos for v in pos if u < v) > 10
    # the median link about 100 px long or more: room for names on the canvas
    assert statistics.median(math.dist(pos[u], pos[v]) for u, v in graph.edges()) >= 99


def test_cli_viz(store: Path, tmp_path: Path):
    runner = CliRunner()
    out = runner.invoke(app, ["viz", "-o", str(tmp_path / "g.html"), "--store", str(store),
                              "--relation", "romantic", "--max-nodes", "2"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert out.stdout.strip().endswith("2 people, 2 claims; left out 2 people, 1 claims")
    out = runner.invoke(app, ["viz", "--center", "Nobody", "--store", str(store)])
    assert out.exit_code == 1 and out.stderr.startswith("error: no person named 'Nobody'")


# --- a real browser ------------------------------------------------------------------------


def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install chromium) or set "
                    "CELEBGRAPH_CHROMIUM")  # fmt: skip
    return binary


@pytest.fixture
def browser(tmp_path: Path):
    binary = chromium()
    session = Browser(binary, tmp_path / "profile")
    yield session
    session.close()


def test_browser_draws_the_page_offline(browser: Browser, page: Path, tmp_path: Path):
    status = browser.open(page)
    assert (status["nodes"], status["edges"]) == (7, 7)
    browser.wait(0.3)
    assert browser.js("window.pwned") is None
    assert browser.js("document.querySelectorAll('img, [onmouseover], [onerror]').length") == 0
    assert browser.js("document.scripts.length") == 2
    tips = browser.js("cgGraph.edges.get().map(e => e.title.textContent).join(' ')")
    assert "</script><script>window.pwned=2</script> & left." in tips  # shown as text
    assert "<b onmouseover=window.pwned=3>Scandal</b>" in tips
    # hover a node: the tooltip shows the name as text
    where = browser.js(
        "(() => { const net = cgGraph.network, p = net.canvasToDOM(net.getPositions(['eve']).eve);"
        " const box = document.getElementById('cg-net').getBoundingClientRect();"
        " return [p.x + box.left, p.y + box.top]; })()"
    )
    for kind in ("mouseMoved", "mouseMoved"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=where[0], y=where[1])
        browser.wait(0.4)
    assert browser.js("document.querySelector('div.vis-tooltip').textContent").startswith(EVIL_NAME)
    # filter by relation, then find a person
    browser.js("[...document.querySelectorAll('#cg-legend label')].find("
               "l => l.textContent === 'spouseOf').querySelector('input').click()")  # fmt: skip
    browser.wait(0.2)
    assert browser.js("cgStatus.edges") == 6
    browser.js("const s = document.getElementById('cg-search'); s.value = 'ED PIKE';"
               "s.dispatchEvent(new Event('change'))")  # fmt: skip
    assert browser.js("cgGraph.network.getSelectedNodes()") == ["ed"]
    assert browser.js("cgGraph.network.physics.options.enabled") is False  # layout settled
    shot = browser.screenshot(tmp_path / "graph.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert browser.problems(page) == []


def test_browser_seed_store(browser: Browser, seed_store: Path, tmp_path: Path):
    page = tmp_path / "seed.html"
    shown = viz.visualize(seed_store, page)
    status = browser.open(page)
    assert (status["nodes"], status["edges"]) == (shown["nodes"], len(page_data(
        page.read_text(encoding="utf-8"))["edges"]))  # fmt: skip
    assert status["nodes"] >= 5
    browser.screenshot(tmp_path / "seed.png")
    assert browser.problems(page) == []
    print(f"seed page: {shown['bytes']} bytes, stabilized after {status['ms']} ms")


def test_browser_large_graph_settles_at_once(browser: Browser, tmp_path: Path):
    graph = large_graph()
    page = tmp_path / "large.html"
    page.write_text(viz.to_html(graph), encoding="utf-8")
    status = browser.open(page)
    data = page_data(page.read_text(encoding="utf-8"))
    assert (status["nodes"], status["edges"]) == (len(graph), len(data["edges"]))
    assert status["ms"] < 20_000  # no layout to wait for: well under a second, unloaded
    assert browser.js("cgGraph.network.physics.options.enabled") is False
    drawn = browser.js("cgGraph.network.getPositions()")
    assert drawn == {n["id"]: {"x": n["x"], "y": n["y"]} for n in data["nodes"]}
    browser.js("const s = document.getElementById('cg-search'); s.value = 'person 7';"
               "s.dispatchEvent(new Event('change'))")  # fmt: skip
    assert browser.js("cgGraph.network.getSelectedNodes()") == ["p7"]
    assert browser.js("cgGraph.edges.get().every(e => e.title instanceof HTMLDivElement)")
    denied = sum(e["status"] == "denied" for e in data["edges"])
    assert denied and browser.js("cgGraph.edges.get().filter(e => e.status === 'denied')"
                                 ".every(e => e.title.querySelector('s'))")  # fmt: skip
    browser.js("[...document.querySelectorAll('#cg-status-filter label')].find("
               "l => l.textContent === 'denied').querySelector('input').click()")  # fmt: skip
    browser.wait(0.3)
    assert browser.js("cgStatus.edges") == len(data["edges"]) - denied
    browser.screenshot(tmp_path / "large.png")
    assert browser.problems(page) == []
    print(f"{len(graph)} people: {page.stat().st_size} bytes, settled after {status['ms']} ms")


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
@pytest.mark.skipif(
    "CELEBGRAPH_GRAPH_PNG" not in os.environ,
    reason="set CELEBGRAPH_GRAPH_PNG=docs/graph.png to draw the whole corpus",
)
def test_corpus_screenshot(browser: Browser, tmp_path: Path):
    """The whole corpus in a browser; the screenshot goes to $CELEBGRAPH_GRAPH_PNG."""
    import celebgraph

    store = Path(os.environ.get("CELEBGRAPH_CORPUS_STORE") or tmp_path / "store")
    if not (store / "CURRENT").exists():
        celebgraph.ingest([CORPUS], store=store)
    page = tmp_path / "corpus.html"
    shown = viz.visualize(store, page, status=["asserted"], max_nodes=150)
    status = browser.open(page, timeout=180)
    assert status["nodes"] == shown["nodes"] and browser.problems(page) == []
    target = Path(os.environ["CELEBGRAPH_GRAPH_PNG"])
    target.parent.mkdir(parents=True, exist_ok=True)
    browser.screenshot(target)
    print(f"corpus page: {shown}, stabilized after {status['ms']} ms -> {target}")
