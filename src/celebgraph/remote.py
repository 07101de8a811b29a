"""Kept for code written before the ``celebgraph.store`` package: the remote store is
:mod:`celebgraph.store.remote` now."""

from celebgraph.store.remote import (  # noqa: F401
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    RemoteStore,
    is_remote,
    parse_spec,
)
from celebgraph.store.sparql import projection as _projection  # noqa: F401
from celebgraph.store.sparql import with_values  # noqa: F401
