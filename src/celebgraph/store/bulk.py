"""Bulk loading: RDF dataset files (N-Quads, TriG, JSON-LD) into the embedded store.

The way to merge the N-Quads shards of extraction jobs that ran apart (``celebgraph export``
of each), or to move a whole graph from one store to another, at a few hundred thousand
triples a second. Every file is parsed once to check it before anything is written, so a
malformed file costs only itself; then the files are written by several threads at once
(an N-Quads file is cut into byte ranges at line ends, one per thread).

What a load means, as with ``ingest``:

- an article graph in the files replaces the graph of that name in the store;
- the shared graphs (people, ontology) are merged, and a person keeps one ``rdfs:label``:
  the one the store had, else the first one the files give; another label a file gives
  becomes a ``skos:altLabel``;
- triples outside a named graph are refused (every celebgraph triple lives in one).

Loading is not one transaction: a load that is killed can leave part of the files in the
store. Loading the same files again completes it, since graphs are replaced, not added to.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> shard = folder / "shard.nq"
>>> _ = shard.write_text(
...     '<https://example.org/a> <https://example.org/p> "1" <https://example.org/g> .\\n')
>>> db = ox.Store()
>>> report = load_files(db, [shard])
>>> report.quads, report.graphs, report.errors
(1, 1, [])
"""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import RDFS, SKOS

from celebgraph.ontology import ONTOLOGY_GRAPH, PEOPLE_GRAPH, SCHEMA
from celebgraph.store.formats import DATASET_SUFFIXES
from celebgraph.store.sparql import delete_data, drop_graphs, insert_data

#: Formats that keep named graphs, by file suffix (``celebgraph export`` writes them).
FORMATS = DATASET_SUFFIXES
#: An N-Quads file is cut into one byte range per thread, but none smaller than this.
MIN_RANGE_BYTES = 4 * 1024 * 1024

_SHARED = {ox.NamedNode(str(PEOPLE_GRAPH)), ox.NamedNode(str(ONTOLOGY_GRAPH))}
_PEOPLE = ox.NamedNode(str(PEOPLE_GRAPH))
_LABEL = ox.NamedNode(str(RDFS.label))
_ALT_LABEL = ox.NamedNode(str(SKOS.altLabel))
_MENTIONS = ox.NamedNode(str(SCHEMA.mentions))


@dataclass
class LoadReport:
    """What a bulk load did: files and quads loaded, graphs written and replaced, and one
    message per file that was refused."""

    files: int = 0
    quads: int = 0
    graphs: int = 0
    replaced: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)


@dataclass
class _Checked:
    """A file that parsed: its format, size, named graphs and the labels it gives."""

    path: Path
    format: ox.RdfFormat
    quads: int
    graphs: set[ox.NamedNode | ox.BlankNode]
    labels: dict[ox.NamedNode | ox.BlankNode, list[ox.Literal]]


def dataset_files(paths: Iterable[str | Path], errors: list[str]) -> Iterator[Path]:
    """The dataset files named by ``paths``, folders expanded recursively (sorted)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # rglob does not follow links to folders: a link loop cannot trap the walk.
            found = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in FORMATS and p.is_file()
            )
            if not found:
                errors.append(f"{path}: no {', '.join(FORMATS)} files in this folder")
            yield from found
        elif path.suffix.lower() not in FORMATS:
            errors.append(f"{path}: not an RDF dataset file (expected {', '.join(FORMATS)})")
        elif path.exists() and not path.is_file():
            errors.append(f"{path}: not a regular file")  # a named pipe would block the parser
        else:
            yield path


def check_file(path: Path) -> _Checked:
    """Parse ``path`` whole; raise ``ValueError`` with a one-line reason if it is not fit."""
    rdf_format = FORMATS[path.suffix.lower()]
    graphs: set = set()
    labels: dict = {}
    outside = count = 0
    try:
        for quad in ox.parse(path=str(path), format=rdf_format):
            count += 1
            graph = quad.graph_name
            if isinstance(graph, ox.DefaultGraph):
                outside += 1
                continue
            graphs.add(graph)
            if graph == _PEOPLE and quad.predicate == _LABEL:
                labels.setdefault(quad.subject, []).append(quad.object)
    except SyntaxError as exc:
        raise ValueError(f"invalid {rdf_format.name}: {' '.join(str(exc).split())}") from None
    except OSError as exc:
        raise ValueError(f"cannot read ({exc.strerror or exc})") from None
    if outside:
        raise ValueError(
            f"{outside} triples outside a named graph (celebgraph keeps every triple in one)"
        )
    return _Checked(path, rdf_format, count, graphs, labels)


class _Range(io.RawIOBase):
    """Bytes ``start`` to ``end`` of a file, as a stream."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self._file = path.open("rb", buffering=0)
        self._file.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = min(len(buffer), self._left)
        if wanted <= 0:
            return 0
        got = self._file.readinto(memoryview(buffer)[:wanted]) or 0
        self._left -= got
        return got

    def close(self) -> None:
        self._file.close()
        super().close()


