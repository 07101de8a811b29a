"""The graph as networkx: persons as nodes, claims as edges; analysis and graph exports.

Nodes are person slugs (``"kanye-west"``) with ``label``, ``aliases`` and ``iri``. Edges
are claims (``key`` the claim id) or, with ``aggregate=True``, one edge per (pair,
relation) (``key`` the relation). Every edge has ``relation``, ``family``, ``status``,
``confidence``, ``support`` (the number of articles that make the claim) and its
evidence. Denied claims are edges only when ``status`` asks for them.

>>> import celebgraph, tempfile
>>> store = tempfile.mkdtemp()
>>> _ = celebgraph.ingest([celebgraph.example_path()], store=store, jobs=1)
>>> G = to_networkx(store, relation=["incident"], status=["asserted"])
>>> sorted(d["relation"] for d in G["kanye-west"]["taylor-swift"].values())
['apologizedTo', 'interrupted']
>>> [hop["relation"] for hop in connection(G, "taylor-swift", "kanye-west")]
['apologizedTo']
"""

from __future__ import annotations

import codecs
import csv
import difflib
import itertools
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

import networkx as nx

from celebgraph.api import select
from celebgraph.errors import CelebgraphError
from celebgraph.ontology import RELATIONS, Status
from celebgraph.outputs import (
    atomic_outputs,
    check_path,
    encodable,
    json_bytes,
    output_stream,
    xml_text,
)
from celebgraph.store import is_store, open_store

#: Relation families, most specific first: a relation's family is the first it belongs to.
FAMILIES = ("family", "romantic", "social", "professional", "conflict", "incident")
STATUSES = tuple(s.value for s in Status)
#: Status of a claim view that is not the fact layer alone: everything but denials.
DEFAULT_STATUS = ("asserted", "reported")
CENTRALITIES = ("degree", "pagerank", "betweenness")
EXPORT_FORMATS = ("graphml", "gexf", "csv", "json")
XML_FORMATS = ("graphml", "gexf")

CLAIMS_QUERY = """
SELECT ?claim ?doc ?subject ?subjectLabel ?relation ?object ?objectLabel ?status ?confidence
       ?evidence ?article ?headline WHERE {
  ?claim a cg:Claim ; rdf:subject ?subject ; rdf:predicate ?relation ; rdf:object ?object ;
         cg:status ?status ; prov:wasDerivedFrom ?doc .
  OPTIONAL { ?claim cg:confidence ?confidence }
  OPTIONAL { ?claim cg:evidence ?evidence }
  OPTIONAL { ?doc dcterms:identifier ?article }
  OPTIONAL { ?doc schema:headline ?headline }
  OPTIONAL { ?subject rdfs:label ?subjectLabel }
  OPTIONAL { ?object rdfs:label ?objectLabel }
}"""

ALIASES_QUERY = "SELECT ?person ?alias WHERE { ?person a cg:Person ; skos:altLabel ?alias }"


class GraphError(CelebgraphError):
    """A graph request that cannot be answered (bad filter, unknown format)."""


class PersonNotFoundError(GraphError):
    """No person of the graph has this name; the message suggests close names."""


class NoPathError(GraphError):
    """Two people are not connected in the graph."""


def family(relation: str) -> str:
    """The family of a relation, from the ontology's relation groups.

    >>> family("spouseOf"), family("assaulted"), family("interviewed")
    ('romantic', 'conflict', 'professional')
    """
    groups = RELATIONS[relation].groups
    return next((f for f in FAMILIES if f"{f}Relation" in groups), "other")


def _local(iri: str) -> str:
    return unquote(iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1])


def _relations(names: Iterable[str] | None) -> set[str] | None:
    """Relation and family names (``spouseOf``, ``romantic``, ``romanticRelation``)."""
    if not names:
        return None
    wanted: set[str] = set()
    for name in names:
        fam = name.removeprefix("cg:").removesuffix("Relation")
        if name.removeprefix("cg:") in RELATIONS:
            wanted.add(name.removeprefix("cg:"))
        elif fam in FAMILIES:
            wanted.update(r for r in RELATIONS if f"{fam}Relation" in RELATIONS[r].groups)
        else:
            known = ", ".join([*FAMILIES, *RELATIONS])
            raise GraphError(f"unknown relation {name!r}; use one of {known}")
    return wanted


def _statuses(names: Iterable[str] | None) -> set[str]:
    wanted = {s.lower() for s in (names or DEFAULT_STATUS)}
    if wanted - set(STATUSES):
        bad = ", ".join(sorted(wanted - set(STATUSES)))
        raise GraphError(f"unknown status {bad}; use asserted, reported or denied")
    return wanted


