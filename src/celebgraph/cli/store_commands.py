"""Commands over the store: ingest, query, export, stats, load."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from celebgraph import api
from celebgraph.cli.common import (
    LayerOption,
    MinConfidenceOption,
    MinSupportOption,
    ModelOption,
    RelationOption,
    StatusOption,
    StoreOption,
    app,
    check_layer,
    echo_error,
    fail,
    listed,
    printable,
    progress_bar,
)
from celebgraph.cluster import CLUSTER_VAR
from celebgraph.errors import CelebgraphError
from celebgraph.ontology import PREFIXES


@app.command()
def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Article files, folders, glob patterns or http(s) URLs (.txt, .json, .jsonl).",
            show_default=False,
        ),
    ],
    store: StoreOption = None,
    jobs: Annotated[int, typer.Option(help="Worker processes (0: one per core).")] = 0,
    model: ModelOption = None,
    layer: LayerOption = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            envvar=CLUSTER_VAR,
            help="Extract on a Dask cluster: its scheduler's address (tcp://HOST:8786), or "
            "local:N for N worker processes here. Needs celebgraph[dask].",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Extract people and claims from articles and add them to the store.

    Re-ingesting an article replaces its triples. Bad files are reported and skipped.
    Ctrl-C or SIGTERM stops it cleanly: what was extracted is stored (exit code 130, 143).
    With --cluster the cluster's workers extract and this process writes the store: the
    store gets the same triples as from a local ingest.

    Example: `celebgraph ingest articles/ --store graph.db`

    Example: `celebgraph ingest 'shards/*.jsonl' --cluster tcp://scheduler:8786`
    """
    from celebgraph.articles import SUFFIXES

    stopped_by = None
    with progress_bar(quiet) as on_step:
        on_step("ingesting", None)
        try:
            report = api.ingest(
                paths,
                store=store,
                jobs=jobs or None,
                on_article=lambda _: on_step("ingesting", None),
                model=model,
                layer=check_layer(layer),
                stop_signals=(signal.SIGINT, signal.SIGTERM),
                cluster=cluster or None,
            )
        except CelebgraphError as exc:
            raise fail(exc) from None
        except api.IngestInterrupted as stop:
            report, stopped_by = stop.report, signal.Signals(stop.signum or signal.SIGINT)
    for message in report.errors:
        echo_error(message)
    claims = ", ".join(f"{report.claims[s]} {s}" for s in ("asserted", "reported", "denied"))
    skipped = (
        f"; {report.skipped} skipped (hidden, or not {'/'.join(SUFFIXES)})"
        if report.skipped
        else ""
    )
    typer.echo(
        f"{report.articles} articles, {len(report.persons)} persons, "
        f"{sum(report.claims.values())} claims ({claims}); {report.failed} failed{skipped}"
    )
    if stopped_by is not None:
        echo_error(
            f"ingest interrupted by {stopped_by.name}: {report.articles} articles stored;"
            f" not stored: {report.unfinished} articles in extraction and the inputs not yet"
            " read; run the same ingest again to finish"
        )
        raise typer.Exit(code=128 + stopped_by)
    if report.failed:
        raise typer.Exit(code=2)


def _short(term: object) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        for prefix, namespace in PREFIXES.items():
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace) :]}"
        return term.value
    if isinstance(term, ox.Literal):
        return term.value
    return "" if term is None else str(term)