def line_ranges(path: Path, parts: int) -> list[tuple[int, int]]:
    """``parts`` byte ranges covering ``path``, each ending at a line end."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as handle:
        for part in range(1, parts):
            handle.seek(max(size * part // parts, cuts[-1]))
            handle.readline()
            cuts.append(min(handle.tell(), size))
    cuts.append(size)
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def _load_range(db: ox.Store, path: Path, rdf_format: ox.RdfFormat, start: int, end: int):
    with io.BufferedReader(_Range(path, start, end), 1 << 20) as stream:
        # Checked already: skipping the IRI checks here makes the second parse cheap.
        db.bulk_load(stream, rdf_format, lenient=True)


def load_files(db: ox.Store, paths: Iterable[str | Path], jobs: int | None = None) -> LoadReport:
    """Load dataset files into a pyoxigraph store (see the module documentation)."""
    jobs = jobs or os.cpu_count() or 1
    report = LoadReport()
    checked: list[_Checked] = []
    for path in dataset_files(paths, report.errors):
        try:
            checked.append(check_file(path))
        except ValueError as exc:
            report.errors.append(f"{path}: {exc}")
    if not checked:
        return report

    incoming = set().union(*(c.graphs for c in checked))
    existing = set(db.named_graphs())
    replaced = [g for g in existing & incoming if g not in _SHARED]
    mentioned = {q.object for g in replaced for q in db.quads_for_pattern(None, _MENTIONS, None, g)}
    if replaced:
        db.update(drop_graphs(replaced))
    kept_labels = _labels_in_store(db, checked) if _PEOPLE in existing else {}

    work = []
    for item in checked:
        if item.format == ox.RdfFormat.N_QUADS:
            size = item.path.stat().st_size
            parts = max(1, min(jobs, size // MIN_RANGE_BYTES))
            work += [(item.path, item.format, a, b) for a, b in line_ranges(item.path, parts)]
        else:
            work.append((item.path, item.format, 0, item.path.stat().st_size))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done in [pool.submit(_load_range, db, *unit) for unit in work]:
            done.result()

    _one_label_each(db, checked, kept_labels)
    _forget_orphans(db, mentioned)
    report.files = len(checked)
    report.quads = sum(c.quads for c in checked)
    report.graphs = len(incoming)
    report.replaced = len(replaced)
    return report


def _labels_in_store(db: ox.Store, checked: list[_Checked]) -> dict:
    """The label the store already gives each person the files label."""
    people = set().union(*(c.labels for c in checked))
    kept = {}
    for person in people:
        for quad in db.quads_for_pattern(person, _LABEL, None, _PEOPLE):
            kept.setdefault(person, quad.object)
    return kept


def _one_label_each(db: ox.Store, checked: list[_Checked], kept: dict) -> None:
    """A person with several labels keeps one (the store's, else the first one given); the
    others become alternative names."""
    for item in checked:
        for person, labels in item.labels.items():
            kept.setdefault(person, labels[0])
    demoted = []
    for item in checked:
        for person, labels in item.labels.items():
            demoted += [(person, label) for label in labels if label != kept[person]]
    if not demoted:
        return
    unique = dict.fromkeys(demoted)
    removed = (f"{p} {_LABEL} {label} ." for p, label in unique)
    added = (f"{p} {_ALT_LABEL} {label} ." for p, label in unique)
    db.update(f"{delete_data(_PEOPLE, removed)} ;\n{insert_data(_PEOPLE, added)}")


def _forget_orphans(db: ox.Store, people: set) -> None:
    """Drop from the people graph those of ``people`` that no article mentions any more."""
    gone = [
        quad
        for person in people
        if next(db.quads_for_pattern(None, _MENTIONS, person), None) is None
        for quad in db.quads_for_pattern(person, None, None, _PEOPLE)
    ]
    if gone:
        triples = (f"{q.subject} {q.predicate} {q.object} ." for q in gone)
        db.update(delete_data(_PEOPLE, triples))
