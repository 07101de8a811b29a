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


def listed(values: list[str] | None) -> list[str] | None:
    """Repeated options and comma-separated values as one list."""
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def fail(error: CelebgraphError) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=1)
