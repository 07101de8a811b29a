"""Shared fixtures: one spaCy extractor and one ingested seed store per test session.

Loading the spaCy model costs about a second, so the extractor and the store holding the
bundled example article are built once. Tests must treat ``seed_store`` as read-only.
"""

from __future__ import annotations

import io
import shutil
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

import celebgraph
from celebgraph.articles import load_articles
from celebgraph.models import Article


def find_script() -> Path:
    """The installed ``celebgraph`` console script (beside this Python, else on PATH)."""
    beside = Path(sys.executable).parent / "celebgraph"
    if beside.is_file():
        return beside
    found = shutil.which("celebgraph")
    assert found, "the celebgraph console script is not installed"
    return Path(found)


SCRIPT = find_script()

WriteArticle = Callable[[Path, "str | bytes"], Path]


@pytest.fixture(autouse=True)
def _no_default_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the user's real default store (~/.local/share/celebgraph)."""
    monkeypatch.delenv("CELEBGRAPH_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture(scope="session")
def virtuoso_server():
    """A real Virtuoso on loopback (see :mod:`virtuoso`), for the whole session."""
    sys.path.insert(0, str(Path(__file__).parent))
    import virtuoso

    if not virtuoso.install():
        pytest.skip("virtuoso-opensource is not installed and apt-get could not install it")
    server = virtuoso.start()
    yield server
    server.stop()


_CLEAR = (
    "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o }"
    ' FILTER(STRSTARTS(STR(?g), "https://w3id.org/celebgraph/")) }'
)


def clear_remote(url: str) -> None:
    """Drop every celebgraph graph of the SPARQL store at ``url``."""
    from celebgraph.errors import StoreError
    from celebgraph.store import RemoteStore

    store = RemoteStore(url)
    store._post(store.update_url, {"update": _CLEAR}, "*/*", StoreError)
    assert len(store) == 0


@pytest.fixture(scope="session")
def extractor():
    """The real extractor with the real spaCy model, loaded once."""
    from celebgraph.extraction import Extractor

    return Extractor()


@pytest.fixture(scope="session")
def seed_path() -> Path:
    path = celebgraph.example_path()
    assert path.is_file(), f"bundled example article missing: {path}"
    return path


@pytest.fixture(scope="session")
def seed_article(seed_path: Path) -> Article:
    (article,) = load_articles([seed_path])
    return article


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Path:
    """A store folder with the bundled example ingested (read-only for tests)."""
    path = tmp_path_factory.mktemp("seed") / "store"
    report = celebgraph.ingest([seed_path], store=path, jobs=1)
    assert (report.articles, report.failed) == (1, 0), report.errors
    return path


@pytest.fixture
def write_article() -> WriteArticle:
    """``write_article(path, content)``: write text (UTF-8) or bytes, creating folders."""

    def write(path: Path, content: str | bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


def export_bytes(store: object, fmt: str = "nquads") -> bytes:
    """The whole store serialised in ``fmt`` (``store`` is a path or a Store)."""
    buffer = io.BytesIO()
    celebgraph.export(store, buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def export() -> Callable[..., bytes]:
    return export_bytes


#: The IRI of the ontology, also the name of the graph that may hold it inside a store.
ONTOLOGY_IRI = "https://w3id.org/celebgraph/ontology"


def dataset_graphs(
    data: bytes, rdf_format: ox.RdfFormat = ox.RdfFormat.N_QUADS
) -> dict[str, Graph]:
    """An RDF dataset as {graph name: rdflib Graph}, for comparisons up to blank node labels."""
    triples: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in ox.parse(data, rdf_format):
        triples[str(quad.graph_name)].append(quad.triple)
    return {
        name: Graph().parse(data=ox.serialize(ts, None, ox.RdfFormat.N_TRIPLES), format="nt")
        for name, ts in triples.items()
    }


def same_dataset(a: bytes, b: bytes, rdf_format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> bool:
    """Same named graphs, each isomorphic (blank node labels may differ)."""
    left, right = dataset_graphs(a, rdf_format), dataset_graphs(b, rdf_format)
    return left.keys() == right.keys() and all(isomorphic(left[k], right[k]) for k in left)


@pytest.fixture(name="same_dataset")
def same_dataset_fixture() -> Callable[..., bool]:
    return same_dataset


@pytest.fixture(name="dataset_graphs")
def dataset_graphs_fixture() -> Callable[..., dict[str, Graph]]:
    return dataset_graphs
