"""The ``celebgraph`` command: a thin layer over :mod:`celebgraph.api`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from celebgraph import api
from celebgraph.errors import CelebgraphError
from celebgraph.ontology import PREFIXES

app = typer.Typer(
    help="Turn celebrity news articles into an RDF knowledge graph, query it and export it.\n\n"
    "Example: `celebgraph ingest articles/ && celebgraph query "
    '"SELECT ?a ?b WHERE { ?a cg:interrupted ?b }"`',
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar="CELEBGRAPH_STORE",
        help="Store folder (default: ~/.local/share/celebgraph/store).",
        show_default=False,
    ),
]


RelationOption = Annotated[
    list[str] | None,
    typer.Option(
        "--relation",
        help="Only these relations or families (spouseOf, romantic, ...); repeat or use commas.",
        show_default=False,
    ),
]
StatusOption = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        help="Claim statuses to include: asserted, reported, denied (default: asserted and "
        "reported; denied claims only when asked).",
        show_default=False,
    ),
]
MinConfidenceOption = Annotated[
    float, typer.Option("--min-confidence", help="Only claims at least this confident (0-1).")
]
MinSupportOption = Annotated[
    int, typer.Option("--min-support", help="Only ties stated by at least this many articles.")
]


def _split(values: list[str] | None) -> list[str] | None:
    """Repeated options and comma-separated values as one list."""
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _fail(error: CelebgraphError) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=1)


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Article files or folders (.txt, .json, .jsonl).")
    ],
    store: StoreOption = None,
    jobs: Annotated[int, typer.Option(help="Worker processes (0: one per core).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Extract people and claims from articles and add them to the store.

    Re-ingesting an article replaces its triples. Bad files are reported and skipped.

    Example: `celebgraph ingest articles/ --store graph.db`
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=quiet or not sys.stderr.isatty(),
        console=None,
        transient=True,
    ) as progress:
        task = progress.add_task("ingesting", total=None)
        try:
            report = api.ingest(
                paths, store=store, jobs=jobs or None, on_article=lambda _: progress.advance(task)
            )
        except CelebgraphError as exc:
            raise _fail(exc) from None
    for message in report.errors:
        typer.echo(f"error: {message}", err=True)
    claims = ", ".join(f"{report.claims[s]} {s}" for s in ("asserted", "reported", "denied"))
    typer.echo(
        f"{report.articles} articles, {len(report.persons)} persons, "
        f"{sum(report.claims.values())} claims ({claims}); {report.failed} failed"
    )
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
    rows = [[_short(row[n]) for n in names] for row in result.raw]
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

    if (sparql is None) == (file is None):
        raise _fail(CelebgraphError("give either a query or --file FILE"))
    if fmt not in {"table", "csv", "tsv", "json"}:
        raise _fail(CelebgraphError(f"unknown format {fmt!r}; use table, csv, tsv or json"))
    try:
        text = sparql if sparql is not None else file.read_text(encoding="utf-8")
        result = api.query(store, text)
    except OSError as exc:
        raise _fail(CelebgraphError(f"{file}: {exc.strerror}")) from None
    except CelebgraphError as exc:
        raise _fail(exc) from None
    out = sys.stdout.buffer
    if result.kind == "graph":
        rdf_format = ox.RdfFormat.JSON_LD if fmt == "json" else ox.RdfFormat.TURTLE
        ox.serialize(result.raw, out, rdf_format, prefixes=None if fmt == "json" else PREFIXES)
    elif result.kind == "ask":
        if fmt == "json":
            typer.echo(json.dumps({"head": {}, "boolean": bool(result.raw)}))
        else:
            typer.echo("true" if result.raw else "false")
    elif fmt == "table":
        _print_table(result)
    else:
        formats = {
            "csv": ox.QueryResultsFormat.CSV,
            "tsv": ox.QueryResultsFormat.TSV,
            "json": ox.QueryResultsFormat.JSON,
        }
        result.raw.serialize(out, formats[fmt])
    out.flush()


@app.command()
def export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="nquads, trig, jsonld (with graphs), turtle, ntriples; or the person graph "
            "as graphml, gexf (Gephi), csv (nodes.csv + edges.csv in the -o folder), json "
            "(node-link).",
        ),
    ] = "nquads",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default: stdout).")
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

    if fmt in graph.EXPORT_FORMATS:
        try:
            people = graph.to_networkx(
                store, _split(relation), _split(status), min_confidence, min_support, aggregate
            )
            if output is None and fmt == "csv":
                raise graph.GraphError("csv export writes two files: give -o FOLDER")
            graph.export(people, output if output is not None else sys.stdout.buffer, fmt)
        except CelebgraphError as exc:
            raise _fail(exc) from None
        except OSError as exc:
            raise _fail(CelebgraphError(f"{output}: {exc.strerror}")) from None
        return
    if relation or status or min_confidence or min_support != 1 or aggregate:
        raise _fail(CelebgraphError("filters apply to graphml, gexf, csv and json only"))
    try:
        if output is None:
            api.export(store, sys.stdout.buffer, fmt)
            return
        partial = output.with_name(output.name + ".part")
        try:
            with partial.open("wb") as handle:
                api.export(store, handle, fmt)
            partial.replace(output)  # never leave half a file under the real name
        finally:
            partial.unlink(missing_ok=True)
    except CelebgraphError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _fail(CelebgraphError(f"{output}: {exc.strerror}")) from None


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
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(numbers, indent=2))
        return
    typer.echo(f"articles  {numbers['articles']}")
    typer.echo(f"persons   {numbers['persons']}")
    typer.echo(f"claims    {numbers['claims']}")
    for status, count in sorted(numbers["claims_by_status"].items()):
        typer.echo(f"  {status:<18} {count}")
    typer.echo("by relation")
    for relation, count in numbers["claims_by_relation"].items():
        typer.echo(f"  {relation:<18} {count}")
    typer.echo(f"triples   {numbers['triples']}")


@app.command()
def evaluate(
    gold: Annotated[
        Path,
        typer.Option("--gold", help="Gold folder (entities.tsv, relations.tsv, articles.txt)."),
    ],
    corpus: Annotated[
        Path | None, typer.Option(help="Corpus folder (default: GOLD/../../corpus).")
    ] = None,
    articles: Annotated[
        Path | None, typer.Option("--articles", help="File listing the article ids to score.")
    ] = None,
    errors: Annotated[
        bool, typer.Option("--errors", help="List false positives and misses.")
    ] = False,
    jobs: Annotated[int, typer.Option(help="Worker processes (0: one per core).")] = 0,
) -> None:
    """Precision, recall and F1 per relation and overall, and status accuracy.

    Example: `celebgraph evaluate --gold gold/dev --errors`
    """
    from celebgraph.scoring import format_score

    try:
        wanted = None
        if articles is not None:
            wanted = [line.strip() for line in articles.read_text().splitlines() if line.strip()]
        result = api.evaluate(gold, corpus, wanted, jobs or None)
    except OSError as exc:
        raise _fail(CelebgraphError(f"{exc.filename}: {exc.strerror}")) from None
    except CelebgraphError as exc:
        raise _fail(exc) from None
    typer.echo(format_score(result, errors))


def _people(store, relation, status, min_confidence, min_support):
    from celebgraph import graph

    return graph.to_networkx(store, _split(relation), _split(status), min_confidence, min_support)


@app.command()
def top(
    by: Annotated[str, typer.Option("--by", help="degree, pagerank or betweenness.")] = "degree",
    n: Annotated[int, typer.Option("-n", help="How many people.")] = 10,
    store: StoreOption = None,
    relation: RelationOption = None,
    status: StatusOption = None,
    min_confidence: MinConfidenceOption = 0.0,
    min_support: MinSupportOption = 1,
) -> None:
    """The most central people: by degree (people linked), PageRank or betweenness.

    Example: `celebgraph top --by pagerank -n 20`
    """
    from celebgraph import graph

    try:
        people = _people(store, relation, status, min_confidence, min_support)
        ranking = graph.top(people, by, n)
    except CelebgraphError as exc:
        raise _fail(exc) from None
    for rank, (node, score) in enumerate(ranking, 1):
        shown = f"{int(score)}" if by == "degree" else f"{score:.4f}"
        typer.echo(f"{rank:>3}  {shown:>8}  {people.nodes[node]['label']}")


@app.command()
def path(
    source: Annotated[str, typer.Argument(help="A person's name or alias.")],
    target: Annotated[str, typer.Argument(help="Another person's name or alias.")],
    store: StoreOption = None,
    relation: RelationOption = None,
    status: StatusOption = None,
    min_confidence: MinConfidenceOption = 0.0,
    min_support: MinSupportOption = 1,
) -> None:
    """How two people are connected: a shortest chain, with the evidence of each hop.

    Example: `celebgraph path "Taylor Swift" "Jay-Z"`
    """
    from celebgraph import graph

    try:
        people = _people(store, relation, status, min_confidence, min_support)
        hops = graph.connection(
            people, graph.find_person(people, source), graph.find_person(people, target)
        )
    except CelebgraphError as exc:
        raise _fail(exc) from None
    for hop in hops:
        a, b = (people.nodes[hop[k]]["label"] for k in ("source", "target"))
        typer.echo(f"{a} —{hop['relation']}→ {b}  ({hop['status']}, {hop['confidence']:.2f})")
        typer.echo(f"    “{hop['evidence']}”")
        typer.echo(f"    {hop['headline']} [{hop['article']}]")


@app.command("ego")
def ego_command(
    name: Annotated[str, typer.Argument(help="A person's name or alias.")],
    depth: Annotated[int, typer.Option("--depth", help="Links away from the person.")] = 1,
    store: StoreOption = None,
    relation: RelationOption = None,
    status: StatusOption = None,
    min_confidence: MinConfidenceOption = 0.0,
    min_support: MinSupportOption = 1,
) -> None:
    """The people within `--depth` links of a person, and the claims between them.

    Example: `celebgraph ego "Kanye West" --depth 2`
    """
    from celebgraph import graph

    try:
        people = _people(store, relation, status, min_confidence, min_support)
        near = graph.ego(people, graph.find_person(people, name), depth)
    except CelebgraphError as exc:
        raise _fail(exc) from None
    label = dict(near.nodes(data="label"))
    for node in sorted(near, key=lambda v: (near.nodes[v]["depth"], label[v])):
        typer.echo(f"{near.nodes[node]['depth']}  {label[node]}")
    typer.echo("")
    for a, b, data in sorted(near.edges(data=True), key=lambda e: (label[e[0]], label[e[1]])):
        typer.echo(
            f"{label[a]} —{data['relation']}→ {label[b]}  ({data['status']}, "
            f"{data['confidence']:.2f}, {data['article']})"
        )


@app.command()
def communities(
    store: StoreOption = None,
    relation: RelationOption = None,
    status: StatusOption = None,
    min_confidence: MinConfidenceOption = 0.0,
    min_support: MinSupportOption = 1,
    seed: Annotated[int, typer.Option(help="Random seed of the Louvain method.")] = 42,
) -> None:
    """Groups of people more linked to each other than to the rest (Louvain, seeded).

    Example: `celebgraph communities --relation romantic`
    """
    from celebgraph import graph

    try:
        people = _people(store, relation, status, min_confidence, min_support)
        groups = graph.communities(people, seed=seed)
    except CelebgraphError as exc:
        raise _fail(exc) from None
    for number, members in enumerate(groups, 1):
        names = sorted(people.nodes[m]["label"] for m in members)
        typer.echo(f"{number:>3}  ({len(members)})  {', '.join(names)}")


_PAGE = Path("graph.html")


@app.command()
def viz(
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = _PAGE,
    center: Annotated[
        str | None, typer.Option("--center", help="Only this person's neighbourhood.")
    ] = None,
    depth: Annotated[int, typer.Option("--depth", help="Links away from --center.")] = 2,
    store: StoreOption = None,
    relation: RelationOption = None,
    status: StatusOption = None,
    min_confidence: MinConfidenceOption = 0.0,
    max_nodes: Annotated[
        int, typer.Option("--max-nodes", help="Keep only the most connected people.")
    ] = 500,
) -> None:
    """An interactive, self-contained HTML page of the graph (works offline).

    Hover an edge for its sentence and headline; search a person; filter by relation.

    Example: `celebgraph viz -o graph.html --center "Kanye West" --depth 2`
    """
    from celebgraph import viz as visualization

    try:
        shown = visualization.visualize(
            store, output, center, depth, _split(relation), _split(status), min_confidence,
            max_nodes,
        )  # fmt: skip
    except CelebgraphError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _fail(CelebgraphError(f"{output}: {exc.strerror}")) from None
    dropped = ""
    if shown["dropped_nodes"]:
        dropped = f"; left out {shown['dropped_nodes']} people, {shown['dropped_claims']} claims"
    typer.echo(f"{output}: {shown['nodes']} people, {shown['claims']} claims{dropped}")


if __name__ == "__main__":
    app()
