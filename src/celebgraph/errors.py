"""The errors celebgraph raises. Each message says what went wrong and what to do."""

from __future__ import annotations


class CelebgraphError(Exception):
    """Base class of every error celebgraph raises on purpose."""


class ArticleError(CelebgraphError):
    """An input file could not be read as an article (the message names the file)."""


class ModelError(CelebgraphError):
    """The spaCy English model is missing or broken."""


class StoreError(CelebgraphError):
    """The RDF store could not be opened, read or written."""


class StoreBusyError(StoreError):
    """The store stayed locked by another process for longer than the lock timeout."""


class NoStoreError(StoreError):
    """A reader was given a folder that holds no store (reading never creates one)."""


class StoreDamagedError(StoreError):
    """A file of the store is missing or damaged: the message names it and says how to get
    the data back. Nothing more is written to such a store."""


class QueryError(CelebgraphError):
    """A SPARQL query could not be parsed or run."""


class GoldError(CelebgraphError):
    """A gold-standard folder is missing files or has malformed rows."""