def _print_table(result) -> None:
    names = [v.value for v in result.raw.variables]
    rows = [[printable(_short(row[n])) for n in names] for row in result.raw]
    widths = [min(60, max([len(n), *(len(r[i]) for r in rows)])) for i, n in enumerate(names)]
    typer.echo("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip())
    typer.echo("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(row, widths, strict=True)]
        typer.echo("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    typer.echo(f"({len(rows)} rows)", err=True)


@app.command()
def query(
    sparql: Annotated[str | None, typer.Argument(help="The SPARQL query text.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the query from a file.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, tsv or json.")] = "table",
    store: StoreOption = None,
) -> None:
    """Run a SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE) over the whole graph.

    The prefixes cg:, res:, schema:, rdf:, rdfs:, skos:, prov:, dcterms:, owl: and xsd:
    are predefined. CONSTRUCT and DESCRIBE print Turtle (`--format json`: JSON-LD).

    Example: `celebgraph query "SELECT ?a ?b WHERE { ?a cg:interrupted ?b }"`
    """
    import pyoxigraph as ox

    from celebgraph.store.formats import RDF_FORMATS, RESULTS_FORMATS

    if (sparql is None) == (file is None):
        raise fail(CelebgraphError("give either a query or --file FILE"))
    if fmt not in {"table", "csv", "tsv", "json"}:
        raise fail(CelebgraphError(f"unknown format {fmt!r}; use table, csv, tsv or json"))
    try:
        text = sparql if sparql is not None else file.read_text(encoding="utf-8")
        result = api.query(store, text)
    except OSError as exc:
        raise fail(CelebgraphError(f"{file}: {exc.strerror}")) from None
    except CelebgraphError as exc:
        raise fail(exc) from None
    out = sys.stdout.buffer
    if result.kind == "graph":
        rdf_format = RDF_FORMATS["jsonld" if fmt == "json" else "turtle"].format
        prefixes = None if fmt == "json" else PREFIXES
        ox.serialize(result.raw, out, rdf_format, prefixes=prefixes)
    elif result.kind == "ask":
        if fmt == "json":
            typer.echo(json.dumps({"head": {}, "boolean": bool(result.raw)}))
        else:
            typer.echo("true" if result.raw else "false")
    elif fmt == "table":
        _print_table(result)
    else:
        result.raw.serialize(out, RESULTS_FORMATS[fmt].format)
    out.flush()


@app.command()
def export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="nquads, trig, jsonld (with graphs), turtle, ntriples, rdfxml; or the person "
            "graph as graphml, gexf (Gephi), csv (nodes.csv + edges.csv in the -o folder), "
            "json (node-link).",
        ),
    ] = "nquads",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File (csv: folder), written whole or not at all; a new path or a regular "
            "file, never a link, device or pipe (default, or -: stdout).",
        ),
    ] = None,
    store: StoreOption = None,
    relation: RelationOption = None,
    status: StatusOption = None,
    min_confidence: MinConfidenceOption = 0.0,
    min_support: MinSupportOption = 1,
    aggregate: Annotated[
        bool, typer.Option("--aggregate", help="Graph formats: one edge per pair and relation.")
    ] = False,
) -> None:
    """Export the whole graph. N-Quads, TriG and JSON-LD keep one named graph per article.

    graphml, gexf, csv and json export the person graph (one edge per claim, or with
    `--aggregate` per pair and relation), filtered by `--relation`, `--status`,
    `--min-confidence` and `--min-support`.

    Example: `celebgraph export --format trig -o graph.trig`
    """
    from celebgraph import graph
    from celebgraph.outputs import check_output, output_stream
    from celebgraph.text import printable

    graph_format = fmt in graph.EXPORT_FORMATS
    if not graph_format and (relation or status or min_confidence or min_support != 1 or aggregate):
        raise fail(CelebgraphError("filters apply to graphml, gexf, csv and json only"))
    target = None
    try:
        target = check_output(output, folder=fmt == "csv")  # before any work is done
        if target is None and fmt == "csv":
            raise graph.GraphError("csv export writes two files: give -o FOLDER")
        if graph_format:
            people = graph.to_networkx(
                store, listed(relation), listed(status), min_confidence, min_support, aggregate
            )
            graph.export(people, target or sys.stdout.buffer, fmt)
        else:
            with output_stream(target or sys.stdout.buffer) as handle:
                api.export(store, handle, fmt)
    except CelebgraphError as exc:
        raise fail(exc) from None
    except OSError as exc:  # writing to stdout (a file's errors are OutputErrors)
        raise fail(CelebgraphError(f"{printable(target or 'stdout')}: {exc.strerror}")) from None


@app.command()
def stats(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Counts of articles, persons, claims by status and by relation.

    Example: `celebgraph stats --json`
    """
    try:
        numbers = api.stats(store)
    except CelebgraphError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(json.dumps(numbers, indent=2))
        return
    typer.echo(f"articles  {numbers['articles']}")
    typer.echo(f"persons   {numbers['persons']}")
    typer.echo(f"claims    {numbers['claims']}")
    for status, count in sorted(numbers["claims_by_status"].items()):
        typer.echo(f"  {printable(status):<18} {count}")
    typer.echo("by relation")
    for relation, count in numbers["claims_by_relation"].items():
        typer.echo(f"  {printable(relation):<18} {count}")
    typer.echo(f"triples   {numbers['triples']}")


@app.command()
def load(
    paths: Annotated[
        list[Path], typer.Argument(help="N-Quads, TriG or JSON-LD files, or folders of them.")
    ],
    store: StoreOption = None,
    jobs: Annotated[int, typer.Option(help="Threads (0: one per core).")] = 0,
) -> None:
    """Bulk-load RDF files with named graphs into the store: merge the N-Quads shards of
    extraction jobs run apart, or move a graph from one store to another.

    Article graphs replace those of the same name; people and ontology graphs are merged.
    Every file is checked before anything is written; a bad file is reported and skipped.

    Example: `celebgraph load shard-01.nq shard-02.nq --store graph.db`
    """
    try:
        report = api.load(paths, store=store, jobs=jobs or None)
    except CelebgraphError as exc:
        raise fail(exc) from None
    for message in report.errors:
        echo_error(message)
    typer.echo(
        f"{report.files} files, {report.quads:,} quads in {report.graphs:,} graphs "
        f"({report.replaced:,} replaced); {report.failed} failed"
    )
    if report.failed:
        raise typer.Exit(code=2)
