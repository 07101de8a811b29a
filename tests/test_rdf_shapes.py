"""The RDF data model of real output: SHACL shapes, fact layer, named graphs, labels.

Graphs (README, "The data model"): each article's triples (article, mentions, claims,
facts) in the graph named by the article IRI; person descriptions in ``res:graph/people``;
the ontology in its own graph.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from pyshacl import validate
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SH, SKOS

import celebgraph
from celebgraph import CG, RES, Store
from celebgraph.api import write_extraction
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import (
    ONTOLOGY_GRAPH,
    PEOPLE_GRAPH,
    SCHEMA,
    Status,
    article_iri,
    claim_iri,
    ontology_graph,
    person_iri,
)
from celebgraph.rdf import article_triples
from celebgraph.resources import resource_path

# (XSD is not imported at module level: pytest's collection probes module attributes and
# rdflib's XSD namespace warns on unknown ones.)
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
RDF_FORMATS = {"nquads": "nquads", "trig": "trig"}
HAND_ID = "rumour-mill-1"

# rdflib's own N-Quads/TriG parsers use its deprecated ConjunctiveGraph API internally.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(resource_path("ontology", "shapes.ttl"), format="turtle")


def union_graph(data: bytes, fmt: str) -> Graph:
    """Every quad's triple of an export, in one rdflib Graph."""
    dataset = Dataset()
    dataset.parse(data=data.decode("utf-8"), format=RDF_FORMATS[fmt])
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def shacl(graph: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    conforms, report, text = validate(graph, shacl_graph=shapes, inference="none")
    return conforms, report, text


def claim(subject: str, relation: str, obj: str, status: Status, confidence: float) -> Claim:
    evidence = f"{subject} {relation} {obj} ({status.value})."
    return Claim(subject, relation, obj, status, confidence, evidence, "hand.v1")


def hand_built_extraction() -> Extraction:
    """An article with an asserted, a reported and a denied claim (written by hand)."""
    article = Article(
        HAND_ID,
        "Rumours Swirl Around Mara Quill",
        "Mara Quill married Dex Arlo. Mara Quill is reportedly dating Nico Brandt. "
        "Dex Arlo denied that he sued Nico Brandt.",
        date="2021-06-01",
        url="https://example.org/rumour-mill-1",
        source="Example Gossip",
    )
    entities = {
        "mara-quill": Entity("mara-quill", "Mara Quill", ("Quill", "Mara")),
        "dex-arlo": Entity("dex-arlo", "Dex Arlo", ("Arlo",)),
        "nico-brandt": Entity("nico-brandt", "Nico Brandt", ("Brandt",)),
    }
    claims = [
        claim("dex-arlo", "spouseOf", "mara-quill", Status.ASSERTED, 0.9),
        claim("mara-quill", "partnerOf", "nico-brandt", Status.REPORTED, 0.5),
        claim("dex-arlo", "sued", "nico-brandt", Status.DENIED, 0.25),
    ]
    return Extraction(article, entities, claims)


@pytest.fixture
def hand_store(tmp_path: Path) -> Path:
    """The hand-built article stored the way ingest stores an article."""
    path = tmp_path / "hand-store"
    with Store(path) as store:
        assert write_extraction(store, hand_built_extraction()) > 0
    return path


@pytest.fixture
def facts_store(tmp_path: Path) -> Path:
    """Only the article graph of the hand-built article, written with replace_graph."""
    path = tmp_path / "facts-store"
    extraction = hand_built_extraction()
    with Store(path) as store:
        count = store.replace_graph(article_iri(HAND_ID), article_triples(extraction))
        assert count == len(store) > 0
        assert store.count_graphs() == 1
    return path


def ask(store: Path, body: str) -> bool:
    result = celebgraph.query(store, f"ASK {{ {body} }}")
    assert result.kind == "ask"
    return bool(result.raw)


def graph_names(store: Path) -> set[str]:
    rows = celebgraph.select(store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {r["g"].value for r in rows}


# --- SHACL --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_rdf_seed_export_conforms_to_shapes(seed_store, export, shapes, fmt):
    graph = union_graph(export(seed_store, fmt), fmt)
    assert len(set(graph.subjects(RDF.type, CG.Claim))) >= 2
    assert len(set(graph.subjects(RDF.type, CG.Person))) >= 3
    conforms, _, text = shacl(graph, shapes)
    assert conforms, text


def test_rdf_nquads_and_trig_exports_hold_the_same_graph(seed_store, export):
    assert isomorphic(
        union_graph(export(seed_store, "nquads"), "nquads"),
        union_graph(export(seed_store, "trig"), "trig"),
    )


def test_rdf_hand_built_export_conforms_to_shapes(hand_store, export, shapes):
    graph = union_graph(export(hand_store, "nquads"), "nquads")
    statuses = set(graph.objects(None, CG.status))
    assert statuses == {CG.Asserted, CG.Reported, CG.Denied}
    conforms, _, text = shacl(graph, shapes)
    assert conforms, text


def test_rdf_claim_without_status_does_not_conform(seed_store, export, shapes):
    graph = union_graph(export(seed_store, "nquads"), "nquads")
    node = sorted(graph.subjects(RDF.type, CG.Claim))[0]
    assert (node, CG.status, None) in graph
    graph.remove((node, CG.status, None))
    conforms, report, _ = shacl(graph, shapes)
    assert not conforms
    focus = {
        (report.value(r, SH.focusNode), report.value(r, SH.resultPath))
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }
    assert focus == {(node, CG.status)}


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        (CG.confidence, Literal("1.500", datatype=XSD_DECIMAL)),
        (RDF.predicate, CG.childOf),
        (CG.status, CG.Maybe),
        (RDF.subject, RES["person/nobody-typed"]),
    ],
    ids=["confidence-above-1", "predicate-not-extraction-relation", "unknown-status", "untyped"],
)
def test_rdf_claim_with_bad_value_does_not_conform(hand_store, export, shapes, prop, value):
    graph = union_graph(export(hand_store, "nquads"), "nquads")
    node = sorted(graph.subjects(RDF.type, CG.Claim))[0]
    graph.remove((node, prop, None))
    graph.add((node, prop, value))
    conforms, _, _ = shacl(graph, shapes)
    assert not conforms


