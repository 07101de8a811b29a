"""The library API the command line is a thin layer over.

>>> import celebgraph, tempfile
>>> store = tempfile.mkdtemp()
>>> report = celebgraph.ingest([celebgraph.example_path()], store=store, jobs=1)
>>> report.articles, report.failed
(1, 0)
>>> rows = celebgraph.select(store, '''
...     SELECT ?who WHERE { ?who cg:interrupted ?whom . ?whom rdfs:label "Taylor Swift" }''')
>>> [r["who"].value for r in rows]
['https://w3id.org/celebgraph/resource/person/kanye-west']
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib.compare import to_canonical_graph

from celebgraph.articles import load_articles
from celebgraph.errors import ArticleError, CelebgraphError, StoreDamagedError
from celebgraph.models import Article, Extraction
from celebgraph.ontology import ONTOLOGY_GRAPH, ontology_graph
from celebgraph.processes import BATCH, StopSignals, batched, become_worker, kill_workers
from celebgraph.rdf import article_change
from celebgraph.resources import resource_path
from celebgraph.store import (
    LoadReport,
    QueryResult,
    Store,
    Triples,
    TripleStore,
    is_store,
    open_store,
)

if TYPE_CHECKING:
    from distributed import Client

#: ``ingest`` holds the store only while it writes: it collects extracted articles for this
#: many seconds (``$CELEBGRAPH_WRITE_INTERVAL``), then opens the store, writes them (one
#: transaction each) and closes it again, so that queries and other writers get their turn.
#: Opening costs about 0.1 s, so a few seconds keep the overhead near 1 %.
WRITE_INTERVAL_VAR = "CELEBGRAPH_WRITE_INTERVAL"
DEFAULT_WRITE_INTERVAL = 5.0
#: ... or as soon as this many articles are waiting to be written.
_MAX_PENDING = 500


def example_path() -> Path:
    """The bundled example article (the 2009 Kanye West / Jay Leno story)."""
    return resource_path("data", "example", "000_7932dd633e8b28b2.txt")


@dataclass
class IngestReport:
    """What an ingest did: counts, and one message per input that failed.

    ``skipped`` counts the files of folders that are not articles (see
    :func:`celebgraph.articles.iter_files`); ``unfinished`` the articles read but neither
    stored nor failed, because the ingest was interrupted.
    """

    articles: int = 0
    triples: int = 0
    claims: Counter = field(default_factory=Counter)  # status value → count
    persons: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0
    unfinished: int = 0

    @property
    def failed(self) -> int:
        return len(self.errors)


class IngestInterrupted(KeyboardInterrupt):
    """An ingest stopped by a signal (Ctrl-C): what was extracted is stored, ``report``
    says what; ``signum`` is the signal, None when it is not known."""

    def __init__(self, report: IngestReport, signum: int | None) -> None:
        super().__init__(report, signum)
        self.report = report
        self.signum = signum


# One extractor per worker process, built by the pool initializer.
_worker_extractor = None


def _init_worker(model: str | Path | None, layer: str | None, parent: int) -> None:
    global _worker_extractor
    from celebgraph.extraction import Extractor

    become_worker(parent)  # first: a worker must never outlive the ingest
    _worker_extractor = Extractor(relations=model, layer=layer)


def _extract_batch(articles: list[Article]) -> list[Extraction | ArticleError]:
    return _worker_extractor.extract_each(articles)


def extract(
    articles: Iterable[Article],
    jobs: int | None = None,
    model: str | Path | None = None,
    layer: str | None = None,
    cluster: str | Client | None = None,
) -> Iterator[Extraction | ArticleError]:
    """Extract people and claims from articles, in input order, on ``jobs`` processes.

    ``model`` is a relation model folder (default: the bundled one, see
    ``celebgraph train``); ``layer`` is ``model``, ``rules`` or ``union`` (default: see
    :mod:`celebgraph.extraction.decide`). ``cluster`` (a Dask scheduler address,
    ``local:N`` or a ``distributed.Client``) extracts on a Dask cluster instead of local
    processes (see :mod:`celebgraph.cluster`); it excludes ``jobs``.

    The worker processes end with this generator: when it is exhausted, closed or
    interrupted (their batches in progress are then dropped), and when this process ends,
    however it ends (see :mod:`celebgraph.processes`).
    """
    if cluster is not None:
        if jobs:
            raise CelebgraphError(
                "jobs is for local extraction; on a cluster, its workers extract: give one"
            )
        from celebgraph.cluster import extract_on_cluster

        yield from extract_on_cluster(articles, cluster, model, layer)
        return
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1:
        from celebgraph.extraction import Extractor

        extractor = Extractor(relations=model, layer=layer)
        for batch in batched(articles, BATCH):
            yield from extractor.extract_each(batch)
        return
    # Executor.map would read every article up front; keep a few batches in flight so
    # memory stays flat however large the corpus.
    if model is not None:
        from celebgraph.extraction.relations import RelationModel

        RelationModel.load(model)  # a bad model folder fails here, once, not in every worker
    pool = ProcessPoolExecutor(
        max_workers=jobs, initializer=_init_worker, initargs=(model, layer, os.getpid())
    )
    try:
        pending: deque = deque()
        for batch in batched(articles, BATCH):
            pending.append(pool.submit(_extract_batch, batch))
            if len(pending) >= 2 * jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    except BrokenProcessPool:
        kill_workers(pool)
        raise CelebgraphError(
            "an extraction worker died (killed, or out of memory): the articles of its batch "
            "and those after it were not extracted; run the same ingest again to finish"
        ) from None
    except BaseException:
        # Interrupted, closed early or a worker died: the work in progress is not wanted.
        kill_workers(pool)
        raise
    pool.shutdown()


def write_extraction(db: TripleStore, extraction: Extraction) -> int:
    """Store one article: its own graph replaced, its people added, in one transaction."""
    return db.replace_graph(*article_change(extraction))


def _write_interval() -> float:
    raw = os.environ.get(WRITE_INTERVAL_VAR, "").strip()
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_WRITE_INTERVAL
    except ValueError:
        raise CelebgraphError(
            f"{WRITE_INTERVAL_VAR} must be a number of seconds, not {raw!r}"
        ) from None


class _Writer:
    """Writes extraction results in turns: open the store, write what is pending, close."""

    def __init__(
        self,
        store: TripleStore | str | Path | None,
        report: IngestReport,
        on_article: Callable[[Extraction | ArticleError], None] | None,
    ) -> None:
        self.shared = store if is_store(store) else None
        self.path = None if self.shared else store
        self.report = report
        self.on_article = on_article
        self.interval = _write_interval()
        self.pending: list[Extraction | ArticleError] = []
        self.last = time.monotonic()
        if self.shared is None:
            # Fail (or wait for another writer) now, not after minutes of extraction.
            with open_store(self.path) as db:
                db.check()

    def add(self, result: Extraction | ArticleError) -> None:
        self.pending.append(result)
        if time.monotonic() - self.last >= self.interval or len(self.pending) >= _MAX_PENDING:
            self.flush()

    def flush(self, final: bool = False) -> None:
        if not self.pending and not final:
            return
        db = self.shared or open_store(self.path)
        try:
            try:
                pending, self.pending = self.pending, []
                for group in batched(pending, BATCH):
                    self._write_group(db, group)
                if final:
                    # Blank nodes become fixed IRIs (skolemised from canonical labels): a
                    # store's blank nodes are new on every write, and re-ingesting must give
                    # the same triples.
                    ontology = to_canonical_graph(ontology_graph()).skolemize(
                        authority="https://w3id.org",
                        basepath="/celebgraph/ontology/.well-known/genid/",
                    )
                    try:
                        db.replace_graph(ONTOLOGY_GRAPH, ontology)
                    except StoreDamagedError:
                        raise
                    except CelebgraphError as exc:
                        # A line of the report: raised, it would hide the articles that failed.
                        self.report.errors.append(f"{exc}; ingest again to write it")
            finally:
                if self.shared is None:
                    db.close()  # its flush may be what meets the damage
        except StoreDamagedError as exc:
            # Every further write would fail the same way: stop, saying what is stored.
            raise StoreDamagedError(
                f"{exc}; ingest stopped: {self.report.articles} articles stored, the rest not"
            ) from None
        self.last = time.monotonic()

    def _write_group(self, db: TripleStore, group: list[Extraction | ArticleError]) -> None:
        """The group goes to the store at once (one request to a SPARQL server, one
        transaction of the embedded store); if it refuses, the articles go one by one, so
        that the one at fault is named and only it is lost."""
        stored = [r for r in group if isinstance(r, Extraction)]
        if len(stored) > 1:
            try:
                counts = iter(db.replace_graphs([article_change(r) for r in stored]))
            except StoreDamagedError:
                raise
            except CelebgraphError:
                pass
            else:
                for result in group:
                    self._record(result, 0 if isinstance(result, ArticleError) else next(counts))
                return
        for result in group:
            self._write(db, result)

    def _write(self, db: TripleStore, result: Extraction | ArticleError) -> None:
        triples = 0
        if isinstance(result, Extraction):
            try:
                triples = write_extraction(db, result)
            except StoreDamagedError:
                raise  # not this article's fault: the ingest stops (see flush)
            except Exception as exc:  # one article that cannot be stored costs only itself
                where = result.article.path or result.article.id
                message = str(exc) if isinstance(exc, CelebgraphError) else repr(exc)
                result = ArticleError(f"{where}: cannot store ({message})")
        self._record(result, triples)

    def _record(self, result: Extraction | ArticleError, triples: int) -> None:
        """Count a result in the report, once it is stored (or failed)."""
        report = self.report
        if isinstance(result, ArticleError):
            report.errors.append(str(result))
        else:
            report.triples += triples
            report.articles += 1
            report.claims.update(c.status.value for c in result.claims)
            report.persons.update(result.entities)
        if self.on_article is not None:
            self.on_article(result)


def ingest(
    paths: Sequence[str | Path],
    store: TripleStore | str | Path | None = None,
    jobs: int | None = None,
    on_article: Callable[[Extraction | ArticleError], None] | None = None,
    model: str | Path | None = None,
    layer: str | None = None,
    stop_signals: Collection[int] = (signal.SIGINT,),
    cluster: str | Client | None = None,
) -> IngestReport:
    """Read, extract and store articles; each article replaces its own named graph.

    ``model`` is a relation model folder made by ``celebgraph train`` (default: the one
    that ships with celebgraph); ``layer`` who proposes claims; ``cluster`` a Dask cluster
    to extract on instead of ``jobs`` local processes (see :func:`extract`): the store gets
    the same triples either way.

    Bad inputs are reported in :attr:`IngestReport.errors` (one line each: file, line,
    problem) and skipped; nothing of a failed article reaches the store. Two articles with
    the same id are an error (see :func:`celebgraph.articles.load_articles`). Each article
    is written in one transaction, so a crash or kill leaves only whole articles, and
    running the same ingest again completes the store.

    Given a path, the store is opened only to write (every few seconds, see
    :data:`DEFAULT_WRITE_INTERVAL`), so queries and exports can run while an ingest does;
    another process holding the store is waited for (see :class:`Store`). Given an open
    :class:`Store`, that store is used throughout.

    A signal of ``stop_signals`` (default: SIGINT, Ctrl-C) stops the ingest cleanly when it
    runs in the main thread and the signal has its default handler: the workers are ended,
    what was extracted is stored, and :class:`IngestInterrupted` (a KeyboardInterrupt)
    carries the report. A signal that comes while articles are written lets the write
    finish; a second one does not wait.
    """
    report = IngestReport()
    read = written = 0

    def counted(articles: Iterable[Article]) -> Iterator[Article]:
        nonlocal read
        for article in articles:
            read += 1
            yield article

    def done(result: Extraction | ArticleError) -> None:
        nonlocal written
        written += 1
        if on_article is not None:
            on_article(result)

    def skipped(_: Path) -> None:
        report.skipped += 1

    with StopSignals(stop_signals) as stop:
        writer = results = None
        try:
            writer = _Writer(store, report, done)
            articles = load_articles(paths, lambda e: report.errors.append(str(e)), skipped)
            results = extract(counted(articles), jobs, model, layer, cluster)
            for result in results:
                with stop.shielded():
                    writer.add(result)
            with stop.shielded():
                writer.flush(final=True)
        except BaseException as exc:
            # Keep what was already extracted; a second Ctrl-C cuts this short, too.
            with contextlib.suppress(Exception, KeyboardInterrupt):
                if results is not None:
                    results.close()  # ends the workers now
                if writer is not None:
                    writer.flush()
            if not isinstance(exc, KeyboardInterrupt):
                raise
            report.unfinished = read - written
            raise IngestInterrupted(report, stop.signum) from None
    return report


def load(
    paths: Sequence[str | Path],
    store: TripleStore | str | Path | None = None,
    jobs: int | None = None,
) -> LoadReport:
    """Bulk-load RDF dataset files (``.nq``, ``.trig``, ``.jsonld``; folders recursively)
    into the embedded store, on ``jobs`` threads (default: one per core).

    For the N-Quads shards that ``celebgraph export`` writes: article graphs replace those
    of the same name, the people and ontology graphs are merged (see
    :mod:`celebgraph.store.bulk`). A file that is malformed or holds triples outside a named
    graph is reported in :attr:`LoadReport.errors` and skipped, before anything is written.
    """
    db, owned = _open(store)
    try:
        return db.load_files(paths, jobs)  # a remote store refuses, naming the way
    finally:
        if owned:
            db.close()


def _open(
    store: TripleStore | str | Path | None, read_only: bool = False
) -> tuple[TripleStore, bool]:
    """The store to use, and whether this call opened it (and closes it). Readers open it
    read-only, so that reading never changes the store folder."""
    if is_store(store):
        return store, False
    return open_store(store, read_only=read_only), True


def query(
    store: TripleStore | str | Path | None,
    sparql: str,
    substitutions: Mapping[str, object] | None = None,
) -> QueryResult:
    """Run SPARQL (SELECT, ASK, CONSTRUCT, DESCRIBE) over the store's union graph.

    ``substitutions`` binds variables to values (``{"name": "Kanye West"}`` binds ``?name``
    to that string literal): the way to put user input into a query, never by pasting it
    into the SPARQL text. Queries cannot change the store (updates are not queries).

    The result is read fully before the store is closed when this call opened it, so the
    store is held only for the query.
    """
    db, owned = _open(store, read_only=True)
    try:
        result = db.query(sparql, substitutions)
        if owned and isinstance(db, Store):  # a remote store's answers are read already
            with db.reading():
                result = _materialize(result)
        return result
    finally:
        if owned:
            db.close()


def _materialize(result: QueryResult) -> QueryResult:
    """The result read whole, in the same types, so that it outlives the store handle."""
    import pyoxigraph as ox

    if result.kind == "graph":
        return QueryResult("graph", Triples(list(result.raw)))
    # Re-parsed from a serialisation: solutions and booleans alike.
    data = result.raw.serialize(format=ox.QueryResultsFormat.JSON)
    return QueryResult(result.kind, ox.parse_query_results(data, ox.QueryResultsFormat.JSON))


def select(
    store: TripleStore | str | Path | None,
    sparql: str,
    substitutions: Mapping[str, object] | None = None,
) -> list[dict[str, object]]:
    """Rows of a SELECT query as dicts of variable name → pyoxigraph term.

    ``substitutions`` as in :func:`query`: ``select(store, "SELECT ?p WHERE { ?p rdfs:label
    ?name }", {"name": user_input})`` looks a name up safely, whatever it contains.
    """
    result = query(store, sparql, substitutions)
    if result.kind != "select":
        raise CelebgraphError("select() needs a SELECT query")
    names = [v.value for v in result.raw.variables]
    # The rows of an open Store are read here, lazily: its errors become one line.
    with store.reading() if isinstance(store, Store) else contextlib.nullcontext():
        return [{n: row[n] for n in names if row[n] is not None} for row in result.raw]


STATS_QUERY = """
SELECT
  (COUNT(DISTINCT ?article) AS ?articles)
  (COUNT(DISTINCT ?person) AS ?persons)
  (COUNT(DISTINCT ?claim) AS ?claims)
