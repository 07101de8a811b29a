"""The celebgraph vocabulary: namespaces, relations and statuses, read from the ontology file.

``ontology/celebgraph.ttl`` is the source of truth for relation names: nothing else in the
code base keeps a list of them. IRIs are minted here and only here.

>>> CG.spouseOf
rdflib.term.URIRef('https://w3id.org/celebgraph/ontology#spouseOf')
>>> RELATIONS["spouseOf"].symmetric, RELATIONS["parentOf"].symmetric
(True, False)
>>> person_iri("kanye-west")
rdflib.term.URIRef('https://w3id.org/celebgraph/resource/person/kanye-west')
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from urllib.parse import quote

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from celebgraph.resources import resource_path

CG = Namespace("https://w3id.org/celebgraph/ontology#")
#: The named graph that holds the ontology inside a store, so that queries can use the
#: relation hierarchy (``?r rdfs:subPropertyOf* cg:romanticRelation``).
ONTOLOGY_GRAPH = URIRef("https://w3id.org/celebgraph/ontology")
#: The named graph of person descriptions (type, label, other names), shared by articles.
PEOPLE_GRAPH = URIRef("https://w3id.org/celebgraph/resource/graph/people")
RES = Namespace("https://w3id.org/celebgraph/resource/")
SCHEMA = Namespace("https://schema.org/")

#: Prefixes used in exports and offered to SPARQL queries.
PREFIXES: dict[str, str] = {
    "cg": str(CG),
    "res": str(RES),
    "person": str(RES["person/"]),
    "article": str(RES["article/"]),
    "claim": str(RES["claim/"]),
    "schema": str(SCHEMA),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
}


class Status(StrEnum):
    """How an article presents a claim (see GUIDELINES: asserted, reported, denied)."""

    ASSERTED = "asserted"
    REPORTED = "reported"
    DENIED = "denied"

    @property
    def iri(self) -> URIRef:
        return CG[self.value.capitalize()]

    @classmethod
    def from_iri(cls, iri: str) -> Status:
        return cls(iri.rsplit("#", 1)[-1].lower())


@dataclass(frozen=True)
class Relation:
    """One of the ontology's relations between two persons."""

    name: str
    symmetric: bool
    groups: tuple[str, ...]
    cues: tuple[str, ...]

    @property
    def iri(self) -> URIRef:
        return CG[self.name]


@cache
def ontology_graph() -> Graph:
    """The ontology as an rdflib graph (parsed once)."""
    graph = Graph()
    graph.parse(resource_path("ontology", "celebgraph.ttl"), format="turtle")
    return graph


def _load_relations() -> dict[str, Relation]:
    graph = ontology_graph()
    relations = {}
    # The extraction relations are exactly those that carry the cg:symmetric annotation.
    for prop, flag in graph.subject_objects(CG.symmetric):
        name = str(prop).removeprefix(str(CG))
        groups = tuple(
            sorted(
                str(g).removeprefix(str(CG))
                for g in graph.transitive_objects(prop, RDFS.subPropertyOf)
                if g != prop and str(g).startswith(str(CG)) and g != CG.relatedTo
            )
        )
        cues = tuple(sorted(str(c) for c in graph.objects(prop, CG.cue)))
        relations[name] = Relation(name, bool(flag.toPython()), groups, cues)
    return dict(sorted(relations.items()))


RELATIONS: dict[str, Relation] = _load_relations()


def relation(name: str) -> Relation:
    """Look a relation up by its local name; a clear error for an unknown one."""
    try:
        return RELATIONS[name]
    except KeyError:
        raise KeyError(f"unknown relation {name!r}; known: {', '.join(RELATIONS)}") from None


def slugify(text: str) -> str:
    """A stable, readable IRI segment for a name.

    >>> slugify("Beyoncé Knowles-Carter")
    'beyonce-knowles-carter'
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug or "x" + hashlib.sha1(text.encode()).hexdigest()[:10]


def article_iri(article_id: str) -> URIRef:
    """The article's IRI; a final ``.`` is percent-encoded, since Turtle and TriG readers
    (rdflib among them) cannot read back a prefixed name that ends in an escaped dot.

    >>> str(article_iri("gossip."))
    'https://w3id.org/celebgraph/resource/article/gossip%2E'
    """
    segment = quote(article_id, safe="")
    if segment.endswith("."):
        segment = segment[:-1] + "%2E"
    return RES["article/" + segment]


def person_iri(slug: str) -> URIRef:
    return RES["person/" + quote(slug, safe="")]


def claim_iri(article_id: str, subject: str, relation_name: str, obj: str) -> URIRef:
    """Deterministic: the same claim in the same article always gets the same IRI."""
    digest = hashlib.sha1("\t".join((article_id, subject, relation_name, obj)).encode()).hexdigest()
    return RES["claim/" + digest[:20]]


def decimal(value: float) -> Literal:
    return Literal(f"{value:.3f}", datatype=XSD.decimal)