def test_rdf_person_with_two_labels_does_not_conform(hand_store, export, shapes):
    graph = union_graph(export(hand_store, "nquads"), "nquads")
    graph.add((person_iri("mara-quill"), RDFS.label, Literal("Mara Q.")))
    conforms, _, _ = shacl(graph, shapes)
    assert not conforms


# --- the fact layer -----------------------------------------------------------------------


def test_rdf_seed_asserted_claims_have_direct_triples(seed_store):
    asserted = celebgraph.select(
        seed_store, "SELECT ?c WHERE { ?c a cg:Claim ; cg:status cg:Asserted }"
    )
    assert len(asserted) >= 2
    missing = celebgraph.select(
        seed_store,
        """SELECT ?c WHERE {
             GRAPH ?g { ?c a cg:Claim ; cg:status cg:Asserted ;
                           rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }
             FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } }
           }""",
    )
    assert missing == []


def test_rdf_seed_direct_triples_come_from_asserted_claims(seed_store):
    relations = " ".join(f"cg:{name}" for name in celebgraph.RELATIONS)
    facts = celebgraph.select(
        seed_store,
        f"SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?p {{ {relations} }} }}",
    )
    assert facts
    unbacked = celebgraph.select(
        seed_store,
        f"""SELECT ?s ?p ?o WHERE {{
              GRAPH ?g {{ ?s ?p ?o }} VALUES ?p {{ {relations} }}
              FILTER NOT EXISTS {{ GRAPH ?g {{ ?c cg:status cg:Asserted ;
                  rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }} }}
            }}""",
    )
    assert unbacked == []


def test_rdf_seed_no_reported_or_denied_claim_has_a_direct_triple(seed_store):
    leaks = celebgraph.select(
        seed_store,
        """SELECT ?c WHERE {
             GRAPH ?g { ?c cg:status ?st ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o
                        FILTER(?st != cg:Asserted) ?s ?p ?o }
           }""",
    )
    assert leaks == []


@pytest.mark.parametrize(
    ("subject", "relation", "obj", "direct"),
    [
        ("dex-arlo", "spouseOf", "mara-quill", True),
        ("mara-quill", "partnerOf", "nico-brandt", False),
        ("dex-arlo", "sued", "nico-brandt", False),
    ],
    ids=["asserted", "reported", "denied"],
)
def test_rdf_direct_triple_only_for_asserted_claim(facts_store, subject, relation, obj, direct):
    s, o = person_iri(subject).n3(), person_iri(obj).n3()
    node = claim_iri(HAND_ID, subject, relation, obj).n3()
    # The claim itself is always there, with its subject, relation and object ...
    assert ask(
        facts_store,
        f"{node} a cg:Claim ; rdf:subject {s} ; rdf:predicate cg:{relation} ; rdf:object {o}",
    )
    # ... but only an asserted claim becomes a fact.
    assert ask(facts_store, f"{s} cg:{relation} {o}") is direct
    assert ask(facts_store, f"{o} cg:{relation} {s}") is False


