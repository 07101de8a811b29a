"""Bulk loading of N-Quads / TriG / JSON-LD files: shards merge into what one ingest gives,
graphs are replaced, people keep one label, bad files are refused before anything is
written, and the parallel split loads exactly what a single thread does."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest

import celebgraph
from celebgraph.api import write_extraction
from celebgraph.models import Article, Entity, Extraction
from celebgraph.ontology import PEOPLE_GRAPH, article_iri, person_iri
from celebgraph.store import Store, bulk
from conftest import SCRIPT, export_bytes, same_dataset

PEOPLE = f"<{PEOPLE_GRAPH}>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
PERSON = "<https://w3id.org/celebgraph/ontology#Person>"
MENTIONS = "<https://schema.org/mentions>"

SECOND_ARTICLE = (
    "Rita Vale Weds Omar Lind\n\n"
    "Rita Vale married Omar Lind in Lisbon on Saturday. Kanye West sent flowers.\n"
)


def shard(tmp_path: Path, name: str, articles: list[Path]) -> Path:
    """Ingest ``articles`` into a throwaway store and export it as an N-Quads shard."""
    store = tmp_path / f"{name}-store"
    report = celebgraph.ingest(articles, store=store, jobs=1)
    assert report.failed == 0, report.errors
    path = tmp_path / f"{name}.nq"
    path.write_bytes(export_bytes(store))
    return path


def labels(store: Path, key: str) -> tuple[list[str], list[str]]:
    person = person_iri(key).n3()
    main = celebgraph.select(store, f"SELECT ?l WHERE {{ {person} rdfs:label ?l }}")
    other = celebgraph.select(store, f"SELECT ?l WHERE {{ {person} skos:altLabel ?l }}")
    return sorted(r["l"].value for r in main), sorted(r["l"].value for r in other)


def test_load_shards_gives_what_one_ingest_gives(tmp_path, seed_path, write_article):
    second = write_article(tmp_path / "in" / "wedding.txt", SECOND_ARTICLE)
    shards = [shard(tmp_path, "a", [seed_path]), shard(tmp_path, "b", [second])]
    together = tmp_path / "together"
    celebgraph.ingest([seed_path, second], store=together, jobs=1)

    merged = tmp_path / "merged"
    report = celebgraph.load(shards, store=merged)
    assert (report.files, report.failed, report.replaced) == (2, 0, 0)
    assert report.graphs == 4  # two articles, the people graph, the ontology graph
    assert report.quads == sum(len(p.read_text().splitlines()) for p in shards)
    # Kanye West is in both shards: one node, one label, as after one ingest.
    assert labels(merged, "kanye-west")[0] == ["Kanye West"]
    assert same_dataset(export_bytes(merged), export_bytes(together))


def test_load_twice_changes_nothing(tmp_path, seed_path):
    nq = shard(tmp_path, "a", [seed_path])
    store = tmp_path / "store"
    celebgraph.load([nq], store=store)
    before = export_bytes(store)
    again = celebgraph.load([nq], store=store)
    assert again.replaced == 1  # the article graph; people and ontology are merged
    assert export_bytes(store) == before


def test_load_replaces_an_article_and_forgets_its_people(tmp_path):
    def article_shard(name: str, *entities: Entity) -> Path:
        store = tmp_path / f"{name}-store"
        with Store(store) as db:
            write_extraction(
                db, Extraction(Article("a1", "Headline", "Body."), {e.key: e for e in entities})
            )
        path = tmp_path / f"{name}.nq"
        path.write_bytes(export_bytes(store))
        return path

    old = article_shard("old", Entity("mara-quill", "Mara Quill"), Entity("tom-ash", "Tom Ash"))
    new = article_shard("new", Entity("tom-ash", "Tom Ash"))
    store = tmp_path / "store"
    celebgraph.load([old], store=store)
    assert labels(store, "mara-quill")[0] == ["Mara Quill"]
    report = celebgraph.load([new], store=store)
    assert report.replaced == 1
    assert labels(store, "mara-quill") == ([], [])  # mentioned by no article any more
    assert labels(store, "tom-ash")[0] == ["Tom Ash"]
    mentions = celebgraph.select(store, "SELECT ?p WHERE { ?a schema:mentions ?p }")
    assert [r["p"].value for r in mentions] == [str(person_iri("tom-ash"))]


def person_quads(key: str, label: str, article: str) -> str:
    person, graph = person_iri(key).n3(), article_iri(article).n3()
    return (
        f"{graph} {MENTIONS} {person} {graph} .\n"
        f"{person} {TYPE} {PERSON} {PEOPLE} .\n"
        f'{person} {LABEL} "{label}" {PEOPLE} .\n'
    )


def test_load_keeps_the_stores_label_else_the_first_given(tmp_path):
    store = tmp_path / "store"
    with Store(store) as db:
        write_extraction(
            db, Extraction(Article("a0", "H", "B."), {"x": Entity("x", "Xavier Stone")})
        )
    first = tmp_path / "1.nq"
    first.write_text(person_quads("x", "X. Stone", "a1") + person_quads("y", "Yara", "a1"))
    second = tmp_path / "2.nq"
    second.write_text(person_quads("y", "Yara Bell", "a2"))
    report = celebgraph.load([first, second], store=store)
    assert report.failed == 0
    assert labels(store, "x") == (["Xavier Stone"], ["X. Stone"])
    assert labels(store, "y") == (["Yara"], ["Yara Bell"])


def test_load_refuses_bad_files_before_writing_and_loads_the_rest(tmp_path, seed_path):
    good = shard(tmp_path, "good", [seed_path])
    broken = tmp_path / "broken.nq"
    broken.write_text(
        '<https://example.org/a> <https://example.org/p> "1" <https://example.org/g> .\n'
        '<https://example.org/a> <https://example.org/p> "unterminated <https://example.org/g> .\n'
    )
    outside = tmp_path / "outside.nq"
    outside.write_text('<https://example.org/a> <https://example.org/p> "1" .\n')
    turtle = tmp_path / "graph.ttl"
    turtle.write_text('<https://example.org/a> <https://example.org/p> "1" .\n')
    missing = tmp_path / "missing.nq"
    pipe = tmp_path / "pipe.nq"
    os.mkfifo(pipe)

    store = tmp_path / "store"
    report = celebgraph.load([broken, good, outside, turtle, missing, pipe], store=store)
    assert report.files == 1
    assert len(report.errors) == 5
    by_file = {e.split(": ", 1)[0]: e for e in report.errors}
    assert "invalid N-Quads" in by_file[str(broken)] and "line 2" in by_file[str(broken)]
    assert "outside a named graph" in by_file[str(outside)]
    assert "not an RDF dataset file" in by_file[str(turtle)]
    assert "cannot read" in by_file[str(missing)]
    assert "not a regular file" in by_file[str(pipe)]
    assert all("\n" not in e for e in report.errors)
    # Not even the valid first line of the broken file was written.
    assert not celebgraph.query(store, "ASK { GRAPH <https://example.org/g> { ?s ?p ?o } }").raw
    assert same_dataset(export_bytes(store), good.read_bytes())


def test_load_in_byte_ranges_equals_one_thread(tmp_path, seed_path, monkeypatch):
    nq = shard(tmp_path, "a", [seed_path])
    one = tmp_path / "one"
    celebgraph.load([nq], store=one, jobs=1)
    monkeypatch.setattr(bulk, "MIN_RANGE_BYTES", 1000)  # the seed shard is ~8 kB: 4 ranges
    assert len(bulk.line_ranges(nq, 4)) == 4
    four = tmp_path / "four"
    celebgraph.load([nq], store=four, jobs=4)
    assert export_bytes(four) == export_bytes(one)


@pytest.mark.parametrize("parts", [1, 2, 3, 7, 50])
def test_line_ranges_cover_the_file_at_line_ends(tmp_path, parts):
    path = tmp_path / "lines.nq"
    data = b"".join(b"x" * (i % 17) + b"\n" for i in range(40))
    path.write_bytes(data)
    ranges = bulk.line_ranges(path, parts)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert all(data[end - 1 : end] == b"\n" for _, end in ranges)


def test_load_trig_and_folders(tmp_path, seed_path):
    source = tmp_path / "source"
    celebgraph.ingest([seed_path], store=source, jobs=1)
    folder = tmp_path / "dump" / "nested"
    folder.mkdir(parents=True)
    (folder / "graph.trig").write_bytes(export_bytes(source, "trig"))
    store = tmp_path / "store"
    report = celebgraph.load([tmp_path / "dump"], store=store)
    assert (report.files, report.failed) == (1, 0)
    assert same_dataset(export_bytes(store), export_bytes(source))


def test_load_command(tmp_path, seed_path):
    nq = shard(tmp_path, "a", [seed_path])
    bad = tmp_path / "bad.nq"
    bad.write_text("not rdf\n")
    store = tmp_path / "store"
    run = subprocess.run(
        [str(SCRIPT), "load", str(nq), str(bad), "--store", str(store)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: {bad}: invalid N-Quads")
    assert len(run.stderr.strip().splitlines()) == 1
    assert "1 files" in run.stdout and "1 failed" in run.stdout
    assert celebgraph.query(store, "ASK { ?a cg:interrupted ?b }").raw


def test_load_refuses_a_sparql_endpoint(tmp_path):
    run = subprocess.run(
        [str(SCRIPT), "load", str(tmp_path / "x.nq"), "--store", "http://127.0.0.1:9/sparql"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "bulk loader" in run.stderr and len(run.stderr.strip().splitlines()) == 1
