"""The installed ``celebgraph`` console script, run as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef

import celebgraph
from celebgraph.ontology import CG, article_iri, person_iri
from conftest import SCRIPT

COMMANDS = [
    "ingest",
    "query",
    "export",
    "stats",
    "evaluate",
    "top",
    "path",
    "ego",
    "communities",
    "viz",
    "serve",
]
INTERRUPTED = "SELECT ?who ?whom WHERE { ?who cg:interrupted ?whom }"


def run(*args: object, env: dict[str, str] | None = None, cwd: Path | None = None):
    """Run ``celebgraph ARGS``; never against the user's default store."""
    base = {k: v for k, v in os.environ.items() if k != "CELEBGRAPH_STORE"}
    base.setdefault("XDG_DATA_HOME", "/nonexistent-celebgraph-test-xdg")
    return subprocess.run(
        [str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        env=base | (env or {}),
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def seed_folder(tmp_path_factory, seed_path) -> Path:
    """A corpus folder ``<root>/seed/<seed file>.txt`` holding only the bundled article."""
    root = tmp_path_factory.mktemp("corpus")
    (root / "seed").mkdir()
    shutil.copy(seed_path, root / "seed" / seed_path.name)
    return root / "seed"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, seed_folder):
    """The seed folder ingested by the CLI: (completed process, store path)."""
    store = tmp_path_factory.mktemp("cli") / "store"
    result = run("ingest", seed_folder, "--store", store, "--jobs", "1")
    return result, store


@pytest.fixture(scope="module")
def store(ingested) -> Path:
    result, path = ingested
    assert result.returncode == 0, result.stderr
    return path


# --- help ---------------------------------------------------------------------------------


def test_cli_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command in result.stdout


def test_cli_help_mentions_example():
    result = run("--help")
    assert result.returncode == 0
    assert "Example" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_command_help_mentions_example(command):
    result = run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Example" in result.stdout
    assert f"celebgraph {command}" in result.stdout


def test_cli_unknown_command_fails():
    result = run("frobnicate")
    assert result.returncode != 0
    assert "frobnicate" in result.stderr


# --- ingest -------------------------------------------------------------------------------


def test_cli_ingest_prints_summary(ingested, seed_path):
    result, store = ingested
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert re.fullmatch(
        r"1 articles, \d+ persons, \d+ claims \(\d+ asserted, \d+ reported, \d+ denied\); 0 failed",
        lines[0],
    ), lines[0]
    assert "error" not in result.stderr
    assert celebgraph.query(store, f"ASK {{ <{article_iri(seed_path.stem)}> ?p ?o }}").raw


def test_cli_ingest_bad_file_exits_2_and_keeps_good_one(tmp_path, write_article):
    folder = tmp_path / "in"
    write_article(folder / "good.txt", "Good News\n\nThe sun came out over the city.")
    empty = write_article(folder / "empty.txt", "")
    store = tmp_path / "store"
    # Default --jobs: worker processes, as a user would run it.
    result = run("ingest", folder, "--store", store)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert str(empty) in errors[0]
    assert "empty file" in errors[0]
    assert "1 articles" in result.stdout
    assert "1 failed" in result.stdout
    rows = celebgraph.select(store, "SELECT ?id WHERE { ?a dcterms:identifier ?id }")
    assert [r["id"].value for r in rows] == ["good"]


# --- query --------------------------------------------------------------------------------


def test_cli_query_table(store):
    result = run("query", INTERRUPTED, "--store", store)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["who", "whom"]
    assert set(lines[1]) <= {"-", " "}
    # Cells are IRIs shortened with a prefix (res:person/... or person:...).
    cells = [line.split() for line in lines[2:]]
    assert any(
        len(row) == 2 and row[0].endswith("kanye-west") and row[1].endswith("taylor-swift")
        for row in cells
    ), result.stdout
    assert all(":" in cell and "https://" not in cell for row in cells for cell in row)
    assert re.search(r"\(\d+ rows\)", result.stderr)


def test_cli_query_csv(store):
    result = run("query", INTERRUPTED, "--format", "csv", "--store", store)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["who", "whom"]
    assert [str(person_iri("kanye-west")), str(person_iri("taylor-swift"))] in rows[1:]


def test_cli_query_tsv(store):
    result = run("query", INTERRUPTED, "--format", "tsv", "--store", store)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "?who\t?whom"
    assert f"<{person_iri('kanye-west')}>\t<{person_iri('taylor-swift')}>" in lines[1:]


def test_cli_query_json(store):
    result = run("query", INTERRUPTED, "--format", "json", "--store", store)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["head"]["vars"] == ["who", "whom"]
    pairs = {(b["who"]["value"], b["whom"]["value"]) for b in data["results"]["bindings"]}
    assert (str(person_iri("kanye-west")), str(person_iri("taylor-swift"))) in pairs


@pytest.mark.parametrize(
    ("sparql", "expected"),
    [
        ("ASK { person:kanye-west cg:interrupted person:taylor-swift }", "true"),
        ("ASK { <urn:celebgraph-test:nobody> ?p ?o }", "false"),
    ],
)
def test_cli_query_ask(store, sparql, expected):
    result = run("query", sparql, "--store", store)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
    as_json = run("query", sparql, "--format", "json", "--store", store)
    assert json.loads(as_json.stdout)["boolean"] is (expected == "true")


def test_cli_query_construct_prints_turtle(store):
    sparql = (
        "CONSTRUCT { ?a cg:interrupted ?b . ?a rdfs:label ?l } "
        "WHERE { ?a cg:interrupted ?b ; rdfs:label ?l }"
    )
    result = run("query", sparql, "--store", store)
    assert result.returncode == 0, result.stderr
    graph = Graph().parse(data=result.stdout, format="turtle")
    kanye = URIRef(str(person_iri("kanye-west")))
    assert (kanye, URIRef(str(CG.interrupted)), URIRef(str(person_iri("taylor-swift")))) in graph
    assert (
        str(graph.value(kanye, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
        == "Kanye West"
    )


def test_cli_query_from_file(store, tmp_path):
    query_file = tmp_path / "q.rq"
    query_file.write_text(INTERRUPTED + "\n", encoding="utf-8")
    from_file = run("query", "--file", query_file, "--format", "csv", "--store", store)
    inline = run("query", INTERRUPTED, "--format", "csv", "--store", store)
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout == inline.stdout
    assert str(person_iri("kanye-west")) in from_file.stdout


def test_cli_query_missing_file(store, tmp_path):
    result = run("query", "--file", tmp_path / "missing.rq", "--store", store)
    assert result.returncode == 1
    assert result.stderr.startswith("error:")
    assert "missing.rq" in result.stderr


def test_cli_query_invalid_sparql(store):
    result = run("query", "SELEC ?x WHERE { ?x ?p ?o }", "--store", store)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: invalid SPARQL")


def test_cli_query_unknown_prefix_error_is_one_line(store):
    result = run("query", "SELECT ?x WHERE { ?x foo:bar ?y }", "--store", store)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: invalid SPARQL")


@pytest.mark.parametrize(
    "args",
    [["--format", "xml"], ["--file", "q.rq"]],
    ids=["unknown-format", "query-and-file"],
)
def test_cli_query_bad_options(store, args):
    result = run("query", INTERRUPTED, *args, "--store", store)
    assert result.returncode == 1
    assert result.stderr.startswith("error:")
    assert result.stdout == ""


# --- export -------------------------------------------------------------------------------


def test_cli_export_nquads_to_file(store, tmp_path):
    output = tmp_path / "out" / "graph.nq"
    output.parent.mkdir()
    result = run("export", "--format", "nquads", "-o", output, "--store", store)
    assert result.returncode == 0, result.stderr
    quads = list(ox.parse(output.read_bytes(), ox.RdfFormat.N_QUADS))
    assert len(quads) == celebgraph.stats(store)["triples"]
    assert sorted(p.name for p in output.parent.iterdir()) == ["graph.nq"]


def test_cli_export_turtle_to_stdout(store):
    result = run("export", "--format", "turtle", "--store", store)
    assert result.returncode == 0, result.stderr
    graph = Graph().parse(data=result.stdout, format="turtle")
    assert len(graph) > 50


def test_cli_failed_export_leaves_no_part_file(store, tmp_path):
    output = tmp_path / "out" / "graph.nq"
    output.parent.mkdir()
    result = run("export", "--format", "bogus", "-o", output, "--store", store)
    assert result.returncode == 1
    assert "unknown format" in result.stderr
    assert sorted(p.name for p in output.parent.iterdir()) == []


# --- stats and the environment ------------------------------------------------------------


def test_cli_stats_json(store):
    result = run("stats", "--json", "--store", store)
    assert result.returncode == 0, result.stderr
    numbers = json.loads(result.stdout)
    assert numbers["articles"] == 1
    assert numbers["persons"] >= 3
    assert numbers["claims"] >= 2
    assert numbers["claims_by_status"]["asserted"] >= 1
    assert numbers["claims_by_relation"]["interrupted"] >= 1


def test_cli_stats_text(store):
    result = run("stats", "--store", store)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["articles", "1"]
    assert "by relation" in result.stdout


def test_cli_store_environment_variable(store, tmp_path):
    result = run("stats", "--json", env={"CELEBGRAPH_STORE": str(store)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["articles"] == 1
    other = run("stats", "--json", env={"CELEBGRAPH_STORE": str(tmp_path / "empty")})
    assert other.returncode == 1
    assert "no celebgraph store at" in other.stderr and str(tmp_path / "empty") in other.stderr
    assert not (tmp_path / "empty").exists()
    # --store wins over the environment.
    both = run("stats", "--json", "--store", store, env={"CELEBGRAPH_STORE": str(tmp_path / "x")})
    assert json.loads(both.stdout)["articles"] == 1


# --- evaluate -----------------------------------------------------------------------------


def test_cli_evaluate_tiny_gold(tmp_path, seed_folder):
    stem = next(seed_folder.glob("*.txt")).stem
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "articles.txt").write_text(f"seed/{stem}\n", encoding="utf-8")
    (gold / "entities.tsv").write_text(
        "article\tcanonical\taliases\n"
        f"{stem}\tKanye West\tWest|Kanye\n"
        f"{stem}\tTaylor Swift\tSwift\n"
        f"{stem}\tJay Leno\tLeno\n",
        encoding="utf-8",
    )
    (gold / "relations.tsv").write_text(
        "article\tsubject\trelation\tobject\tstatus\tevidence\n"
        f"{stem}\tKanye West\tinterrupted\tTaylor Swift\tasserted"
        "\tstole the microphone away from Taylor Swift\n"
        f"{stem}\tJay Leno\tinterviewed\tKanye West\tasserted\tLeno asked West\n",
        encoding="utf-8",
    )
    result = run("evaluate", "--gold", gold, "--corpus", seed_folder.parent, "--jobs", "1")
    assert result.returncode == 0, result.stderr
    (overall,) = [line for line in result.stdout.splitlines() if line.startswith("overall")]
    _, predicted, gold_rows, matched, *_ = overall.split()
    assert (int(gold_rows), int(matched)) == (2, 2)
    assert int(predicted) >= 2
    assert "status accuracy" in result.stdout


def test_cli_evaluate_missing_gold_files(tmp_path):
    result = run("evaluate", "--gold", tmp_path, "--jobs", "1")
    assert result.returncode == 1
    assert result.stderr.startswith("error:")
    assert "articles.txt" in result.stderr


def test_cli_serve_answers_sparql_over_http(seed_store):
    """`celebgraph serve` as a real process: a SELECT over HTTP, then a clean stop."""
    import json
    import urllib.parse
    import urllib.request

    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--store", str(seed_store), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stderr.readline()
        assert "SPARQL endpoint at http://127.0.0.1:" in line, line
        url = line.split(" at ", 1)[1].split(",", 1)[0]
        query = urllib.parse.urlencode({"query": INTERRUPTED})
        request = urllib.request.Request(
            f"{url}?{query}", headers={"Accept": "application/sparql-results+json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            rows = json.load(response)["results"]["bindings"]
        assert [(r["who"]["value"], r["whom"]["value"]) for r in rows] == [
            (str(person_iri("kanye-west")), str(person_iri("taylor-swift")))
        ]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_cli_serve_missing_store_is_one_line_error(tmp_path):
    result = run("serve", "--store", tmp_path / "nothing-here", "--port", "0")
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and result.stderr.count("\n") == 1


def test_cli_serve_refuses_a_remote_store():
    result = run("serve", "--store", "http://user:secret@127.0.0.1:9/sparql", "--port", "0")
    assert result.returncode == 1
    assert "embedded store folder" in result.stderr and "secret" not in result.stderr
