"""The person graph as networkx: filters, aggregation, analysis, name lookup, exports, CLI.

Stores are built by hand (no spaCy): five articles about invented people, with asserted,
reported and denied claims, a symmetric relation stated twice in both orders, an accented
name and aliases.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

import celebgraph
from celebgraph import Store, graph
from celebgraph.api import write_extraction
from celebgraph.cli import app
from celebgraph.errors import CelebgraphError
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import Status

A, R, D = Status.ASSERTED, Status.REPORTED, Status.DENIED
PEOPLE = {
    "zoe-marlow": Entity("zoe-marlow", "Zoë Marlow", ("Marlow",)),
    "ike-brandt": Entity("ike-brandt", "Ike Brandt", ("Brandt", "Ikey")),
    "nia-sol": Entity("nia-sol", "Nia Sol", ("Sol",)),
    "otto-vance": Entity("otto-vance", "Otto Vance", ("Vance",)),
    "pia-quell": Entity("pia-quell", "Pia Quell", ()),
    "lone-wolf": Entity("lone-wolf", "Lone Wolf", ()),
    "rex-hale": Entity("rex-hale", "Rex Hale", ()),
}
#: article id → claims (subject, relation, object, status, confidence)
ARTICLES = {
    "a1": [("zoe-marlow", "spouseOf", "ike-brandt", A, 0.9),
           ("ike-brandt", "collaboratedWith", "nia-sol", A, 0.7)],
    "a2": [("ike-brandt", "spouseOf", "zoe-marlow", A, 0.8),
           ("nia-sol", "partnerOf", "otto-vance", R, 0.6)],
    "a3": [("otto-vance", "sued", "pia-quell", D, 0.8),
           ("otto-vance", "interrupted", "pia-quell", A, 0.3)],
    "a4": [("lone-wolf", "friendOf", "rex-hale", A, 0.75)],
    "a5": [("zoe-marlow", "praised", "nia-sol", R, 0.5)],
}  # fmt: skip


def extraction(article_id: str) -> Extraction:
    claims = [
        Claim(s, r, o, status, conf, f"Sentence {article_id}: {s} {r} {o}.", "hand.v1")
        for s, r, o, status, conf in ARTICLES[article_id]
    ]
    keys = {k for c in claims for k in (c.subject, c.object)}
    return Extraction(
        Article(article_id, f"Headline of {article_id}", "Body."),
        {k: PEOPLE[k] for k in sorted(keys)},
        claims,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graph") / "store"
    with Store(path) as db:
        for article_id in ARTICLES:
            write_extraction(db, extraction(article_id))
    return path


@pytest.fixture(scope="module")
def claims_graph(store: Path) -> nx.MultiDiGraph:
    return graph.to_networkx(store)


def relations(g: nx.MultiDiGraph) -> list[tuple[str, str, str, str]]:
    return sorted((a, d["relation"], b, d["status"]) for a, b, d in g.edges(data=True))


def test_one_edge_per_claim_with_provenance(claims_graph):
    g = claims_graph
    assert isinstance(g, nx.MultiDiGraph)
    assert g.nodes["zoe-marlow"]["label"] == "Zoë Marlow"
    assert g.nodes["ike-brandt"]["aliases"] == ["Brandt", "Ikey"]
    edge = next(d for _, _, d in g.edges("zoe-marlow", data=True) if d["relation"] == "spouseOf")
    assert edge == {
        "relation": "spouseOf", "status": "asserted", "confidence": 0.9, "family": "romantic",
        "evidence": "Sentence a1: zoe-marlow spouseOf ike-brandt.", "article": "a1",
        "headline": "Headline of a1", "support": 2,
    }  # fmt: skip
    assert g.number_of_edges() == 7  # every claim but the denied one


def test_denied_claims_only_when_asked(store, claims_graph):
    assert all(d["status"] != "denied" for *_, d in claims_graph.edges(data=True))
    facts = graph.to_networkx(store, status=["asserted"])
    assert {d["status"] for *_, d in facts.edges(data=True)} == {"asserted"}
    denied = graph.to_networkx(store, status=["denied"])
    assert relations(denied) == [("otto-vance", "sued", "pia-quell", "denied")]


def test_aggregate_one_edge_per_pair_and_relation(store):
    g = graph.to_networkx(store, aggregate=True)
    spouse = g.get_edge_data("ike-brandt", "zoe-marlow", "spouseOf")  # symmetric: sorted pair
    assert spouse["support"] == 2 and spouse["articles"] == ["a1", "a2"]
    assert spouse["confidence"] == 0.9 and len(spouse["evidences"]) == 2
    assert spouse["headlines"] == ["Headline of a1", "Headline of a2"]
    assert g.number_of_edges() == 6


def test_filters(store):
    romantic = graph.to_networkx(store, relation=["romantic"])
    assert {d["relation"] for *_, d in romantic.edges(data=True)} == {"spouseOf", "partnerOf"}
    assert relations(graph.to_networkx(store, relation=["cg:friendOf"])) == [
        ("lone-wolf", "friendOf", "rex-hale", "asserted")
    ]
    confident = graph.to_networkx(store, min_confidence=0.7)
    assert min(d["confidence"] for *_, d in confident.edges(data=True)) >= 0.7
    assert "pia-quell" not in confident  # people without a remaining claim are not nodes
    supported = graph.to_networkx(store, min_support=2)
    assert {d["relation"] for *_, d in supported.edges(data=True)} == {"spouseOf"}
    with pytest.raises(CelebgraphError, match="unknown relation 'marriedTo'"):
        graph.to_networkx(store, relation=["marriedTo"])
    with pytest.raises(CelebgraphError, match="unknown status"):
        graph.to_networkx(store, status=["rumoured"])


def test_top_by_each_measure(claims_graph):
    # ties broken by label: Ike Brandt before Otto Vance and Zoë Marlow
    assert graph.top(claims_graph, "degree", 2) == [("nia-sol", 3.0), ("ike-brandt", 2.0)]
    pagerank = graph.centrality(claims_graph, "pagerank")
    assert sum(pagerank.values()) == pytest.approx(1.0)
    assert graph.top(claims_graph, "pagerank", 1)[0][0] == "nia-sol"
    betweenness = dict(graph.top(claims_graph, "betweenness", 10))
    assert betweenness["nia-sol"] > betweenness["zoe-marlow"] == betweenness["pia-quell"] == 0
    with pytest.raises(CelebgraphError, match="unknown measure"):
        graph.top(claims_graph, "closeness")


@pytest.mark.parametrize(
    ("name", "node"),
    [("Zoë Marlow", "zoe-marlow"), ("ZOE MARLOW", "zoe-marlow"), ("ikey", "ike-brandt"),
     ("  nia   SOL ", "nia-sol"), ("otto-vance", "otto-vance"), ("Rex", "rex-hale")],
)  # fmt: skip
def test_find_person_by_label_alias_or_name_part(claims_graph, name, node):
    assert graph.find_person(claims_graph, name) == node


def test_unknown_name_suggests(claims_graph):
    with pytest.raises(graph.PersonNotFoundError, match="did you mean Zoë Marlow") as err:
        graph.find_person(claims_graph, "Zoe Marlowe")
    assert isinstance(err.value, CelebgraphError)
    with pytest.raises(graph.PersonNotFoundError, match=r"^no person named 'Xavier Q' in the gr"):
        graph.find_person(claims_graph, "Xavier Q")


def test_connection_gives_the_evidence_of_each_hop(claims_graph):
    hops = graph.connection(claims_graph, "zoe-marlow", "otto-vance")
    assert [(h["source"], h["relation"], h["target"]) for h in hops] == [
        ("zoe-marlow", "praised", "nia-sol"),
        ("nia-sol", "partnerOf", "otto-vance"),
    ]
    assert hops[1]["evidence"] == "Sentence a2: nia-sol partnerOf otto-vance."
    assert hops[1]["headline"] == "Headline of a2" and hops[1]["status"] == "reported"
    with pytest.raises(graph.NoPathError):
        graph.connection(claims_graph, "zoe-marlow", "rex-hale")


def test_ego_and_communities(claims_graph):
    near = graph.ego(claims_graph, "zoe-marlow", 1)
    assert sorted(near) == ["ike-brandt", "nia-sol", "zoe-marlow"]
    assert near.nodes["nia-sol"]["depth"] == 1 and near.nodes["zoe-marlow"]["depth"] == 0
    assert "otto-vance" in graph.ego(claims_graph, "zoe-marlow", 2)
    groups = graph.communities(claims_graph)
    assert groups == graph.communities(claims_graph)  # seeded: the same every time
    assert sorted(n for g in groups for n in g) == sorted(claims_graph)
    assert ["lone-wolf", "rex-hale"] in groups


def test_exports_round_trip(claims_graph, tmp_path):
    graph.export(claims_graph, tmp_path / "g.graphml", "graphml")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert (len(back), back.number_of_edges()) == (7, 7)
    assert back.nodes["ike-brandt"]["aliases"] == "Brandt | Ikey"
    graph.export(claims_graph, tmp_path / "g.gexf", "gexf")
    assert nx.read_gexf(tmp_path / "g.gexf").number_of_edges() == 7
    graph.export(claims_graph, tmp_path / "g.json", "json")
    linked = nx.node_link_graph(json.loads((tmp_path / "g.json").read_text()), edges="edges")
    assert relations(linked) == relations(claims_graph)
    nodes_csv, edges_csv = graph.export(claims_graph, tmp_path / "csv", "csv")
    with edges_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7 and {"source", "target", "relation", "evidence"} <= set(rows[0])
    with nodes_csv.open(encoding="utf-8") as handle:
        assert {r["label"] for r in csv.DictReader(handle)} >= {"Zoë Marlow"}
    with pytest.raises(CelebgraphError, match="unknown graph format"):
        graph.export(claims_graph, tmp_path / "x", "dot")


def test_seed_store_graph(seed_store):
    g = celebgraph.to_networkx(seed_store, status=["asserted"])
    assert "interrupted" in {d["relation"] for d in g["kanye-west"]["taylor-swift"].values()}
    assert graph.top(g, "degree", 1)[0][0] == "kanye-west"


runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args))


def test_cli_top_path_ego_communities(store):
    out = cli("top", "--store", str(store), "--by", "pagerank", "-n", "2")
    assert out.exit_code == 0 and out.stdout.splitlines()[0].endswith("Nia Sol")
    out = cli("path", "zoe marlow", "OTTO", "--store", str(store))
    assert out.exit_code == 0, out.output
    assert "Nia Sol —partnerOf→ Otto Vance  (reported, 0.60)" in out.stdout
    assert "Sentence a2: nia-sol partnerOf otto-vance." in out.stdout
    out = cli("ego", "Ikey", "--depth", "1", "--store", str(store), "--relation", "romantic")
    assert out.exit_code == 0 and out.stdout.splitlines()[:2] == ["0  Ike Brandt", "1  Zoë Marlow"]
    out = cli("communities", "--store", str(store))
    assert out.exit_code == 0 and "Lone Wolf, Rex Hale" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [(("path", "Zoe Marlowe", "Rex Hale"), "error: no person named 'Zoe Marlowe' in the graph;"
      " did you mean Zoë Marlow?"),
     (("path", "Zoë Marlow", "Rex Hale"), "error: zoe-marlow and rex-hale are not connected"),
     (("top", "--by", "fame"), "error: unknown measure 'fame'"),
     (("export", "--format", "csv"), "error: csv export writes two files"),
     (("export", "--format", "trig", "--status", "denied"), "error: filters apply")],
)  # fmt: skip
def test_cli_errors_are_one_line(store, args, message):
    out = cli(*args, "--store", str(store))
    assert out.exit_code == 1
    assert out.stderr.startswith(message) and out.stderr.count("\n") == 1


def test_cli_export_graph_formats(store, tmp_path):
    out = cli("export", "--format", "graphml", "--store", str(store), "--status", "asserted,denied")
    assert out.exit_code == 0 and "<graphml" in out.stdout and "sued" in out.stdout
    out = cli("export", "--format", "csv", "-o", str(tmp_path / "t"), "--store", str(store),
              "--aggregate", "--min-support", "2")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert (tmp_path / "t" / "edges.csv").read_text().count("\n") == 2  # header + spouseOf
    out = cli("export", "--format", "json", "-o", str(tmp_path / "g.json"), "--store", str(store))
    assert out.exit_code == 0 and json.loads((tmp_path / "g.json").read_text())["multigraph"]


@pytest.mark.parametrize("command", ["top", "path", "ego", "communities", "viz", "export"])
def test_cli_help_has_an_example(command):
    out = cli(command, "--help")
    assert out.exit_code == 0 and "Example:" in out.stdout
