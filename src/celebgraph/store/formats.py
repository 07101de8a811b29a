"""The one table of RDF and SPARQL results formats: name, file suffix, media types,
pyoxigraph format, and whether the format keeps named graphs.

Every part of celebgraph reads its formats from here: ``export`` (:data:`RDF_FORMATS`),
``load`` (:data:`DATASET_SUFFIXES`), the SPARQL server's content negotiation
(:func:`graph_offers`, :func:`results_offers`), the remote store's ``Accept`` headers and
the ``query`` command. (The person-graph exports of :mod:`celebgraph.graph`, GraphML, GEXF,
CSV and node-link JSON, are networkx formats, not RDF: they stay there.)

>>> RDF_FORMATS["nquads"].suffix, RDF_FORMATS["nquads"].keeps_graphs
('.nq', True)
>>> rdf_format("turtle").media_type
'text/turtle'
>>> sorted(DATASET_SUFFIXES)
['.jsonld', '.nq', '.trig']
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from celebgraph.errors import StoreError


@dataclass(frozen=True)
class RdfFormatInfo:
    """An RDF serialisation: ``answers`` says whether the SPARQL server offers it for
    CONSTRUCT and DESCRIBE (formats of one graph only); ``aliases`` are other media types
    clients send for it."""

    name: str
    suffix: str
    media_type: str
    format: ox.RdfFormat
    keeps_graphs: bool
    answers: bool
    w3c: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultsFormatInfo:
    """A SPARQL query results serialisation (SELECT and ASK answers)."""

    name: str
    suffix: str
    media_type: str
    format: ox.QueryResultsFormat
    w3c: str
    aliases: tuple[str, ...] = ()


_W3C = "http://www.w3.org/ns/formats/"

#: RDF formats by name, in the order ``export --help`` lists them.
RDF_FORMATS: dict[str, RdfFormatInfo] = {
    f.name: f
    for f in (
        RdfFormatInfo(
            "nquads", ".nq", "application/n-quads", ox.RdfFormat.N_QUADS, True, False,
            _W3C + "N-Quads",
        ),
        RdfFormatInfo(
            "trig", ".trig", "application/trig", ox.RdfFormat.TRIG, True, False, _W3C + "TriG"
        ),
        RdfFormatInfo(
            "turtle", ".ttl", "text/turtle", ox.RdfFormat.TURTLE, False, True, _W3C + "Turtle",
            ("application/x-turtle",),
        ),
        RdfFormatInfo(
            "ntriples", ".nt", "application/n-triples", ox.RdfFormat.N_TRIPLES, False, True,
            _W3C + "N-Triples",
        ),
        RdfFormatInfo(
            "jsonld", ".jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, True, True,
            _W3C + "JSON-LD",
        ),
        RdfFormatInfo(
            "rdfxml", ".rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML, False, True,
            _W3C + "RDF_XML",
        ),
    )
}  # fmt: skip

#: SPARQL results formats by name, the server's default (JSON) first.
RESULTS_FORMATS: dict[str, ResultsFormatInfo] = {
    f.name: f
    for f in (
        ResultsFormatInfo(
            "json", ".srj", "application/sparql-results+json", ox.QueryResultsFormat.JSON,
            _W3C + "SPARQL_Results_JSON", ("application/json",),
        ),
        ResultsFormatInfo(
            "xml", ".srx", "application/sparql-results+xml", ox.QueryResultsFormat.XML,
            _W3C + "SPARQL_Results_XML", ("application/xml", "text/xml"),
        ),
        ResultsFormatInfo(
            "csv", ".csv", "text/csv", ox.QueryResultsFormat.CSV, _W3C + "SPARQL_Results_CSV"
        ),
        ResultsFormatInfo(
            "tsv", ".tsv", "text/tab-separated-values", ox.QueryResultsFormat.TSV,
            _W3C + "SPARQL_Results_TSV",
        ),
    )
}  # fmt: skip

#: File suffixes of the formats that keep named graphs (what ``load`` reads).
DATASET_SUFFIXES: dict[str, ox.RdfFormat] = {
    f.suffix: f.format for f in RDF_FORMATS.values() if f.keeps_graphs
}


def rdf_format(name: str) -> RdfFormatInfo:
    """The RDF format called ``name``; a one-line StoreError naming the choices if none is."""
    try:
        return RDF_FORMATS[name]
    except KeyError:
        raise StoreError(f"unknown format {name!r}; use one of {', '.join(RDF_FORMATS)}") from None


def graph_offers() -> list[tuple[str, str]]:
    """(media type, format name) the server offers for CONSTRUCT and DESCRIBE answers, the
    default (Turtle) first, then the aliases."""
    answers = [f for f in RDF_FORMATS.values() if f.answers]
    answers.sort(key=lambda f: f.name != "turtle")  # Turtle is the default answer
    return [(f.media_type, f.name) for f in answers] + [
        (alias, f.name) for f in answers for alias in f.aliases
    ]


def results_offers() -> list[tuple[str, str]]:
    """(media type, format name) the server offers for SELECT and ASK answers, the default
    (SPARQL JSON) first, then the aliases."""
    main = [(f.media_type, f.name) for f in RESULTS_FORMATS.values()]
    return main + [(a, f.name) for f in RESULTS_FORMATS.values() for a in f.aliases]


def answer_format_iris() -> list[str]:
    """The W3C format IRIs of every format the server answers in (service description)."""
    return [f.w3c for f in RESULTS_FORMATS.values()] + [
        f.w3c for f in RDF_FORMATS.values() if f.answers
    ]
