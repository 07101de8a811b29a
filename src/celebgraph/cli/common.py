"""The Typer app, the options its commands share, and how the commands print.

Everything printed that comes from input (file names, names, sentences, messages quoting
them) goes through :func:`printable`, so that no input can forge a line, move the cursor or
colour the terminal. The standard output of the ``celebgraph`` process is guarded: a write
that fails (disk full, pipe closed, stdout closed) ends the command with one ``error:`` line.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from celebgraph.errors import CelebgraphError
from celebgraph.text import printable


def echo_error(message: object) -> None:
    """Print ``error: MESSAGE`` on stderr, as one line (see :func:`printable`)."""
    typer.echo(f"error: {printable(message)}", err=True)


class StdoutError(CelebgraphError):
    """The command's output cannot be written: the disk is full, the pipe or stdout closed."""


class _GuardedStdout(io.RawIOBase):
    """File descriptor 1 as the command's output. The first write that fails raises a
    :class:`StdoutError`; later writes (the flush at exit) are dropped, so that nothing
    more is said about it."""

    def __init__(self, problem: str | None) -> None:
        super().__init__()
        self.problem = problem  # why nothing can be written, when known from the start
        self.failed = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return 1

    def isatty(self) -> bool:
        return self.problem is None and os.isatty(1)

    def write(self, data: Any) -> int:
        if self.failed:
            return len(data)
        if self.problem is None:
            try:
                return os.write(1, data)
            except OSError as exc:
                self.problem = exc.strerror or str(exc)
        self.failed = True
        raise StdoutError(f"standard output: cannot write ({self.problem})")


def _guard_stdout() -> None:
    """Make ``sys.stdout`` a :class:`_GuardedStdout`. A closed stdin, stdout or stderr is
    first opened on the null device: else the store's files, opened later, would get its
    number and receive what is meant for the terminal."""
    closed = None
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            closed = "it is closed" if fd == 1 else closed
    old = sys.stdout
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_GuardedStdout(closed)),
        encoding=old.encoding if old else None,
        errors=old.errors if old else None,
        line_buffering=old.line_buffering if old else False,
    )


class _App(typer.Typer):
    """The ``celebgraph`` command; run as a process, its standard output is guarded."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _guard_stdout()
        try:
            return super().__call__(*args, **kwargs)
        except StdoutError as exc:
            echo_error(exc)
            sys.exit(1)


app = _App(
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
    """Print the error as one line; the exit to raise (code 1)."""
    echo_error(error)
    return typer.Exit(code=1)


def check_layer(layer: str | None) -> str | None:
    """``--layer``: one of the extraction layers, else a one-line error."""
    from celebgraph.extraction.decide import LAYERS

    if layer is not None and layer not in LAYERS:
        raise fail(CelebgraphError(f"--layer: one of {', '.join(LAYERS)}, not {layer!r}"))
    return layer


@contextlib.contextmanager
def progress_bar(quiet: bool) -> Iterator[Callable[[str, int | None], None]]:
    """A progress bar per stage on stderr (stdout is for results): ``on_step(stage, total)``
    starts one (``total`` None: unknown), later calls with ``None`` advance it."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, object] = {}
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=quiet or not sys.stderr.isatty(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:

        def on_step(stage: str, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            else:
                progress.advance(tasks[stage])

        yield on_step