def claims(store) -> list[dict]:
    """Every claim of the store as a plain dict, in a stable order (article, claim)."""
    rows = []
    for row in select(store, CLAIMS_QUERY):
        value = {k: v.value for k, v in row.items()}
        rows.append(
            {
                "id": _local(value["claim"]),
                "subject": _local(value["subject"]),
                "subject_label": value.get("subjectLabel", _local(value["subject"])),
                "relation": _local(value["relation"]),
                "object": _local(value["object"]),
                "object_label": value.get("objectLabel", _local(value["object"])),
                "status": Status.from_iri(value["status"]).value,
                "confidence": float(value.get("confidence", 0.0)),
                "evidence": value.get("evidence", ""),
                "article": value.get("article", _local(value["doc"])),
                "headline": value.get("headline", ""),
            }
        )
    rows.sort(key=lambda r: (r["article"], r["id"]))
    return rows


def to_networkx(
    store,
    relation: Iterable[str] | None = None,
    status: Iterable[str] | None = None,
    min_confidence: float = 0.0,
    min_support: int = 1,
    aggregate: bool = False,
) -> nx.MultiDiGraph:
    """The persons and claims of a store (path or :class:`Store`) as a MultiDiGraph.

    ``relation``: relation or family names; ``status``: default asserted and reported
    (``["asserted"]`` is the fact layer); ``min_support``: articles that make the claim.
    """
    relations, statuses = _relations(relation), _statuses(status)
    if not is_store(store):
        # Opened once, read-only, for both queries below: they read the same state.
        with open_store(store, read_only=True) as db:
            return to_networkx(db, relation, status, min_confidence, min_support, aggregate)
    rows = [
        r
        for r in claims(store)
        if r["relation"] in RELATIONS
        and (relations is None or r["relation"] in relations)
        and r["status"] in statuses
        and r["confidence"] >= min_confidence
    ]
    support: dict[tuple, set[str]] = {}
    for r in rows:
        support.setdefault(_pair_key(r), set()).add(r["article"])
    rows = [r for r in rows if len(support[_pair_key(r)]) >= min_support]
    aliases: dict[str, set[str]] = {}
    if rows:
        for row in select(store, ALIASES_QUERY):
            aliases.setdefault(_local(row["person"].value), set()).add(row["alias"].value)
    graph = nx.MultiDiGraph()
    for r in rows:
        for node, label in ((r["subject"], r["subject_label"]), (r["object"], r["object_label"])):
            if node not in graph:
                graph.add_node(
                    node,
                    label=label,
                    aliases=sorted(aliases.get(node, ())),
                    iri=f"https://w3id.org/celebgraph/resource/person/{node}",
                )
        edge = {
            k: r[k] for k in ("relation", "status", "confidence", "evidence", "article", "headline")
        }
        edge.update(family=family(r["relation"]), support=len(support[_pair_key(r)]))
        if not aggregate:
            graph.add_edge(r["subject"], r["object"], key=r["id"], **edge)
            continue
        subject, obj = _pair_key(r)[:2]
        if graph.has_edge(subject, obj, r["relation"]):
            data = graph.edges[subject, obj, r["relation"]]
            data["status"] = min(data["status"], r["status"], key=STATUSES.index)
            data["confidence"] = max(data["confidence"], r["confidence"])
            for many, one in (
                ("evidences", "evidence"),
                ("articles", "article"),
                ("headlines", "headline"),
            ):
                data[many].append(r[one])
        else:
            edge.update(
                evidences=[edge.pop("evidence")],
                articles=[edge.pop("article")],
                headlines=[edge.pop("headline")],
            )
            graph.add_edge(subject, obj, key=r["relation"], **edge)
    return graph


def _pair_key(row: dict) -> tuple[str, str, str]:
    """(subject, object, relation), the pair sorted when the relation is symmetric."""
    a, b = row["subject"], row["object"]
    if RELATIONS[row["relation"]].symmetric and b < a:
        a, b = b, a
    return a, b, row["relation"]


def undirected(graph: nx.MultiDiGraph) -> nx.Graph:
    """A simple undirected graph: one edge per linked pair, ``weight`` its claims.

    >>> G = nx.MultiDiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    >>> sorted(undirected(G).edges(data="weight"))
    [('a', 'b', 2), ('b', 'c', 1)]
    """
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes(data=True))
    for a, b in graph.edges():
        if simple.has_edge(a, b):
            simple[a][b]["weight"] += 1
        else:
            simple.add_edge(a, b, weight=1)
    return simple