WHERE {
  { ?article a schema:NewsArticle } UNION { ?any schema:mentions ?person }
  UNION { ?claim a cg:Claim }
}"""

STATUS_QUERY = """
SELECT ?status (COUNT(DISTINCT ?claim) AS ?n) WHERE { ?claim a cg:Claim ; cg:status ?status }
GROUP BY ?status"""

RELATION_QUERY = """
SELECT ?relation (COUNT(DISTINCT ?claim) AS ?n)
WHERE { ?claim a cg:Claim ; rdf:predicate ?relation }
GROUP BY ?relation ORDER BY DESC(?n)"""


def stats(store: TripleStore | str | Path | None) -> dict[str, object]:
    """Counts of articles, persons, claims (by status and relation) and triples."""
    db, owned = _open(store, read_only=True)
    try:
        totals = select(db, STATS_QUERY)[0]
        result = {k: int(v.value) for k, v in totals.items()}
        result["triples"] = len(db)
        result["claims_by_status"] = {
            str(r["status"].value).rsplit("#", 1)[-1].lower(): int(r["n"].value)
            for r in select(db, STATUS_QUERY)
        }
        result["claims_by_relation"] = {
            str(r["relation"].value).rsplit("#", 1)[-1]: int(r["n"].value)
            for r in select(db, RELATION_QUERY)
        }
        return result
    finally:
        if owned:
            db.close()


def export(store: TripleStore | str | Path | None, output, fmt: str = "nquads") -> None:
    """Write the whole graph to a binary file object in ``fmt``."""
    db, owned = _open(store, read_only=True)
    try:
        db.export(output, fmt)
    finally:
        if owned:
            db.close()


def evaluate(
    gold: str | Path,
    corpus: str | Path | None = None,
    articles: Iterable[str] | None = None,
    jobs: int | None = None,
    model: str | Path | None = None,
    layer: str | None = None,
    folds: int = 0,
    on_step: Callable[[str, int | None], None] | None = None,
):
    """Extract the gold set's articles and score them (see :mod:`celebgraph.scoring`).

    ``corpus`` defaults to ``<gold>/../../corpus`` (the layout of the gold sets);
    ``articles`` restricts the evaluation to some article ids. With ``folds``, the gold
    articles are split into that many folds and each fold is extracted by a model trained
    on the others (the ``model`` argument is then not used); the result's ``thresholds``
    are the folds' decision thresholds. ``on_step(stage, total)`` is called when a stage
    starts, then ``on_step(stage, None)`` at each of its steps (for a progress bar).
    """
    from celebgraph.annotations import load_gold
    from celebgraph.scoring import score_extractions

    gold_dir = Path(gold)
    corpus_dir = Path(corpus) if corpus else gold_dir.parent.parent / "corpus"
    wanted = {a.rsplit("/", 1)[-1] for a in articles} if articles else None
    truth = load_gold(gold_dir, wanted, corpus=corpus_dir)
    if folds:
        from celebgraph import train

        reading = _stage(on_step, "reading", len(truth.articles))
        samples = train.collect(truth, corpus_dir, progress=reading)
        settings = train.Settings(layer=layer) if layer else train.Settings()
        fitting = _stage(on_step, "training", train.steps(folds, settings))
        result = train.cross_validate(samples, truth, folds, settings, fitting)
        found = score_extractions(result.extractions, truth)
        found.thresholds = result.thresholds
        return found
    paths = [corpus_dir / f"{rel}.txt" for rel in truth.articles]

    advance = _stage(on_step, "extracting", len(paths))

    def extracted() -> Iterator[Extraction]:
        for result in extract(load_articles(paths), jobs, model, layer):
            if isinstance(result, ArticleError):
                raise result
            if advance is not None:
                advance(1)
            yield result

    return score_extractions(extracted(), truth)


def train_model(
    gold: str | Path,
    corpus: str | Path,
    output: str | Path,
    on_step: Callable[[str, int | None], None] | None = None,
):
    """Train a relation model on a gold set and write it to ``output`` (see
    :mod:`celebgraph.train`); returns the model."""
    from celebgraph import train as training
    from celebgraph.annotations import load_gold

    truth = load_gold(gold, corpus=corpus)
    samples = training.collect(
        truth, corpus, progress=_stage(on_step, "reading", len(truth.articles))
    )
    settings = training.Settings()
    model = training.fit(
        samples, truth, settings, _stage(on_step, "training", training.steps(0, settings))
    )
    model.save(output)
    return model


def _stage(
    on_step: Callable[[str, int | None], None] | None, stage: str, total: int
) -> Callable[[int], None] | None:
    if on_step is None:
        return None
    on_step(stage, total)
    return lambda _: on_step(stage, None)