def test_rdf_article_triples_without_optional_fields():
    extraction = Extraction(Article("bare", "", "Body only."))
    doc = article_iri("bare")
    assert set(article_triples(extraction)) == {
        (doc, RDF.type, SCHEMA.NewsArticle),
        (doc, DCTERMS.identifier, Literal("bare")),
    }


def test_rdf_claim_provenance(hand_store):
    rows = celebgraph.select(
        hand_store,
        """SELECT ?c ?a ?id ?evidence ?confidence ?rule WHERE {
             ?c a cg:Claim ; prov:wasDerivedFrom ?a ; cg:evidence ?evidence ;
                cg:confidence ?confidence ; cg:rule ?rule .
             ?a dcterms:identifier ?id }""",
    )
    assert len(rows) == 3
    assert {r["a"].value for r in rows} == {str(article_iri(HAND_ID))}
    assert {r["id"].value for r in rows} == {HAND_ID}
    assert {r["rule"].value for r in rows} == {"hand.v1"}
    assert {float(r["confidence"].value) for r in rows} == {0.9, 0.5, 0.25}
    assert {r["confidence"].datatype.value for r in rows} == {str(XSD_DECIMAL)}
    assert {r["evidence"].value for r in rows} == {
        c.evidence for c in hand_built_extraction().claims
    }


def test_rdf_article_metadata(hand_store):
    rows = celebgraph.select(
        hand_store,
        f"""SELECT ?h ?d ?u ?src WHERE {{ <{article_iri(HAND_ID)}> a schema:NewsArticle ;
              schema:headline ?h ; schema:datePublished ?d ; schema:url ?u ;
              dcterms:source ?src }}""",
    )
    assert [(r["h"].value, r["d"].value, r["u"].value, r["src"].value) for r in rows] == [
        (
            "Rumours Swirl Around Mara Quill",
            "2021-06-01",
            "https://example.org/rumour-mill-1",
            "Example Gossip",
        )
    ]


# --- named graphs -------------------------------------------------------------------------


def test_rdf_graph_names_are_the_documented_ones():
    assert str(ONTOLOGY_GRAPH) == "https://w3id.org/celebgraph/ontology"
    assert str(PEOPLE_GRAPH) == str(RES) + "graph/people"


def test_rdf_seed_graphs(seed_store, seed_article, export):
    article = str(article_iri(seed_article.id))
    assert graph_names(seed_store) == {article, str(PEOPLE_GRAPH), str(ONTOLOGY_GRAPH)}
    # Nothing in the default graph: every exported quad carries a graph name.
    quads = list(ox.parse(export(seed_store, "nquads"), ox.RdfFormat.N_QUADS))
    assert all(isinstance(q.graph_name, ox.NamedNode) for q in quads)


def test_rdf_seed_article_data_is_in_the_article_graph(seed_store, seed_article):
    article = article_iri(seed_article.id).n3()
    outside = celebgraph.select(
        seed_store,
        f"""SELECT ?g ?s WHERE {{
              GRAPH ?g {{
                {{ ?s a ?type VALUES ?type {{ schema:NewsArticle cg:Claim }} }}
                UNION {{ ?s schema:mentions ?person }}
                UNION {{ ?s cg:status ?status }}
              }}
              FILTER(?g != {article}) }}""",
    )
    assert outside == []
    inside = celebgraph.select(
        seed_store,
        f"""SELECT ?c WHERE {{ GRAPH {article} {{
              {article} dcterms:identifier ?id ; schema:mentions ?p .
              ?c a cg:Claim ; prov:wasDerivedFrom {article} }} }}""",
    )
    assert inside


def test_rdf_seed_persons_are_in_the_people_graph(seed_store):
    people = PEOPLE_GRAPH.n3()
    persons = celebgraph.select(seed_store, "SELECT DISTINCT ?p WHERE { ?p a cg:Person }")
    assert len(persons) >= 3
    described = celebgraph.select(
        seed_store,
        f"SELECT DISTINCT ?p WHERE {{ GRAPH {people} {{ ?p a cg:Person ; rdfs:label ?l }} }}",
    )
    assert {r["p"] for r in described} == {r["p"] for r in persons}
    # Only persons live there, and nobody is described anywhere else.
    others = celebgraph.select(
        seed_store,
        f"""SELECT ?g ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
              FILTER((?g = {people} && NOT EXISTS {{ GRAPH ?g {{ ?s a cg:Person }} }})
                     || (?g != {people} && ?p IN (rdfs:label, skos:altLabel)
                         && ?g != {ONTOLOGY_GRAPH.n3()})) }}""",
    )
    assert others == []
    # Every mentioned person is described.
    undescribed = celebgraph.select(
        seed_store,
        f"""SELECT ?p WHERE {{ ?a schema:mentions ?p
              FILTER NOT EXISTS {{ GRAPH {people} {{ ?p a cg:Person }} }} }}""",
    )
    assert undescribed == []