def centrality(graph: nx.MultiDiGraph, by: str = "degree") -> dict[str, float]:
    """Degree (distinct people linked), PageRank or betweenness, on the undirected graph.

    >>> centrality(nx.MultiDiGraph([("a", "b"), ("a", "c")]))
    {'a': 2.0, 'b': 1.0, 'c': 1.0}
    """
    simple = undirected(graph)
    if by == "degree":
        return {n: float(d) for n, d in simple.degree()}
    if by == "pagerank":  # power iteration on the Google matrix (numpy only, no scipy)
        nodes = list(simple)
        matrix = nx.google_matrix(simple, nodelist=nodes, weight=None) if nodes else None
        rank = [1.0 / len(nodes)] * len(nodes)
        for _ in range(200 if nodes else 0):
            rank = (rank @ matrix).tolist()
        return dict(zip(nodes, rank, strict=True))
    if by == "betweenness":
        return nx.betweenness_centrality(simple)
    raise GraphError(f"unknown measure {by!r}; use {', '.join(CENTRALITIES)}")


def top(graph: nx.MultiDiGraph, by: str = "degree", n: int = 10) -> list[tuple[str, float]]:
    """The ``n`` people with the highest centrality, ties broken by label.

    >>> top(nx.MultiDiGraph([("a", "b"), ("a", "c")]), n=1)
    [('a', 2.0)]
    """
    scores = centrality(graph, by)
    label = nx.get_node_attributes(graph, "label")
    ranked = sorted(scores, key=lambda v: (-scores[v], label.get(v, v), v))
    return [(v, scores[v]) for v in ranked[:n]]


def _norm(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def find_person(graph: nx.MultiDiGraph, name: str) -> str:
    """The node named ``name``: label, alias or slug (case and accents ignored), else the
    only person whose name has all its words.

    >>> G = nx.MultiDiGraph()
    >>> G.add_node("beyonce", label="Beyoncé", aliases=["Queen B"])
    >>> find_person(G, "beyonce"), find_person(G, "QUEEN b")
    ('beyonce', 'beyonce')
    """
    key, names = _norm(name), {}
    for node, data in sorted(graph.nodes(data=True)):
        for other in (data.get("label", node), node, *data.get("aliases", ())):
            names.setdefault(_norm(other), []).append(node)
    hits = names.get(key, [])
    if len(set(hits)) == 1:
        return hits[0]
    words = set(key.split())
    partial = {n for k, ns in names.items() if words and words <= set(k.split()) for n in ns}
    if not hits and len(partial) == 1:  # "kanye": the only person with that name part
        return partial.pop()
    labels = nx.get_node_attributes(graph, "label")
    if hits:
        choices = ", ".join(sorted({labels.get(h, h) for h in hits}))
        raise PersonNotFoundError(f"{name!r} names several people: {choices}")

    def likeness(other: str) -> float:
        parts = [other, *other.split()]
        return max(difflib.SequenceMatcher(None, key, part).ratio() for part in parts)

    scored = sorted((-likeness(k), k) for k in names)
    close = [k for score, k in scored if score <= -0.75]
    suggestions = list(dict.fromkeys(labels.get(names[c][0], c) for c in close))[:5]
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise PersonNotFoundError(f"no person named {name!r} in the graph{hint}")


def _best(claims_: Iterable[dict]) -> dict:
    return min(
        claims_,
        key=lambda e: (
            STATUSES.index(e["status"]),
            -e["confidence"],
            e["relation"],
            e.get("article", ""),
        ),
    )


def connection(graph: nx.MultiDiGraph, source: str, target: str) -> list[dict]:
    """How two people are connected: a shortest path, one hop per dict, each with the
    best claim (asserted first, then most confident) between the two people.

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("a", "b", relation="friendOf", status="asserted", confidence=0.9)
    >>> [(hop["source"], hop["relation"], hop["target"]) for hop in connection(G, "b", "a")]
    [('a', 'friendOf', 'b')]
    """
    try:
        path = nx.shortest_path(undirected(graph), source, target)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        raise NoPathError(f"{source} and {target} are not connected in the graph") from None
    hops = []
    for a, b in itertools.pairwise(path):
        hops.append(
            _best(
                {**d, "source": u, "target": v}
                for u, v in ((a, b), (b, a))
                for d in graph.get_edge_data(u, v, default={}).values()
            )
        )
    return hops


def ego(graph: nx.MultiDiGraph, center: str, depth: int = 1) -> nx.MultiDiGraph:
    """The people within ``depth`` links of ``center`` (either direction) and their claims;
    each node's ``depth`` attribute is its distance from ``center``.

    >>> sorted(ego(nx.MultiDiGraph([("a", "b"), ("b", "c"), ("c", "d")]), "a", 2))
    ['a', 'b', 'c']
    """
    near = nx.single_source_shortest_path_length(undirected(graph), center, cutoff=depth)
    sub = graph.subgraph(near).copy()
    nx.set_node_attributes(sub, near, "depth")
    return sub


def communities(graph: nx.MultiDiGraph, seed: int = 42) -> list[list[str]]:
    """Louvain communities (seeded), largest first, each sorted; ties by first member.

    >>> communities(nx.MultiDiGraph([("a", "b"), ("c", "d")]))
    [['a', 'b'], ['c', 'd']]
    """
    simple = undirected(graph)
    found = nx.community.louvain_communities(simple, weight="weight", seed=seed)
    return sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))


