"""The Typer app and the options its commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from celebgraph.errors import CelebgraphError

app = typer.Typer(
    help="Turn celebrity news articles into an RDF knowledge graph, query it and export it.\n\n"
    "Example: `celebgraph ingest articles/ && celebgraph query "
    '"SELECT ?a ?b WHERE { ?a cg:interrupted ?b }"`',
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)

# A str, not a Path: a Path would turn "http://host/sparql" into "http:/host/sparql".
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="CELEBGRAPH_STORE",
        help="Store folder (default: ~/.local/share/celebgraph/store), or a SPARQL 1.1 "
        "endpoint URL such as `http://user:pass@host:8890/sparql-auth` (update endpoint: "
        "`?update=URL` or $CELEBGRAPH_UPDATE_URL; credentials also from "
        "$CELEBGRAPH_STORE_USER and $CELEBGRAPH_STORE_PASSWORD).",
        show_default=False,
    ),
]

ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model",
        help="Relation model folder made by `celebgraph train` (default: the bundled one).",
        show_default=False,
    ),
]
LayerOption = Annotated[
    str | None,
    typer.Option(
        "--layer",
        help="Who proposes claims: `union` (the hand-written rules, and the relation model "
        "where it is confident; the default), `model` (the model alone, the rules among its "
        "features) or `rules` (the rules alone).",
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


def listed(values: list[str] | None) -> list[str] | None:
    """Repeated options and comma-separated values as one list."""
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def fail(error: CelebgraphError) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=1)


def check_layer(layer: str | None) -> str | None:
    """``--layer``: one of the extraction layers, else a one-line error."""
    from celebgraph.extract.decide import LAYERS

    if layer is not None and layer not in LAYERS:
        raise fail(CelebgraphError(f"--layer: one of {', '.join(LAYERS)}, not {layer!r}"))
    return layer
