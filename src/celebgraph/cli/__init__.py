"""The ``celebgraph`` command: a thin layer over the library (:mod:`celebgraph.api`,
:mod:`celebgraph.graph`, :mod:`celebgraph.viz`, :mod:`celebgraph.server`)."""

# Importing the command modules registers their commands, in this order in --help.
from celebgraph.cli import store_commands  # noqa: F401  # isort: skip
from celebgraph.cli import gold_commands  # noqa: F401  # isort: skip
from celebgraph.cli import explore  # noqa: F401  # isort: skip
from celebgraph.cli import serve  # noqa: F401  # isort: skip
from celebgraph.cli.common import app

__all__ = ["app"]
