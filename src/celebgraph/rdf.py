"""Extractions → RDF triples, following the data model in the README.

Pure functions: no store, no I/O. Each article's triples go to the named graph
``article_iri(article.id)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from celebgraph.models import Extraction
from celebgraph.ontology import (
    CG,
    PEOPLE_GRAPH,
    SCHEMA,
    Status,
    article_iri,
    claim_iri,
    decimal,
    person_iri,
    relation,
)

Triple = tuple[URIRef, URIRef, URIRef | Literal]
#: What a store's ``replace_graph`` takes: a graph, its new triples, triples to add to other
#: graphs and triples to add there unless the subject has that predicate already.
GraphChange = tuple[
    URIRef,
    Iterable[Triple],
    Iterable[tuple[URIRef, Iterable[Triple]]],
    Iterable[tuple[URIRef, Iterable[Triple]]],
]


def article_triples(extraction: Extraction) -> Iterator[Triple]:
    """All triples of one article's named graph: article, mentions, claims, facts.

    >>> from celebgraph.models import Article, Entity, Claim, Extraction
    >>> from celebgraph.ontology import Status
    >>> ex = Extraction(Article("a1", "Headline", "Body."),
    ...     {"x": Entity("x", "X Y"), "z": Entity("z", "Z W")},
    ...     [Claim("x", "spouseOf", "z", Status.ASSERTED, 0.9, "X Y married Z W.", "r")])
    >>> (person_iri("x"), CG.spouseOf, person_iri("z")) in set(article_triples(ex))
    True
    """
    article = extraction.article
    doc = article_iri(article.id)
    yield doc, RDF.type, SCHEMA.NewsArticle
    yield doc, DCTERMS.identifier, Literal(article.id)
    if article.headline:
        yield doc, SCHEMA.headline, Literal(article.headline)
    if article.date:
        yield doc, SCHEMA.datePublished, Literal(article.date)
    if article.url:
        yield doc, SCHEMA.url, Literal(article.url, datatype=XSD.anyURI)
    if article.source:
        yield doc, DCTERMS.source, Literal(article.source)
    for entity in extraction.entities.values():
        yield doc, SCHEMA.mentions, person_iri(entity.key)
    for claim in extraction.claims:
        node = claim_iri(article.id, claim.subject, claim.relation, claim.object)
        subject, obj = person_iri(claim.subject), person_iri(claim.object)
        predicate = relation(claim.relation).iri
        yield node, RDF.type, CG.Claim
        yield node, RDF.subject, subject
        yield node, RDF.predicate, predicate
        yield node, RDF.object, obj
        yield node, CG.status, claim.status.iri
        yield node, PROV.wasDerivedFrom, doc
        yield node, CG.evidence, Literal(claim.evidence)
        yield node, CG.confidence, decimal(claim.confidence)
        yield node, CG.rule, Literal(claim.rule)
        if claim.status is Status.ASSERTED:
            # The fact layer: only what the article asserts becomes a direct triple.
            yield subject, predicate, obj


def people_triples(extraction: Extraction) -> Iterator[Triple]:
    """The persons an article names, for the shared people graph (type and other names).

    A person's ``rdfs:label`` is kept apart (:func:`people_labels`): it is written only
    when the person has none yet, so every person has exactly one.
    """
    for entity in extraction.entities.values():
        person = person_iri(entity.key)
        yield person, RDF.type, CG.Person
        for alias in entity.aliases:
            yield person, SKOS.altLabel, Literal(alias)


def people_labels(extraction: Extraction) -> Iterator[Triple]:
    for entity in extraction.entities.values():
        yield person_iri(entity.key), RDFS.label, Literal(entity.name)


def article_change(extraction: Extraction) -> GraphChange:
    """How storing one article changes a store: its own graph replaced, its people added
    to the people graph, their labels where they have none yet (the first article to name
    a person gives the label)."""
    return (
        article_iri(extraction.article.id),
        article_triples(extraction),
        [(PEOPLE_GRAPH, people_triples(extraction))],
        [(PEOPLE_GRAPH, people_labels(extraction))],
    )
