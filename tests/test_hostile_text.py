"""Hostile text: what an article smuggles in is cleaned on the way in, look-alike names are
the people they imitate, and no article can hold an extraction for long.

The names and the labels are checked in the store's export (N-Quads read back with
rdflib) after a real ingest; the bounds on time and memory in a real ``celebgraph ingest``
process, with a generous timeout: these fail when the bound is lost, they measure nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, RDFS, SKOS

import celebgraph
from celebgraph import ArticleError, load_articles
from celebgraph.extraction.pipeline import CHUNK_CHARS, MAX_RUN, text_chunks
from celebgraph.ontology import person_iri
from celebgraph.text import clean_label, mixes_scripts, skeleton
from conftest import SCRIPT, dataset_graphs, export_bytes

SCHEMA = rdflib.Namespace("https://schema.org/")
CG = rdflib.Namespace("https://w3id.org/celebgraph/ontology#")
RES = "https://w3id.org/celebgraph/resource/"
PEOPLE = f"<{RES}graph/people>"
KANYE = rdflib.URIRef(person_iri("kanye-west"))

#: Characters that must never reach a label: controls, and those that show nothing.
INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)


def ingest(tmp_path: Path, articles: list[dict]) -> dict[str, rdflib.Graph]:
    """Ingest ``articles`` (written as one .jsonl file); the export read back, by graph."""
    source = tmp_path / "in" / "articles.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    store = tmp_path / "store"
    report = celebgraph.ingest([source], store=store, jobs=1)
    assert (report.articles, report.failed) == (len(articles), 0), report.errors
    return dataset_graphs(export_bytes(store, "nquads"))


def labels(graphs: dict[str, rdflib.Graph]) -> dict[rdflib.term.Node, set[str]]:
    """Every person → its label and other names."""
    people = graphs[PEOPLE]
    found: dict[rdflib.term.Node, set[str]] = {}
    for predicate in (RDFS.label, SKOS.altLabel):
        for person, name in people.subject_objects(predicate):
            found.setdefault(person, set()).add(str(name))
    return found


def claims_of(graphs: dict[str, rdflib.Graph], article: str) -> set[tuple[str, str, str]]:
    """The (subject, relation, object) of each claim of an article, both ways round."""
    graph = graphs[f"<{RES}article/{article}>"]
    found = set()
    for claim in graph.subjects(RDF.type, CG.Claim):
        subject, obj = (
            str(graph.value(claim, p)).rsplit("/", 1)[1] for p in (RDF.subject, RDF.object)
        )
        relation = str(graph.value(claim, RDF.predicate)).rsplit("#", 1)[1]
        found |= {(subject, relation, obj), (obj, relation, subject)}
    return found


# --- look-alike names -------------------------------------------------------------------------

IMPOSTORS = [
    pytest.param("Kanye W\u0435st", id="cyrillic-ie"),
    pytest.param("K\u0430nye West", id="cyrillic-a"),
    pytest.param("\u039aanye West", id="greek-kappa"),
    pytest.param("Kanye \u051c\u0435st", id="cyrillic-we-ie"),
]


@pytest.mark.parametrize("impostor", IMPOSTORS)
def test_hostile_text_confusable_of_a_known_name_is_that_person(tmp_path, impostor):
    graphs = ingest(
        tmp_path,
        [
            {"id": "real", "title": "Awards", "text": "Kanye West interrupted Taylor Swift."},
            {
                "id": "fake",
                "title": f"{impostor} at the awards",
                "text": f"{impostor} interrupted Taylor Swift on stage. He later apologized to"
                " Swift.",
            },
        ],
    )
    names = labels(graphs)
    assert not [n for ns in names.values() for n in ns if mixes_scripts(n)], names
    lookalikes = {p for p, ns in names.items() if any(skeleton(n) == "Kanye West" for n in ns)}
    assert lookalikes == {KANYE}, names
    assert str(graphs[PEOPLE].value(KANYE, RDFS.label)) == "Kanye West"
    assert ("kanye-west", "interrupted", "taylor-swift") in claims_of(graphs, "fake")


def test_hostile_text_mixed_script_name_is_spelled_in_latin_or_refused(tmp_path):
    graphs = ingest(
        tmp_path,
        [
            # Cyrillic "о": every letter has a Latin look-alike, so this is Greg Holt.
            {"id": "a", "title": "One", "text": "Greg H\u043elt married Ann Tully in 2010."},
            {"id": "b", "title": "Two", "text": "Greg Holt married Ann Tully in 2010."},
            # Cyrillic "ж" imitates no Latin letter: no person of that name.
            {"id": "c", "title": "Three", "text": "Greg H\u0436lt married Lee Ann Tully in 2011."},
        ],
    )
    names = labels(graphs)
    holt = rdflib.URIRef(person_iri("greg-holt"))
    assert "Greg Holt" in names[holt], names
    assert not [n for ns in names.values() for n in ns if mixes_scripts(n)], names
    assert ("greg-holt", "spouseOf", "ann-tully") in claims_of(graphs, "a")
    assert claims_of(graphs, "c") == set()


def test_hostile_text_labels_and_text_are_cleaned_in_the_export(tmp_path):
    graphs = ingest(
        tmp_path,
        [
            {
                "id": "wedding",
                "title": "Kim\u202e Kardashian\ufeff weds\x7f",
                "text": "Kim Kar\u200bdashian\u0000 married Kanye\u202e West\x7f in 2014.\r\n"
                "Kim Kardashian\u00ad West said\x1b[31m so. Kar\u2060dashian\u200f was happy.",
            },
            {
                "id": "page",
                "title": "Date",
                "text": "<p>Taylor &#x202e;Swift dated Calvin &#x7f;Harris in 2015.</p>"
                "<p>Swift said so.</p>",
            },
        ],
    )
    names = labels(graphs)
    kim = rdflib.URIRef(person_iri("kim-kardashian"))
    assert names[kim] <= {"Kim Kardashian", "Kardashian", "Kim Kardashian West"}, names
    assert {KANYE, rdflib.URIRef(person_iri("taylor-swift"))} <= set(names)
    assert not [n for ns in names.values() for n in ns if INVISIBLE.search(n)], names
    texts = [
        str(text)
        for graph in graphs.values()
        for predicate in (SCHEMA.headline, CG.evidence)
        for text in graph.objects(None, predicate)
    ]
    assert texts
    assert not [t for t in texts if re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", t)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Beyonce\u0301 sang\x01.", "Beyoncé sang.", id="nfc-and-soh"),
        pytest.param("One.\r\nTwo.\rThree.\u2028Four.", "One.\nTwo.\nThree.\nFour.", id="breaks"),
        pytest.param("A\x1b[2Jb\x85c\x9bd", "A[2Jb\ncd", id="escape-and-c1"),
        pytest.param("Left\u202eright\u2066x\u2069\u200e.", "Leftrightx.", id="bidi"),
        pytest.param("Zero\u200bwidth stays\u00ad.", "Zero\u200bwidth stays\u00ad.", id="zwsp"),
    ],
)
def test_hostile_text_article_text_is_cleaned_on_the_way_in(tmp_path, raw, expected):
    (tmp_path / "a.json").write_text(json.dumps({"id": "a", "title": raw, "text": raw}))
    (tmp_path / "b.txt").write_text(f"Headline\n\n{raw}", encoding="utf-8")
    a, b = load_articles([tmp_path])
    assert (a.headline, a.text, b.text) == (expected, expected, expected)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("nul.txt", "A headline\n\nA NUL\x00 here".encode("utf-16"), "binary file, not text"),
        ("controls.txt", b"\x01\x02\x1b\x7f\n\x03", "empty file"),
    ],
)
def test_hostile_text_binary_or_control_only_files_are_refused(tmp_path, name, content, problem):
    (tmp_path / name).write_bytes(content)
    errors: list[ArticleError] = []
    assert list(load_articles([tmp_path], on_error=errors.append)) == []
    assert len(errors) == 1 and problem in str(errors[0]), errors


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Kanye W\u0435st", "Kanye West"),
        ("\u0421\u04bb\u0435\u0433 Smith", "Cher Smith"),
        ("Ta\u200bylor\u2060 Swi\u00adft\ufe0f", "Taylor Swift"),
        ("Beyonce\u0301", "Beyoncé"),
        ("Путин", "Путин"),  # one script: a name, left as it is
        ("Ἀλέξανδρος", "Ἀλέξανδρος"),
    ],
)
def test_hostile_text_clean_label(name, expected):
    assert clean_label(name) == expected
    assert unicodedata.is_normalized("NFC", clean_label(name))


# --- bounds on time and memory ----------------------------------------------------------------


def test_hostile_text_chunks_bound_runs_and_run_on_sentences():
    brackets = "([" * 20_000
    run_on = "the rapper said that the singer was there and " * 2_000
    for text in (brackets, run_on, f"Short line.\n{brackets} {run_on}\nEnd."):
        chunks = text_chunks(text)
        assert "".join(chunks) == text
        assert max(map(len, chunks)) <= CHUNK_CHARS
        # A run cut apart is never read whole again: no piece holds more of it.
        assert max(len(run) for chunk in chunks for run in chunk.split()) <= MAX_RUN


def test_hostile_text_claim_beside_a_long_run_is_still_found(extractor):
    text = "([" * 2_000 + " Kanye West married Kim Kardashian in 2014. " + "x" * 5_000
    result = extractor.extract(celebgraph.Article("t", "Wedding", text))
    claims = {(c.subject, c.relation, c.object) for c in result.claims}
    assert ("kanye-west", "spouseOf", "kim-kardashian") in claims or (
        "kim-kardashian",
        "spouseOf",
        "kanye-west",
    ) in claims, claims
    assert all(c.evidence in text for c in result.claims)


#: Runs a command with a timeout (seconds, the first argument) and prints, as JSON, its exit
#: code, output and peak memory (MB), or that it timed out: the child is killed then.
MEASURE = """
import json, resource, subprocess, sys
try:
    done = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout=float(sys.argv[1]))
