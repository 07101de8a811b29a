"""Extraction on a Dask distributed cluster: the workers extract, this process stores.

``celebgraph ingest --cluster ADDRESS`` (or ``ingest(..., cluster=ADDRESS)``) reads the
articles here, sends them to the cluster in batches of :data:`celebgraph.processes.BATCH`
(one task each) and writes each batch's extractions into the store as they come back, in
input order, through the same path as a local ingest. A task returns its batch's
:class:`~celebgraph.models.Extraction` records (pickled by Dask), not RDF. Order matters:
a person's label is the first one stored, so writing in input order is what makes a
cluster ingest store exactly what a local one does.

Each worker builds the spaCy pipeline and the relation model once, on its first task, and
keeps them (:func:`_extractor`); a relation model folder given with ``model`` is sent to
the workers once (its files, a few MB), so it needs no shared file system. A worker that
dies mid-task has its task run again elsewhere by Dask; its result reaches this process
once, so every article is written once. Dask is an optional dependency
(``celebgraph[dask]``), imported only here.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from celebgraph.errors import ArticleError, CelebgraphError
from celebgraph.models import Article, Extraction
from celebgraph.processes import BATCH, batched

if TYPE_CHECKING:
    from distributed import Client

#: The scheduler address ``celebgraph ingest`` uses when ``--cluster`` is not given.
CLUSTER_VAR = "CELEBGRAPH_CLUSTER"
#: ``local:N`` starts a cluster of N worker processes on this machine, for this ingest.
LOCAL_PREFIX = "local"
#: Batches kept in flight per worker thread: enough that no worker waits for the next one,
#: few enough that this process holds little.
_IN_FLIGHT_PER_THREAD = 2

_INSTALL_HINT = "pip install 'celebgraph[dask]'"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise CelebgraphError(
            f"--cluster needs Dask distributed, which is not installed: {_INSTALL_HINT}"
        ) from None
    return distributed


def parse_local(address: str) -> int | None:
    """The worker count of a ``local:N`` address, None for a scheduler address.

    >>> parse_local("local:2"), parse_local("tcp://10.0.0.5:8786")
    (2, None)
    """
    name, sep, count = address.partition(":")
    if name != LOCAL_PREFIX:
        return None
    if not sep:
        return os.cpu_count() or 1
    if not count.isdigit() or int(count) < 1:
        raise CelebgraphError(
            f"cluster {address!r}: write local:N with N a number of workers ≥ 1, e.g. local:4"
        )
    return int(count)


@contextlib.contextmanager
def connect(cluster: str | Client) -> Iterator[Client]:
    """A client of ``cluster``: a scheduler address (``tcp://host:8786``), ``local:N``
    (a cluster of N one-thread worker processes here, closed afterwards) or a
    ``distributed.Client`` of the caller's, which is used as it is and left open.

    How long to wait for a scheduler is Dask's setting ``distributed.comm.timeouts.connect``
    (30 s; ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s`` in the environment).
    """
    distributed = _distributed()
    if isinstance(cluster, distributed.Client):
        yield cluster
        return
    workers = parse_local(cluster)
    with contextlib.ExitStack() as stack:
        where = cluster
        if workers is not None:
            stack.enter_context(_worker_environ())
            # One thread per worker: a spaCy pipeline runs one text at a time.
            where = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
        try:
            client = stack.enter_context(distributed.Client(where))
        except (OSError, TimeoutError) as exc:
            raise CelebgraphError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from None
        yield client


_SPAWN_ENVIRON = "distributed.nanny.pre-spawn-environ"


def _worker_environ() -> contextlib.AbstractContextManager:
    """Dask's environment for new workers, but glibc's default trimming of freed memory:
    Dask's ``MALLOC_TRIM_THRESHOLD_=65536`` made extraction 15–20 % slower (150 corpus
    articles on one worker: 25.8 s against 21.6 s); a worker's memory stays bounded by
    its batch anyway."""
    import dask

    environ = dict(dask.config.get(_SPAWN_ENVIRON, default={}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return dask.config.set({_SPAWN_ENVIRON: environ})


def identity() -> tuple[str, str]:
    """What must be the same on every machine for a cluster ingest to store what a local
    one would: celebgraph's version and the bundled relation model's digest."""
    from celebgraph import __version__
    from celebgraph.extraction.relations import bundled_model_path

    return __version__, _digest(_model_files(bundled_model_path()))


def _model_files(folder: str | Path) -> dict[str, bytes]:
    from celebgraph.extraction.relations import MODEL_FILE, WEIGHTS_FILE

    folder = Path(folder)
    try:
        return {name: (folder / name).read_bytes() for name in (MODEL_FILE, WEIGHTS_FILE)}
    except OSError as exc:
        raise CelebgraphError(f"{folder}: not a celebgraph relation model ({exc})") from None


def _digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    return digest.hexdigest()[:16]


def check_workers(client: Client) -> int:
    """Fail unless every worker runs what this machine does (see :func:`identity`); the
    number of worker threads. Workers that join later are not checked."""
    here = identity()
    seen = client.run(identity)
    if not seen:
        raise CelebgraphError("the Dask cluster has no workers")
    for worker, there in sorted(seen.items()):
        if tuple(there) != here:
            raise CelebgraphError(
                f"worker {worker} runs celebgraph {there[0]} (relation model {there[1]}), "
                f"this machine {here[0]} ({here[1]}): install the same version on every worker"
            )
    return sum(client.nthreads().values())


# One extractor per worker process and (model, layer), built by its first task.
_extractors: dict[tuple[str | None, str | None], object] = {}
_extractors_lock = threading.Lock()


def _extractor(model: tuple[str, dict[str, bytes]] | None, layer: str | None):
    from celebgraph.extraction import Extractor

    digest = model[0] if model else None
    with _extractors_lock:
        if (digest, layer) not in _extractors:
            folder = None
            if model is not None:
                folder = Path(tempfile.gettempdir()) / f"celebgraph-model-{digest}"
                folder.mkdir(exist_ok=True)
                for name, content in model[1].items():
                    # Written aside and renamed: workers on one machine share the folder.
                    part = folder / f".{name}.{os.getpid()}"
                    part.write_bytes(content)
                    part.replace(folder / name)
            _extractors[digest, layer] = Extractor(relations=folder, layer=layer)
        return _extractors[digest, layer]


# Threads of one worker share its extractor: one of them at a time may run it.
_run_lock = threading.Lock()


def extract_task(
    articles: list[Article], model: tuple[str, dict[str, bytes]] | None, layer: str | None
) -> list[Extraction | ArticleError]:
    """One task: a batch extracted on a worker."""
    extractor = _extractor(model, layer)
    with _run_lock:
        return extractor.extract_each(articles)


def extract_on_cluster(
    articles: Iterable[Article],
    cluster: str | Client,
    model: str | Path | None = None,
    layer: str | None = None,
) -> Iterator[Extraction | ArticleError]:
    """Extract ``articles`` on a Dask cluster, yielding results in input order.

    ``cluster`` is as for :func:`connect`; ``model`` and ``layer`` as for
    :func:`celebgraph.api.extract`. A batch whose worker died every time Dask tried it
    (an article that exhausts a worker's memory, say) becomes one error per article; the
    ingest goes on. When the generator is closed early its tasks are cancelled.
    """
    distributed = _distributed()
    with connect(cluster) as client:
        threads = check_workers(client)
        payload = None
        if model is not None:
            from celebgraph.extraction.relations import RelationModel

            RelationModel.load(model)  # a bad folder fails here, not on every worker
            files = _model_files(model)
            # A list of one: scatter would spread a tuple's items.
            [payload] = client.scatter([(_digest(files), files)], broadcast=True)
        pending: deque = deque()
        try:
            for chunk in batched(articles, BATCH):
                task = client.submit(extract_task, chunk, payload, layer, pure=False)
                pending.append((chunk, task))
                if len(pending) >= _IN_FLIGHT_PER_THREAD * threads:
                    yield from _result(distributed, *pending.popleft())
            while pending:
                yield from _result(distributed, *pending.popleft())
        finally:
            if pending:
                client.cancel([task for _, task in pending])


def _result(distributed, chunk: list[Article], task) -> list:
    try:
        return task.result()
    except distributed.KilledWorker:
        return [
            ArticleError(
                f"{article.path or article.id}: extraction failed (its worker died every time"
                " it was tried: out of memory?)"
            )
            for article in chunk
        ]
    except (OSError, TimeoutError, distributed.comm.CommClosedError) as exc:
        raise CelebgraphError(
            f"lost the Dask cluster ({exc or type(exc).__name__}): what was extracted is"
            " stored; run the same ingest again to finish"
        ) from None
