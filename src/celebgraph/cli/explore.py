"""Commands that explore the person graph: top, path, ego, communities, viz."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from celebgraph.cli.common import (
    MinConfidenceOption,
    MinSupportOption,
    RelationOption,
    StatusOption,
    StoreOption,
    app,
    fail,
    listed,
)
from celebgraph.errors import CelebgraphError


def _people(store, relation, status, min_confidence, min_support):
    from celebgraph import graph

    return graph.to_networkx(store, listed(relation), listed(status), min_confidence, min_support)


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
        raise fail(exc) from None
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
        raise fail(exc) from None
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
        raise fail(exc) from None
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
        raise fail(exc) from None
    for number, members in enumerate(groups, 1):
        names = sorted(people.nodes[m]["label"] for m in members)
        typer.echo(f"{number:>3}  ({len(members)})  {', '.join(names)}")


_PAGE = Path("graph.html")


@app.command()
def viz(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="HTML file to write (- for stdout), whole or not at all; a new path or a "
            "regular file, never a link, device or pipe.",
        ),
    ] = _PAGE,
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
    import sys

    from celebgraph import viz as visualization
    from celebgraph.outputs import check_output
    from celebgraph.text import printable

    try:
        target = check_output(output)  # before any work is done
        drawn = visualization.visualize(
            store,
            target or sys.stdout.buffer,
            center,
            depth,
            listed(relation),
            listed(status),
            min_confidence,
            max_nodes,
        )
    except CelebgraphError as exc:
        raise fail(exc) from None
    except OSError as exc:  # writing to stdout (a file's errors are OutputErrors)
        raise fail(CelebgraphError(f"stdout: {exc.strerror}")) from None
    dropped = ""
    if drawn["dropped_nodes"]:
        dropped = f"; left out {drawn['dropped_nodes']} people, {drawn['dropped_claims']} claims"
    typer.echo(  # on stderr when the page itself is on stdout
        f"{printable(target or 'stdout')}: {drawn['nodes']} people, "
        f"{drawn['claims']} claims{dropped}",
        err=target is None,
    )
