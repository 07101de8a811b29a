"""``celebgraph serve``: the store as a SPARQL 1.1 endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from celebgraph.cli.common import StoreOption, app, fail
from celebgraph.errors import CelebgraphError


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str, typer.Option(help="Address to bind (0.0.0.0 exposes it).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8000,
    timeout: Annotated[float, typer.Option(help="Seconds one query may run.")] = 30.0,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Most rows in one answer.")] = 10_000,
    workers: Annotated[int, typer.Option(help="Query processes side by side.")] = 2,
    allow_update_token: Annotated[
        str | None,
        typer.Option(
            "--allow-update-token",
            help="Enable SPARQL Update for requests with `Authorization: Bearer TOKEN`.",
            show_default=False,
        ),
    ] = None,
    graph_page: Annotated[
        Path | None,
        typer.Option("--graph-page", help="HTML page to serve at /graph (from `celebgraph viz`)."),
    ] = None,
    max_memory: Annotated[
        int,
        typer.Option("--max-memory", help="MB of memory one query may take (503 above)."),
    ] = 2048,
    allow_federation: Annotated[
        bool,
        typer.Option(
            "--allow-federation",
            help="Let queries use SERVICE and updates LOAD remote IRIs (public addresses).",
        ),
    ] = False,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="A host SERVICE/LOAD may reach even on a loopback or private address "
            "(repeatable; needs --allow-federation).",
            show_default=False,
        ),
    ] = None,
    server_name: Annotated[
        list[str] | None,
        typer.Option(
            "--server-name",
            help="A name clients may address the server by (the Host header), besides "
            "localhost and loopback addresses (repeatable).",
            show_default=False,
        ),
    ] = None,
    idle_timeout: Annotated[
        float, typer.Option("--idle-timeout", help="Seconds an idle connection stays open.")
    ] = 5.0,
) -> None:
    """Serve the store as a SPARQL 1.1 endpoint at http://HOST:PORT/sparql.

    GET and POST; JSON, XML, CSV, TSV, Turtle, N-Triples or JSON-LD by Accept header; the
    service description at GET /sparql; a query page at / and the graph page at /graph.
    Read-only unless --allow-update-token is given (then the server holds the store and no
    ingest can run meanwhile). Queries over --timeout seconds or --max-memory MB are
    stopped (503); answers are cut at --max-rows. SERVICE and LOAD are refused unless
    --allow-federation is given. Requests addressed to another name than localhost or a
    loopback address (the Host header) are refused (403, against DNS rebinding) unless the
    name is given with --server-name.

    Example: `celebgraph serve --store graph-store --port 8000`
    """
    from celebgraph import server
    from celebgraph.store import default_store_spec, is_remote

    spec = store or default_store_spec()
    if is_remote(spec):
        raise fail(
            CelebgraphError(
                "serve needs an embedded store folder, not a SPARQL endpoint URL: that server "
                "answers SPARQL already; point your clients at it"
            )
        )
    try:
        config = server.ServerConfig(
            store=Path(spec),
            host=host,
            port=port,
            timeout=timeout,
            max_rows=max_rows,
            update_token=allow_update_token,
            graph_page=graph_page,
            workers=workers,
            max_memory_mb=max_memory,
            allow_federation=allow_federation,
            allow_hosts=tuple(allow_host or ()),
            server_names=tuple(server_name or ()),
            idle_timeout=idle_timeout,
        )
        server.serve(config)
    except ValueError as exc:
        raise fail(CelebgraphError(str(exc))) from None
    except CelebgraphError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(CelebgraphError(f"cannot listen on {host}:{port}: {exc.strerror}")) from None
