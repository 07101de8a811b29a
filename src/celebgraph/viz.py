"""A self-contained interactive HTML page of the graph (pyvis data, vis-network inlined).

The page loads nothing from the network: vis-network's JavaScript comes from the pyvis
package and is inlined with the page's own CSS. Every text from articles (names,
sentences, headlines) is HTML-escaped in tooltips, and the data embedded in ``<script>``
is JSON with ``<``, ``>`` and ``&`` escaped, so a name cannot break out of the page.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("a", label="<script>alert(1)</script>"); G.add_node("b", label="B")
>>> _ = G.add_edge("a", "b", relation="friendOf", status="asserted", confidence=0.9,
...                evidence="A & B", article="x", headline="H", support=1)
>>> page = to_html(G)
>>> "<script>alert" in page, "no request" in page
(False, True)
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import BinaryIO

import networkx as nx
from pyvis.network import Network

from celebgraph.graph import FAMILIES, STATUSES, communities, ego, find_person, to_networkx
from celebgraph.layout import SEED, layout
from celebgraph.ontology import RELATIONS
from celebgraph.outputs import check_path, output_stream

#: Edge colours by relation family (colour-blind-safe Okabe–Ito palette).
FAMILY_COLORS = {
    "family": "#009E73",
    "romantic": "#CC79A7",
    "social": "#56B4E9",
    "professional": "#0072B2",
    "conflict": "#D55E00",
    "incident": "#E69F00",
    "other": "#777777",
}
DENIED_COLOR = "#9E9E9E"
#: Node colours by community, largest community first; the rest are grey.
COMMUNITY_COLORS = (
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948",
    "#B07AA1", "#FF9DA7", "#9C755F", "#86BCB6", "#8CD17D", "#D4A6C8",
)  # fmt: skip
OTHER_COMMUNITY = "#BAB0AC"
MAX_CLAIMS_IN_TOOLTIP = 5

#: Above this many people the positions are computed here (``layout``) and the browser
#: runs no physics: vis-network's solver needs a minute for 10,000 people and still
#: leaves a tangle. Smaller graphs keep vis-network's own, finer layout.
LAYOUT_IN_PYTHON_ABOVE = 1000


def _strike(text: str) -> str:
    """Struck-out text for the canvas (combining long stroke overlay on each character)."""
    return "".join(ch + "\u0336" for ch in text)


def keep_most_connected(
    graph: nx.MultiDiGraph, max_nodes: int, keep: Iterable[str] = ()
) -> list[str]:
    """The ``max_nodes`` people with the most distinct neighbours (ties by label), plus
    the people in ``keep``.

    >>> keep_most_connected(nx.MultiDiGraph([("a", "b"), ("a", "c"), ("d", "e")]), 1)
    ['a']
    """
    degree = {n: len(set(graph.predecessors(n)) | set(graph.successors(n))) for n in graph}
    label = nx.get_node_attributes(graph, "label")
    ranked = sorted(graph, key=lambda n: (-degree[n], label.get(n, n), n))
    chosen = list(dict.fromkeys([*keep, *ranked]))
    return chosen[: max(max_nodes, len(set(keep)))]


def _tooltip(claims: list[dict]) -> str:
    """HTML for an edge's tooltip; every value escaped."""
    e = html.escape
    parts = []
    for claim in claims[:MAX_CLAIMS_IN_TOOLTIP]:
        head = (
            f"<b>{e(claim['relation'])}</b> · {e(claim['status'])} · "
            f"confidence {claim['confidence']:.2f}"
        )
        if claim["status"] == "denied":
            head = f"<s>{head}</s>"
        parts.append(
            f"<div class='cg-claim'>{head}<br><q>{e(claim.get('evidence') or '')}</q><br>"
            f"<i>{e(claim.get('headline') or '')}</i> ({e(claim.get('article') or '')})</div>"
        )
    if len(claims) > MAX_CLAIMS_IN_TOOLTIP:
        parts.append(f"<div>… and {len(claims) - MAX_CLAIMS_IN_TOOLTIP} more articles</div>")
    return "".join(parts)