except subprocess.TimeoutExpired:
    print(json.dumps({"timeout": True}))
else:
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"rc": done.returncode, "out": done.stdout + done.stderr, "mb": peak}))
"""


def ingest_one(tmp_path: Path, text: str, timeout: float) -> dict:
    """``celebgraph ingest`` of one article in a new process: exit code, output, peak MB."""
    article = tmp_path / "hostile.txt"
    article.write_text(f"A headline\n\n{text}", encoding="utf-8")
    command = [str(SCRIPT), "ingest", str(article), "--store", str(tmp_path / "s"), "--jobs", "1"]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(timeout), *command],
        capture_output=True,
        text=True,
        timeout=timeout + 60,  # the measuring process itself never takes long
        check=True,
    )
    result = json.loads(done.stdout)
    if result.get("timeout"):
        pytest.fail(f"one article of {len(text):,} characters took over {timeout} s")
    assert result["rc"] == 0, result
    return result


def test_hostile_text_quadratic_tokenizer_input_is_extracted_in_bounded_time(tmp_path):
    # 30,000 characters of "([" took about 110 s in the tokenizer alone when it was read as
    # one run (the time grows with the square of the run); cut into runs, about 10 s.
    ingest_one(tmp_path, "([" * 15_000, timeout=60)


def test_hostile_text_run_on_text_is_extracted_in_bounded_memory(tmp_path):
    # 150,000 characters without a sentence or line break took about 650 MB read whole;
    # read in pieces, the model loaded and the article extracted take about 260 MB.
    result = ingest_one(
        tmp_path, "the rapper said that the singer was there and " * 3_300, timeout=120
    )
    assert result["mb"] < 450, result
