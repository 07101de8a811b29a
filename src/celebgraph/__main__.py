"""`python -m celebgraph`."""

from celebgraph.cli import app

app(prog_name="celebgraph")
