"""What ingest reads and prints, how it stops, and what the commands do when stdout fails.

Real processes throughout: the ``celebgraph`` console script on files written here;
stopped with real signals (SIGINT to its process group, as Ctrl-C in a terminal sends it;
SIGTERM to it or to its group; SIGKILL to it), its extraction workers found among its
child processes in ``/proc``; its standard output a full device, a closed pipe or closed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

import celebgraph
from celebgraph.articles import load_articles
from celebgraph.ontology import article_iri
from conftest import SCRIPT


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CELEBGRAPH_STORE"}
    env["XDG_DATA_HOME"] = "/nonexistent-celebgraph-test-xdg"
    env["CELEBGRAPH_WRITE_INTERVAL"] = "0.2"  # the store fills while the ingest runs
    return env | extra


def run(*args: object, **popen: object) -> subprocess.CompletedProcess:
    options: dict[str, object] = {"capture_output": True}
    if "stdout" in popen:
        options = {"stderr": subprocess.PIPE}
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], timeout=180, env=cli_env(), **options, **popen
    )


def text(output: bytes) -> str:
    return output.decode("utf-8")


def headlines(store: Path) -> dict[str, str]:
    rows = celebgraph.select(
        store, "SELECT ?id ?h WHERE { ?a dcterms:identifier ?id ; schema:headline ?h }"
    )
    return {r["id"].value: r["h"].value for r in rows}


def article(headline: str) -> str:
    return f"{headline}\n\nKanye West interrupted Taylor Swift at the awards."


# --- case 1: one id, one article ------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "first", "second"),
    [
        pytest.param(
            {"a/001.txt": article("A"), "b/001.txt": article("B")},
            "a/001.txt",
            "b/001.txt",
            id="same file name in two folders",
        ),
        pytest.param(
            {"x.txt": article("X"), "feed.jsonl": json.dumps({"id": "x", "text": "Body."})},
            "feed.jsonl:1",
            "x.txt",
            id="a file name and a JSON id",
        ),
        pytest.param(
            {"feed.jsonl": '{"id": "y", "text": "One."}\n{"id": "y", "text": "Two."}'},
            "feed.jsonl:1",
            "feed.jsonl:2",
            id="two lines of one .jsonl file",
        ),
        pytest.param(
            {"list.json": '[{"id": "z", "text": "One."}, {"id": "z", "text": "Two."}]'},
            "list.json[0]",
            "list.json[1]",
            id="two objects of one .json file",
        ),
    ],
)
def test_load_articles_second_article_with_a_taken_id_is_an_error_naming_both(
    tmp_path, files, first, second
):
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    errors: list[str] = []
    articles = list(load_articles([tmp_path], on_error=lambda e: errors.append(str(e))))
    assert [a.path for a in articles] == [str(tmp_path / first)]
    (error,) = errors
    assert error.startswith(f"{tmp_path / second}: article id ")
    assert f"is also the id of {tmp_path / first};" in error


def test_load_articles_an_input_named_twice_gives_its_articles_once(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "001.txt").write_text(article("A"), encoding="utf-8")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "001.txt").symlink_to(tmp_path / "a" / "001.txt")
    paths = [tmp_path / "a", tmp_path / "a" / "001.txt", tmp_path / "a" / ".." / "a", tmp_path]
    errors: list[str] = []
    articles = list(load_articles(paths, on_error=lambda e: errors.append(str(e))))
    assert [a.id for a in articles] == ["001"]
    assert errors == []


def test_ingest_same_name_in_three_folders_stores_one_and_reports_two(tmp_path):
    for folder in "abc":
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "001.txt").write_text(article(f"From {folder}"), encoding="utf-8")
    store = tmp_path / "store"
    result = run("ingest", *(tmp_path / f for f in "abc"), "--store", store, "--jobs", "1", "-q")
    assert result.returncode == 2, text(result.stderr)
    assert text(result.stdout).startswith("1 articles, ")
    assert text(result.stdout).rstrip().endswith("; 2 failed")
    lines = text(result.stderr).splitlines()
    assert lines == [
        f"error: {tmp_path / f}/001.txt: article id '001' is also the id of "
        f"{tmp_path / 'a'}/001.txt; rename one of the two (a file's id is its name without "
        'extension, a JSON article\'s its "id")'
        for f in "bc"
    ]
    assert headlines(store) == {"001": "From a"}

    # A later ingest of the same file still replaces its article.
    (tmp_path / "a" / "001.txt").write_text(article("Corrected"), encoding="utf-8")
    again = run("ingest", tmp_path / "a", "--store", store, "--jobs", "1", "-q")
    assert again.returncode == 0, text(again.stderr)
    assert headlines(store) == {"001": "Corrected"}


# --- case 2: what is printed, what is skipped -----------------------------------------------

HOSTILE_NAMES = [
    "new\nerror: forged.txt",
    "carriage\rreturn.txt",
    "ansi\x1b[2J\x1b[31mred.txt",
    "bidi\u202etxt.exe.txt",
    "tab\tand\x7fdel.txt",
]


def test_ingest_hostile_file_names_are_printed_escaped_one_line_each(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in HOSTILE_NAMES:
        (folder / name).write_bytes(b"")  # empty: one error line each
    result = run("ingest", folder, "--store", tmp_path / "store", "--jobs", "1", "-q")
    assert result.returncode == 2
    err = text(result.stderr)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f\u202e]", err + text(result.stdout))
    lines = err.splitlines()
    assert len(lines) == len(HOSTILE_NAMES)
    for name, line in zip(sorted(HOSTILE_NAMES), lines, strict=True):
        assert line == f"error: {folder}/{repr(name)[1:-1]}: empty file"


def test_ingest_reads_suffixes_in_any_case_and_counts_what_it_skips(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "UPPER.TXT").write_text(article("Upper"), encoding="utf-8")
    (folder / "sub" / "Mixed.Json").write_text(
        json.dumps({"id": "mixed", "title": "Mixed", "text": "Jay-Z praised Beyonce."}),
        encoding="utf-8",
    )
    for skipped in (".hidden.txt", ".DS_Store", "notes.md", "sub/photo.jpg"):
        (folder / skipped).write_text(article("Skipped"), encoding="utf-8")
    store = tmp_path / "store"
    result = run("ingest", folder, "--store", store, "--jobs", "1", "-q")
    assert result.returncode == 0, text(result.stderr)
    assert text(result.stderr) == ""
    summary = text(result.stdout).strip()
    assert summary.startswith("2 articles, ")
    assert summary.endswith("; 0 failed; 4 skipped (hidden, or not .txt/.json/.jsonl)")
    assert headlines(store) == {"UPPER": "Upper", "mixed": "Mixed"}


def test_query_table_escapes_what_the_store_holds(tmp_path):
    hostile = "Red\x1b[31m alert\nerror: forged\r\u202eline"
    graph = f"<{article_iri('hostile')}>"
    shard = tmp_path / "shard.nq"
    shard.write_text(
        f"<http://example.org/s> <http://example.org/p> {json.dumps(hostile)} {graph} .\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    assert celebgraph.load([shard], store=store).failed == 0
    result = run("query", "SELECT ?o WHERE { ?s <http://example.org/p> ?o }", "--store", store)
    assert result.returncode == 0, text(result.stderr)
    lines = text(result.stdout).splitlines()
    assert lines == ["o", "-" * len(lines[2]), repr(hostile)[1:-1]]
    assert "\x1b" not in text(result.stdout)


# --- case 3: standard output that cannot be written --------------------------------------


def closed_pipe() -> int:
    """The writing end of a pipe nobody reads."""
    reader, writer = os.pipe()
    os.close(reader)
    return writer


def full_device() -> int:
    return os.open("/dev/full", os.O_WRONLY)


COMMANDS = {
    "query": ["query", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"],
    "query --format csv": ["query", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "--format", "csv"],
    "export": ["export", "--format", "nquads"],
    "stats": ["stats"],
}
OUTPUTS = {
    "/dev/full": (full_device, "No space left on device"),
    "closed pipe": (closed_pipe, "Broken pipe"),
    "closed stdout": (None, "it is closed"),  # the child closes it before it starts
}


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("command", COMMANDS)
def test_output_that_cannot_be_written_gives_one_error_line(seed_store, command, output):
    if output == "/dev/full" and not Path("/dev/full").exists():
        pytest.skip("this system has no /dev/full")
    make, reason = OUTPUTS[output]
    fd = make() if make else None
    popen: dict[str, object] = {"stdout": fd}
    if fd is None:
        popen = {"stdout": subprocess.DEVNULL, "preexec_fn": lambda: os.close(1)}
    try:
        result = run(*COMMANDS[command], "--store", seed_store, **popen)
    finally:
        if fd is not None:
            os.close(fd)
    assert text(result.stderr).splitlines() == [f"error: standard output: cannot write ({reason})"]
    assert result.returncode == 1


# --- case 4: signals -------------------------------------------------------------------------

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finding child processes needs Linux's /proc"
)
CORPUS_SIZE = 600
JOBS = 2


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_path) -> Path:
    """Short variants of the bundled article: enough that an ingest is still running when
    it is stopped."""
    folder = tmp_path_factory.mktemp("corpus") / "articles"
    folder.mkdir()
    headline, body = seed_path.read_text(encoding="utf-8").split("\n", 1)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", body.strip()) if s]
    for i in range(CORPUS_SIZE):
        start = i % (len(sentences) - 2)
        excerpt = " ".join(sentences[start : start + 3])
        (folder / f"a{i:03d}.txt").write_text(
            f"{headline} (part {i})\n\nKanye West spoke on day {i}. {excerpt}", encoding="utf-8"
        )
    return folder


def stat_fields(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` after the command name: state, ppid, ...; None if it has gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def children(pid: int) -> dict[int, str]:
    """The child processes of ``pid``: pid → start time (which tells a reused pid apart)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields and fields[1] == str(pid):
                found[int(entry.name)] = fields[19]
    return found


