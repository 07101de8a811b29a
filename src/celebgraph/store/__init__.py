"""celebgraph's stores, behind one contract (:class:`TripleStore`).

:func:`open_store` is the one place that picks a backend from a spec:

- an ``http://`` or ``https://`` URL: a SPARQL 1.1 server (:class:`RemoteStore`, see
  :mod:`celebgraph.store.remote` for the update URL and credentials);
- ``":memory:"``: a store in memory (:class:`MemoryStore`);
- anything else: a folder of the embedded on-disk :class:`Store`
  (:mod:`celebgraph.store.embedded`: locks, read-only openings, damage in one line).

Layout: ``protocol`` (the contract, :class:`QueryResult`), ``formats`` (the one table of
RDF and results formats), ``sparql`` (the one place that writes SPARQL text), ``embedded``,
``remote``, ``memory`` (the backends), ``bulk`` (bulk loading of dataset files). The
modules import one another in that order only: no import circle.

>>> with open_store(":memory:") as store:
...     store.count_graphs(), isinstance(store, TripleStore)
(0, True)
"""

from __future__ import annotations

import os
from pathlib import Path

from celebgraph.store.bulk import LoadReport
from celebgraph.store.embedded import (
    ENV_VAR,
    LOCK_TIMEOUT_VAR,
    Store,
    default_store_path,
    lock_timeout,
)
from celebgraph.store.formats import RDF_FORMATS, RESULTS_FORMATS
from celebgraph.store.memory import MEMORY, MemoryStore, dump
from celebgraph.store.protocol import QueryResult, Triples, TripleStore
from celebgraph.store.remote import RemoteStore, is_remote
from celebgraph.store.sparql import replace_update, to_oxigraph, to_substitutions

__all__ = [
    "ENV_VAR",
    "LOCK_TIMEOUT_VAR",
    "MEMORY",
    "RDF_FORMATS",
    "RESULTS_FORMATS",
    "LoadReport",
    "MemoryStore",
    "QueryResult",
    "RemoteStore",
    "Store",
    "TripleStore",
    "Triples",
    "default_store_path",
    "default_store_spec",
    "dump",
    "is_remote",
    "is_store",
    "lock_timeout",
    "open_store",
    "replace_update",
    "to_oxigraph",
    "to_substitutions",
]


def is_store(value: object) -> bool:
    """Is this an open store (of any backend) rather than a store spec?"""
    return isinstance(value, Store | RemoteStore | MemoryStore)


def default_store_spec() -> str | Path:
    """``$CELEBGRAPH_STORE`` as given (a folder or a SPARQL endpoint URL), else the default
    folder."""
    return os.environ.get(ENV_VAR) or default_store_path()


def open_store(
    spec: str | Path | None = None,
    timeout: float | None = None,
    read_only: bool = False,
    hold_lock: bool = True,
) -> Store | RemoteStore | MemoryStore:
    """Open the store a spec names (see the module documentation); ``None`` means
    ``$CELEBGRAPH_STORE``, else the default folder.

    ``timeout`` is how long to wait for an embedded store another process holds, or how
    long one request to a server may take. ``read_only`` and ``hold_lock`` apply to the
    embedded store (see :class:`Store`).
    """
    if spec is None:
        spec = default_store_spec()
    if is_remote(spec):
        return RemoteStore(str(spec), timeout=timeout)
    if spec == MEMORY:
        return MemoryStore()
    return Store(spec, timeout=timeout, read_only=read_only, hold_lock=hold_lock)