def to_pyvis(graph: nx.MultiDiGraph, seed: int = SEED) -> Network:
    """A pyvis Network: nodes sized by degree and coloured by community, one edge per
    (pair, relation, status) coloured by family; reported dashed, denied grey and struck.
    Above ``LAYOUT_IN_PYTHON_ABOVE`` people the nodes carry their positions (``layout``)
    and the browser's physics is off.

    >>> net = to_pyvis(nx.MultiDiGraph())
    >>> net.nodes, net.edges
    ([], [])
    """
    net = Network(directed=True, cdn_resources="in_line", height="100%", width="100%")
    colour = {}
    groups = communities(graph, seed=seed) if len(graph) else []
    for index, members in enumerate(groups):
        for node in members:
            colour[node] = COMMUNITY_COLORS[index] if index < len(COMMUNITY_COLORS) else None
    big = len(graph) > LAYOUT_IN_PYTHON_ABOVE
    position = layout(graph, groups, seed=seed) if big else {}
    nodes = []
    for node, data in sorted(graph.nodes(data=True)):
        degree = len(set(graph.predecessors(node)) | set(graph.successors(node)))
        aliases = ", ".join(data.get("aliases", ()))
        title = f"<b>{html.escape(data.get('label', node))}</b><br>{degree} people linked"
        if aliases:
            title += f"<br>also: {html.escape(aliases)}"
        nodes.append({"id": node, "label": data.get("label", node) or node, "shape": "dot",
                      "title": title, "value": degree,
                      "color": colour.get(node) or OTHER_COMMUNITY})  # fmt: skip
        if big:
            nodes[-1]["x"], nodes[-1]["y"] = position[node]
    edges = []
    grouped: dict[tuple, list[dict]] = {}
    for a, b, data in graph.edges(data=True):
        symmetric = RELATIONS[data["relation"]].symmetric
        pair = tuple(sorted((a, b))) if symmetric else (a, b)
        grouped.setdefault((*pair, data["relation"], data["status"]), []).append(data)
    parallel: dict[frozenset, int] = {}
    for (a, b, relation, status), claims in sorted(grouped.items()):
        nth = parallel[frozenset((a, b))] = parallel.get(frozenset((a, b)), -1) + 1
        claims.sort(key=lambda c: (-c["confidence"], c.get("article", "")))
        fam = claims[0].get("family", "other")
        edge = {
            "title": _tooltip(claims),
            "color": DENIED_COLOR if status == "denied" else FAMILY_COLORS.get(fam, "#777"),
            "dashes": [8, 6] if status == "reported" else status == "denied",
            "value": len({c.get("article") for c in claims}),
            "relation": relation,
            "family": fam,
            "status": status,
            "arrows": {"to": {"enabled": not RELATIONS[relation].symmetric}},
        }
        if nth:  # parallel edges between the same two people: curve them apart
            edge["smooth"] = {"type": "curvedCW", "roundness": 0.2 * nth}
        if status == "denied":
            edge["label"] = _strike(relation)
        edges.append({"from": a, "to": b, **edge})
    # Network.add_node and add_edge look every node up in a list: quadratic, seconds for
    # 10,000 people. The same dictionaries, filled in directly:
    net.nodes, net.edges = nodes, edges
    net.node_ids, net.node_map = [n["id"] for n in nodes], {n["id"]: n for n in nodes}
    net.options = {
        "layout": {"randomSeed": seed, "improvedLayout": len(graph) <= 150},
        "nodes": {"shape": "dot", "scaling": {"min": 8, "max": 40}, "font": {"size": 14}},
        "edges": {"scaling": {"min": 1, "max": 6}, "smooth": {"type": "continuous"},
                  "font": {"size": 11, "color": "#555", "strokeWidth": 0}},
        "physics": {"solver": "forceAtlas2Based", "maxVelocity": 50, "minVelocity": 0.75,
                    "stabilization": {"iterations": 600 if len(graph) <= 150 else 250}},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": len(graph) > 200},
    }  # fmt: skip
    if big:  # the positions are final: nothing to simulate. A frame of 10,000 people
        net.options["physics"]["enabled"] = False  # takes a second: zoom without edges
        net.options["interaction"]["hideEdgesOnZoom"] = True
    return net