def _flat(value: object) -> object:
    """A graph attribute as GraphML/GEXF/CSV can hold it (lists joined by " | ")."""
    if isinstance(value, list | tuple | set):
        return " | ".join(str(v) for v in value)
    return value


def _flat_graph(graph: nx.MultiDiGraph, fmt: str) -> nx.MultiDiGraph:
    """The graph with flat attributes and every text as ``fmt`` can hold it (see
    :mod:`celebgraph.outputs`); refused if that would merge two people or two claims."""
    clean = xml_text if fmt in XML_FORMATS else encodable

    def text(value: object) -> object:
        return clean(value) if isinstance(value, str) else value

    def flat(data: dict) -> dict:
        return {text(k): text(_flat(v)) for k, v in data.items()}

    result = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        result.add_node(text(node), **flat(data))
    for a, b, key, data in graph.edges(keys=True, data=True):
        result.add_edge(text(a), text(b), key=text(key), **flat(data))
    if (len(result), result.number_of_edges()) != (len(graph), graph.number_of_edges()):
        raise GraphError(
            f"{fmt} cannot hold the characters that tell some people or claims apart;"
            " export as json instead"
        )
    return result


def export(graph: nx.MultiDiGraph, output: str | Path | BinaryIO, fmt: str) -> list[Path]:
    """Write ``graph`` as graphml, gexf, json (node-link) to a path or binary file, or as
    csv (``nodes.csv`` and ``edges.csv``) into the folder ``output``. Returns the paths.

    Files are written whole or not at all, and only over regular files (see
    :mod:`celebgraph.outputs`). Every format reads back with networkx, ``json`` or ``csv``,
    whatever the text: graphml and gexf leave out the characters XML 1.0 cannot hold, and
    every format writes a lone surrogate as U+FFFD.
    """
    if fmt not in EXPORT_FORMATS:
        raise GraphError(f"unknown graph format {fmt!r}; use {', '.join(EXPORT_FORMATS)}")
    if fmt == "csv":
        if not isinstance(output, str | Path):
            raise GraphError("csv export needs a folder: give -o FOLDER")
        folder = check_path(output, folder=True)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / "nodes.csv", folder / "edges.csv"]
        flat = _flat_graph(graph, fmt)
        node_keys = sorted({k for _, d in flat.nodes(data=True) for k in d})
        edge_keys = sorted({k for *_, d in flat.edges(keys=True, data=True) for k in d})
        with atomic_outputs(paths) as (nodes, edges):
            writer = csv.writer(codecs.getwriter("utf-8")(nodes))
            writer.writerow(["id", *node_keys])
            writer.writerows(
                [n, *(d.get(k, "") for k in node_keys)] for n, d in flat.nodes(data=True)
            )
            writer = csv.writer(codecs.getwriter("utf-8")(edges))
            writer.writerow(["source", "target", "key", *edge_keys])
            writer.writerows(
                [a, b, key, *(d.get(k, "") for k in edge_keys)]
                for a, b, key, d in flat.edges(keys=True, data=True)
            )
        return paths
    with output_stream(output) as handle:
        if fmt == "json":
            handle.write(json_bytes(nx.node_link_data(graph, edges="edges")))
        else:
            write = nx.write_graphml if fmt == "graphml" else nx.write_gexf
            write(_flat_graph(graph, fmt), handle)
    return [Path(output)] if isinstance(output, str | Path) else []