def test_rdf_claims_are_in_the_graph_of_their_article(seed_store):
    rows = celebgraph.select(
        seed_store,
        "SELECT ?c ?g ?a WHERE { GRAPH ?g { ?c a cg:Claim ; prov:wasDerivedFrom ?a } }",
    )
    assert rows
    assert all(r["g"] == r["a"] for r in rows)


def test_rdf_ontology_graph_holds_the_ontology(seed_store, export):
    quads = [
        q
        for q in ox.parse(export(seed_store, "nquads"), ox.RdfFormat.N_QUADS)
        if q.graph_name == ox.NamedNode(str(ONTOLOGY_GRAPH))
    ]
    data = ox.serialize([q.triple for q in quads], None, ox.RdfFormat.N_TRIPLES)

    # The store keeps the ontology's blank nodes as fixed skolem IRIs; turn them back.
    def unskolem(term):
        return BNode(str(term).rsplit("/", 1)[-1]) if "/.well-known/genid/" in str(term) else term

    stored = Graph()
    for triple in Graph().parse(data=data, format="nt"):
        stored.add(tuple(unskolem(t) for t in triple))
    assert isomorphic(stored, ontology_graph())


def test_rdf_each_article_gets_its_own_graph(tmp_path):
    second = Extraction(
        Article("other-2", "Other", "Ola Fenn praised Nico Brandt."),
        {
            "ola-fenn": Entity("ola-fenn", "Ola Fenn"),
            "nico-brandt": Entity("nico-brandt", "Nico Brandt", ("Nico",)),
        },
        [claim("ola-fenn", "praised", "nico-brandt", Status.ASSERTED, 0.8)],
    )
    path = tmp_path / "two"
    with Store(path) as store:
        for extraction in (hand_built_extraction(), second):
            write_extraction(store, extraction)
    rows = celebgraph.select(
        path, "SELECT ?g ?id WHERE { GRAPH ?g { ?g dcterms:identifier ?id } } ORDER BY ?id"
    )
    assert [(r["g"].value, r["id"].value) for r in rows] == [
        (str(article_iri("other-2")), "other-2"),
        (str(article_iri(HAND_ID)), HAND_ID),
    ]
    nico = person_iri("nico-brandt").n3()
    # Both articles mention the person, in their own graphs ...
    mentions = celebgraph.select(
        path, f"SELECT ?g WHERE {{ GRAPH ?g {{ ?a schema:mentions {nico} }} }}"
    )
    assert sorted(r["g"].value for r in mentions) == sorted(
        [str(article_iri("other-2")), str(article_iri(HAND_ID))]
    )
    # ... and the person is one node with one label and the names of both articles.
    labels = celebgraph.select(path, f"SELECT ?l WHERE {{ {nico} rdfs:label ?l }}")
    assert [r["l"].value for r in labels] == ["Nico Brandt"]
    aliases = celebgraph.select(path, f"SELECT ?l WHERE {{ {nico} skos:altLabel ?l }}")
    assert sorted(r["l"].value for r in aliases) == ["Brandt", "Nico"]


# --- labels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "name", "surname"),
    [
        ("kanye-west", "Kanye West", "West"),
        ("taylor-swift", "Taylor Swift", "Swift"),
        ("jay-leno", "Jay Leno", "Leno"),
    ],
)
def test_rdf_seed_person_label_is_full_name_and_alt_label_has_surname(
    seed_store, key, name, surname
):
    person = person_iri(key).n3()
    labels = celebgraph.select(seed_store, f"SELECT ?l WHERE {{ {person} rdfs:label ?l }}")
    assert [r["l"].value for r in labels] == [name]
    aliases = celebgraph.select(seed_store, f"SELECT ?l WHERE {{ {person} skos:altLabel ?l }}")
    assert surname in {r["l"].value for r in aliases}
    assert ask(seed_store, f"{person} a cg:Person")


def test_rdf_hand_built_labels(hand_store, export):
    graph = union_graph(export(hand_store, "nquads"), "nquads")
    person = person_iri("mara-quill")
    assert list(graph.objects(person, RDFS.label)) == [Literal("Mara Quill")]
    assert set(graph.objects(person, SKOS.altLabel)) == {Literal("Quill"), Literal("Mara")}
    assert (person, PROV.wasDerivedFrom, None) not in graph