def _script_json(value: object) -> str:
    """JSON that is safe inside <script>: no ``</script>``, ``<!--`` or line separators."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(raw, escaped)
    return text


def _vis_js() -> str:
    js = files("pyvis").joinpath("lib/vis-9.1.2/vis-network.min.js").read_text(encoding="utf-8")
    js = js.replace("//# sourceMappingURL=vis-network.min.js.map", "")  # no request, even then
    return js.replace("</script", "<\\/script")


def to_html(
    graph: nx.MultiDiGraph, title: str = "celebgraph", note: str = "",
    dropped: Iterable[str] = (), seed: int = SEED,
) -> str:  # fmt: skip
    """The whole page as one string: data, legend, search box, relation and status filters."""
    net = to_pyvis(graph, seed=seed)
    nodes, edges, _, _, _, options = net.get_network_data()
    families = sorted({e["family"] for e in edges}, key=lambda f: (*FAMILIES, "other").index(f))
    legend = [
        {"family": f, "color": FAMILY_COLORS[f],
         "relations": sorted({e["relation"] for e in edges if e["family"] == f})}
        for f in families
    ]  # fmt: skip
    data = {
        "nodes": nodes, "edges": edges, "options": json.loads(options), "legend": legend,
        "statuses": [s for s in STATUSES if any(e["status"] == s for e in edges)],
        "note": note, "dropped": list(dropped),
    }  # fmt: skip
    page = _TEMPLATE.replace("__TITLE__", html.escape(title))
    page = page.replace("__VIS_JS__", _vis_js())
    return page.replace("__DATA__", _script_json(data))


def visualize(
    store,
    output: str | Path | BinaryIO,
    center: str | None = None,
    depth: int = 2,
    relation: Iterable[str] | None = None,
    status: Iterable[str] | None = None,
    min_confidence: float = 0.0,
    max_nodes: int = 500,
) -> dict:
    """Write the page for a store to a file (whole or not at all, only over a regular file:
    see :mod:`celebgraph.outputs`) or a binary stream; returns what it shows and what it
    left out."""
    if isinstance(output, str | Path):
        check_path(output)  # refused before any work is done
    graph = to_networkx(store, relation=relation, status=status, min_confidence=min_confidence)
    title = "celebgraph"
    keep: list[str] = []
    if center:
        node = find_person(graph, center)
        graph, keep = ego(graph, node, depth), [node]
        title = f"celebgraph: {graph.nodes[node]['label']} ({depth} links)"
    total_nodes, total_edges = len(graph), graph.number_of_edges()
    kept = keep_most_connected(graph, max_nodes, keep)
    dropped = sorted(set(graph) - set(kept), key=lambda n: graph.nodes[n].get("label", n))
    shown = graph.subgraph(kept).copy()
    note = ""
    if dropped:
        note = (
            f"Showing the {len(shown)} most connected of {total_nodes} people "
            f"(--max-nodes {max_nodes}): {len(dropped)} people and "
            f"{total_edges - shown.number_of_edges()} claims left out."
        )
    page = to_html(shown, title, note, [graph.nodes[n].get("label", n) for n in dropped])
    data = page.encode("utf-8")
    with output_stream(output) as handle:
        handle.write(data)
    return {
        "nodes": len(shown), "claims": shown.number_of_edges(), "dropped_nodes": len(dropped),
        "dropped_claims": total_edges - shown.number_of_edges(), "bytes": len(data),
    }  # fmt: skip


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
html,body{margin:0;height:100%;font:14px system-ui,sans-serif;color:#222}
#cg-bar{position:absolute;top:0;left:0;right:0;padding:6px 10px;background:#fafafa;
 border-bottom:1px solid #ddd;z-index:6;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
#cg-net{position:absolute;top:44px;bottom:0;left:0;right:260px}
#cg-side{position:absolute;top:44px;bottom:0;right:0;width:250px;overflow:auto;padding:4px;
 border-left:1px solid #ddd;font-size:13px}
#cg-side h3{margin:8px 0 2px;font-size:13px}
.cg-sw{display:inline-block;width:22px;height:4px;vertical-align:middle;margin-right:4px}
#cg-note{color:#8a4b00}
div.vis-tooltip{position:absolute;visibility:hidden;padding:6px;white-space:normal;
 max-width:420px;background:#fffdf3;border:1px solid #999;border-radius:3px;z-index:5;
 font:13px system-ui,sans-serif;box-shadow:2px 2px 8px rgba(0,0,0,.2);pointer-events:none}
.cg-claim{margin-bottom:6px}
</style></head><body>
<div id="cg-bar"><b>__TITLE__</b>
<input id="cg-search" list="cg-people" placeholder="Find a person…" size="24">
<datalist id="cg-people"></datalist><span id="cg-found"></span>
<span id="cg-note"></span></div>
<div id="cg-net"></div>
<div id="cg-side"><h3>Relations</h3><div id="cg-legend"></div>
<h3>Status</h3><div id="cg-status-filter"></div>
<div>solid: asserted<br>dashed: reported<br>grey, s̶t̶r̶u̶c̶k̶: denied</div>
<h3>Nodes</h3><div>size: people linked; colour: community</div>
<details id="cg-dropped"><summary>Left out</summary><ul></ul></details>
<p>Self-contained page: no request leaves it.</p></div>
<div id="cg-status" hidden></div>
<script>__VIS_JS__</script>
<script>
(function () {
  "use strict";
  var data = window.cgData = __DATA__;
  var t0 = performance.now();
  function tip(markup) {  // escaped in Python: markup only, no text from articles
    var div = document.createElement("div"); div.innerHTML = markup; return div;
  }
  data.nodes.forEach(function (n) { n.title = tip(n.title); });
  data.edges.forEach(function (e, i) { e.id = "e" + i; e.title = tip(e.title); });
  var nodes = new vis.DataSet(data.nodes), edges = new vis.DataSet(data.edges);
  var network = new vis.Network(document.getElementById("cg-net"),
                                {nodes: nodes, edges: edges}, data.options);
  var shownRelations = {}, shownStatuses = {};
  function el(tag, text) { var x = document.createElement(tag); x.textContent = text || "";
                           return x; }
  function checkbox(parent, label, table, key, colour) {
    var row = el("label"), box = el("input");
    box.type = "checkbox"; box.checked = true; table[key] = true;
    box.addEventListener("change", function () { table[key] = box.checked; refilter(); });
    row.appendChild(box);
    if (colour) { var sw = el("span"); sw.className = "cg-sw"; sw.style.background = colour;
                  row.appendChild(sw); }
    row.appendChild(document.createTextNode(label)); parent.appendChild(row);
    parent.appendChild(el("br"));
  }
  var legend = document.getElementById("cg-legend");
  data.legend.forEach(function (family) {
    legend.appendChild(el("div", family.family));
    family.relations.forEach(function (r) {
      checkbox(legend, r, shownRelations, r, family.color); });
  });
  var statusBox = document.getElementById("cg-status-filter");
  data.statuses.forEach(function (s) { checkbox(statusBox, s, shownStatuses, s); });
  function refilter() {
    edges.update(edges.get().map(function (e) {
      return {id: e.id, hidden: !(shownRelations[e.relation] && shownStatuses[e.status])};
    }));
    report();
  }
  function fold(s) { return s.normalize("NFD").replace(/[\\u0300-\\u036f]/g, "")
                             .toLowerCase().trim(); }
  var people = document.getElementById("cg-people");
  data.nodes.slice().sort(function (a, b) { return a.label < b.label ? -1 : 1; })
    .forEach(function (n) { var o = el("option"); o.value = n.label; people.appendChild(o); });
  var search = document.getElementById("cg-search"), found = document.getElementById("cg-found");
  search.addEventListener("change", function () {
    var q = fold(search.value), hit = data.nodes.filter(function (n) {
      return fold(n.label) === q; })[0] || data.nodes.filter(function (n) {
      return q && fold(n.label).indexOf(q) >= 0; })[0];
    found.textContent = hit ? "" : "no one named so on this page";
    if (hit) { network.selectNodes([hit.id]);
               network.focus(hit.id, {scale: 1.2, animation: false}); }
  });
  document.getElementById("cg-note").textContent = data.note;
  var dropped = document.getElementById("cg-dropped");
  if (!data.dropped.length) { dropped.hidden = true; }
  data.dropped.forEach(function (name) { dropped.lastChild.appendChild(el("li", name)); });
  var status = {nodes: 0, edges: 0, stabilized: false, ms: null};
  window.cgStatus = status;
  window.cgGraph = {network: network, nodes: nodes, edges: edges};
  function report() {
    status.nodes = network.body.nodeIndices.length;
    status.edges = network.body.edgeIndices.filter(function (id) {
      var e = network.body.edges[id]; return e.connected && !e.options.hidden; }).length;
    var box = document.getElementById("cg-status");
    box.dataset.nodes = status.nodes; box.dataset.edges = status.edges;
    box.dataset.stabilized = status.stabilized; box.dataset.ms = status.ms;
  }
  function settled() {
    if (status.stabilized) { return; }
    network.setOptions({physics: false});  // the layout is done: stop moving
    status.stabilized = true; status.ms = Math.round(performance.now() - t0);
    network.once("afterDrawing", report); network.redraw();
  }
  var progress = document.getElementById("cg-found");
  network.on("stabilizationProgress", function (p) {
    progress.textContent = "laying out… " + Math.round(100 * p.iterations / p.total) + "%"; });
  network.once("stabilizationIterationsDone", function () { progress.textContent = ""; });
  network.once("stabilizationIterationsDone", settled);
  network.once("stabilized", settled);
  // positions computed in Python, or nobody to place: nothing to wait for
  if (!data.nodes.length || data.options.physics.enabled === false) { settled(); }
})();
</script></body></html>
"""
