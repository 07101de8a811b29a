"""celebgraph: celebrity news articles → an RDF knowledge graph of relationships and incidents.

>>> import celebgraph
>>> sorted(celebgraph.RELATIONS)[:3]
['apologizedTo', 'assaulted', 'collaboratedWith']
"""

from celebgraph.api import (
    IngestReport,
    evaluate,
    example_path,
    export,
    extract,
    ingest,
    load,
    query,
    select,
    stats,
)
from celebgraph.articles import load_articles
from celebgraph.errors import ArticleError, CelebgraphError, QueryError, StoreError
from celebgraph.models import Article, Claim, Entity, Extraction
from celebgraph.ontology import CG, RELATIONS, RES, Status
from celebgraph.store import LoadReport, MemoryStore, RemoteStore, Store, TripleStore, open_store

__version__ = "0.1.0"

#: Loaded on first use, so that importing celebgraph does not import networkx and pyvis.
_LAZY = {"to_networkx": "celebgraph.graph", "visualize": "celebgraph.viz"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'celebgraph' has no attribute {name!r}")


__all__ = [
    "CG",
    "RELATIONS",
    "RES",
    "Article",
    "ArticleError",
    "CelebgraphError",
    "Claim",
    "Entity",
    "Extraction",
    "IngestReport",
    "LoadReport",
    "MemoryStore",
    "QueryError",
    "RemoteStore",
    "Status",
    "Store",
    "StoreError",
    "TripleStore",
    "evaluate",
    "example_path",
    "export",
    "extract",
    "ingest",
    "load",
    "load_articles",
    "open_store",
    "query",
    "select",
    "stats",
    "to_networkx",
    "visualize",
]
