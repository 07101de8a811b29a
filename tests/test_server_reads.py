"""The server worker's read path on a real store: a read that loses a file to a writer's
compaction is read again on a fresh open, whichever exception pyoxigraph raises for it.

The race itself is measured by bench/read_during_writes.py (a writer opening, writing and
closing the store in a loop; bare ``Store.read_only`` readers lose files, ~1 read in 4)
and bench/serve_during_ingest.py (the real server during a real ingest); it is too slow
and too rare to be reproduced here on demand. The error below is the one RocksDB gave in
that benchmark.
"""

from __future__ import annotations

import pytest

from celebgraph.server import worker
from test_server import build_store

LOST = (
    "Corruption: Corruption: IO error: No such file or directory: While open a file for "
    "random read: {path}/000018.sst: No such file or directory The file {path}/MANIFEST-000005"
    " may be corrupted."
)
SCAN = "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.mark.parametrize("error", [RuntimeError, OSError])
def test_server_reads_a_lost_file_is_read_again_on_a_fresh_open(tmp_path, error):
    path = build_store(tmp_path / "store")
    handle = worker._StoreHandle(str(path), writable=False)
    views = []

    def scan(db):
        views.append(db)
        if len(views) == 1:  # the first view lost a file under it
            raise error(LOST.format(path=path))
        return sum(1 for _ in db.query(SCAN))

    assert worker._read(handle, {}, scan) > 0
    assert len(views) == 2 and views[0] is not views[1]  # read again, on a new open


def test_server_reads_other_errors_are_not_retried(tmp_path):
    handle = worker._StoreHandle(str(build_store(tmp_path / "store")), writable=False)
    calls = []

    def scan(db):
        calls.append(db)
        raise RuntimeError("The SPARQL query does not contains variable ?x")

    with pytest.raises(RuntimeError, match="does not contain"):
        worker._read(handle, {}, scan)
    assert len(calls) == 1