def alive(processes: dict[int, str]) -> list[int]:
    """Those still running (an unreaped zombie has ended)."""
    living = []
    for pid, started in processes.items():
        fields = stat_fields(pid)
        if fields and fields[19] == started and fields[0] not in "ZX":
            living.append(pid)
    return living


def start_ingest(corpus: Path, store: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(SCRIPT), "ingest", str(corpus), "--store", str(store), "--jobs", str(JOBS), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


@contextlib.contextmanager
def ingest_running(corpus: Path, store: Path) -> Iterator[tuple[subprocess.Popen, dict]]:
    """An ingest (with ``JOBS`` workers) that has stored some articles, and its workers.
    At the end, whatever is left of them is killed: they are this test's processes."""
    ingest = start_ingest(corpus, store)
    workers: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while not (len(workers) == JOBS and celebgraph.stats(store)["articles"] >= 16):
            assert ingest.poll() is None, f"ingest ended too early: {ingest.communicate()}"
            assert time.monotonic() < deadline, "the ingest stored nothing in two minutes"
            time.sleep(0.1)
            workers = children(ingest.pid) if store.exists() else {}
        yield ingest, workers
    finally:
        if ingest.poll() is None:
            os.killpg(ingest.pid, signal.SIGKILL)
            ingest.communicate()
        for pid in alive(workers):
            os.kill(pid, signal.SIGKILL)


def article_graphs(store: Path) -> dict[str, set[str]]:
    buffer = io.BytesIO()
    celebgraph.export(store, buffer, "nquads")
    by_graph: dict[str, set[str]] = defaultdict(set)
    for quad in ox.parse(buffer.getvalue(), ox.RdfFormat.N_QUADS):
        if quad.graph_name.value.startswith(article_iri("")):
            by_graph[quad.graph_name.value].add(str(quad))
    return dict(by_graph)


def assert_whole_articles(store: Path, corpus: Path, tmp_path: Path) -> int:
    """Every article graph in ``store`` is the one a clean ingest of its file gives."""
    present = article_graphs(store)
    ids = [name.removeprefix(article_iri("")) for name in present]
    reference = tmp_path / "reference"
    report = celebgraph.ingest([corpus / f"{i}.txt" for i in ids], store=reference, jobs=1)
    assert report.failed == 0, report.errors
    assert present == article_graphs(reference)
    return len(present)


@needs_proc
@pytest.mark.parametrize(
    ("name", "to_group"),
    [
        pytest.param("SIGINT", True, id="Ctrl-C"),
        pytest.param("SIGTERM", False, id="kill"),
        pytest.param("SIGTERM", True, id="kill the group"),
    ],
)
def test_ingest_stopped_by_a_signal_stores_what_it_has_and_says_so(
    tmp_path, corpus, name, to_group
):
    signum = signal.Signals[name]
    store = tmp_path / "store"
    with ingest_running(corpus, store) as (ingest, workers):
        (os.killpg if to_group else os.kill)(ingest.pid, signum)
        out, err = ingest.communicate(timeout=60)
        assert ingest.returncode == 128 + signum, err
        assert alive(workers) == [], "workers outlived the ingest"

    stored = assert_whole_articles(store, corpus, tmp_path)
    assert 16 <= stored < CORPUS_SIZE
    assert out.startswith(f"{stored} articles, ") and out.count("\n") == 1, out
    lines = err.splitlines()
    assert len(lines) == 1, err
    unfinished = re.fullmatch(
        f"error: ingest interrupted by {name}: {stored} articles stored; not stored: "
        r"(\d+) articles in extraction and the inputs not yet read; run the same ingest "
        "again to finish",
        lines[0],
    )
    assert unfinished, lines[0]
    assert int(unfinished[1]) <= 2 * JOBS * 8 + 8  # the batches in flight, one being made


@needs_proc
def test_ingest_killed_leaves_no_worker_and_whole_articles(tmp_path, corpus):
    store = tmp_path / "store"
    with ingest_running(corpus, store) as (ingest, workers):
        ingest.kill()
        ingest.communicate(timeout=30)
        assert ingest.returncode == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while alive(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert alive(workers) == [], "workers outlived the ingest"
    assert 16 <= assert_whole_articles(store, corpus, tmp_path) < CORPUS_SIZE


@needs_proc
def test_ingest_whose_worker_is_killed_says_so_in_one_line(tmp_path, corpus):
    """A worker killed (as the kernel kills one out of memory): one line, not a traceback;
    what was extracted before is stored, whole."""
    store = tmp_path / "store"
    with ingest_running(corpus, store) as (ingest, workers):
        os.kill(next(iter(workers)), signal.SIGKILL)
        _, err = ingest.communicate(timeout=60)
        assert ingest.returncode == 1, err
        assert alive(workers) == [], "workers outlived the ingest"
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: an extraction worker died")
    assert assert_whole_articles(store, corpus, tmp_path) >= 16
