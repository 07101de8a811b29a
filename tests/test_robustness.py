"""Robustness: bad input, kill -9 during an ingest, concurrent readers and writers, injection.

Bad inputs the loader alone handles are tested in test_articles.py; here they go through
``celebgraph.ingest`` (report, store) and through the real console script (exit code and
one ``error: FILE[:LINE]: problem`` line each). The crash and concurrency tests run real
``celebgraph`` processes on a corpus of 200 short variants of the bundled example article.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

import celebgraph
from celebgraph import Store, StoreError
from celebgraph.api import write_extraction
from celebgraph.articles import MAX_CHARS, load_articles
from celebgraph.errors import StoreBusyError
from celebgraph.models import Article, Entity, Extraction
from celebgraph.ontology import PEOPLE_GRAPH, article_iri
from conftest import SCRIPT

# --- helpers ------------------------------------------------------------------------------


def export_bytes(store: object, fmt: str = "nquads") -> bytes:
    buffer = io.BytesIO()
    celebgraph.export(store, buffer, fmt)
    return buffer.getvalue()


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CELEBGRAPH_STORE"}
    env["XDG_DATA_HOME"] = "/nonexistent-celebgraph-test-xdg"
    # Short write turns so that a small ingest opens and closes the store many times.
    env["CELEBGRAPH_WRITE_INTERVAL"] = "0.2"
    env["CELEBGRAPH_LOCK_TIMEOUT"] = "60"
    return env | extra


def run(*args: object, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        env=cli_env(**env),
    )


def start(*args: object, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(SCRIPT), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(**env),
    )


def sorted_nquads(store: object) -> list[str]:
    return sorted(line for line in export_bytes(store).decode("utf-8").splitlines() if line)


def graphs(store: object) -> dict[str, set[str]]:
    """Graph name → its quads (N-Quads lines)."""
    by_graph: dict[str, set[str]] = defaultdict(set)
    for quad in ox.parse(export_bytes(store), ox.RdfFormat.N_QUADS):
        by_graph[str(quad.graph_name)].add(str(quad))
    return dict(by_graph)


def article_ids(store: object) -> list[str]:
    rows = celebgraph.select(
        store, "SELECT ?id WHERE { ?a a schema:NewsArticle ; dcterms:identifier ?id } ORDER BY ?id"
    )
    return [r["id"].value for r in rows]


def assert_only_whole_articles(store: object, reference: dict[str, set[str]]) -> set[str]:
    """Every article graph in ``store`` is exactly the reference's; returns their names."""
    present = graphs(store)
    people = f"<{PEOPLE_GRAPH}>"
    articles = {name for name in present if name.startswith(f"<{article_iri('')}")}
    for name in articles:
        assert present[name] == reference[name], f"article graph {name} is not whole"
    assert present.get(people, set()) <= reference[people]
    # Claims of an article are present iff its article node is.
    orphans = celebgraph.query(
        store,
        "ASK { ?claim prov:wasDerivedFrom ?a FILTER NOT EXISTS { ?a a schema:NewsArticle } }",
    )
    assert not orphans.raw
    return articles


# --- the corpus for the process tests ------------------------------------------------------

CORPUS_SIZE = 200


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_path) -> Path:
    """200 articles: mostly two-sentence excerpts of the example, every 40th a full copy."""
    folder = tmp_path_factory.mktemp("corpus") / "articles"
    folder.mkdir()
    headline, body = seed_path.read_text(encoding="utf-8").split("\n", 1)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", body.strip()) if s]
    for i in range(CORPUS_SIZE):
        if i % 40 == 0:
            text = f"{headline}\n\n{body.replace('2009', str(1900 + i))}"
        else:
            start_at = i % (len(sentences) - 1)
            excerpt = " ".join(sentences[start_at : start_at + 2])
            text = f"{headline} (part {i})\n\nKanye West spoke on day {i}. {excerpt}"
        (folder / f"a{i:03d}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> tuple[list[str], dict[str, set[str]]]:
    """A clean, uninterrupted ingest of the corpus: sorted N-Quads and graphs."""
    store = tmp_path_factory.mktemp("reference") / "store"
    report = celebgraph.ingest([corpus], store=store, jobs=1)
    assert (report.articles, report.failed) == (CORPUS_SIZE, 0), report.errors
    return sorted_nquads(store), graphs(store)


# --- bad input, end to end ---------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html><head><title>Gossip Daily | Mara Quill Weds Dex Arlo</title>
<style>p { color: red }</style><script>var x = "<p>not text</p>";</script></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<h1>Mara Quill Weds Dex Arlo</h1>
<p>Mara Quill married Dex Arlo on Sunday &amp; the guests cheered.</p>
<p>Kanye West interrupted Taylor Swift at the wedding.</p>
</body></html>
"""

#: A name built to break out of a SPARQL string literal.
INJECTION = 'x" } ; DROP ALL ; #'

TRICKY_NAMES_TEXT = (
    'Dwayne "The Rock" Johnson praised Kevin Hart. [Kim Kardashian] sued Taylor Swift 🎤🔥. '
    "Beyoncé ❤️ met Jay-Z (the rapper) in Paris. محمد صلاح met Kanye West. "
    "דוד כהן thanked Rihanna. Conan O'Brien interviewed Lady Gaga."
)


def bad_input_folder(root: Path, seed_path: Path) -> tuple[Path, dict[str, str], set[str]]:
    """A folder with good and bad inputs: (folder, {error location: problem}, good ids)."""
    folder = root / "inbox"
    sub = folder / "sub"
    sub.mkdir(parents=True)

    def write(name: str, data: str | bytes) -> None:
        if isinstance(data, bytes):
            (folder / name).write_bytes(data)
        else:
            (folder / name).write_text(data, encoding="utf-8")

    good_line = {"id": "feed-1", "title": "Feed One", "text": "Kevin Hart praised Jay Leno."}
    write("good.txt", seed_path.read_text(encoding="utf-8"))
    write("nobody.txt", "Sunny Weekend Ahead\n\nThe forecast promises sunshine for everyone.")
    write("page.txt", HTML_PAGE)
    write("wide.txt", "Beyoncé Sings\n\nChloë Vance praised Beyoncé.".encode("utf-16"))
    write(
        "feed.jsonl",
        "\n".join(
            [
                json.dumps(good_line),
                '{"id": "feed-2", "text": ',  # malformed
                json.dumps({"id": "feed-3", "text": "Rihanna thanked Jay-Z."}),
                json.dumps({"id": "feed-4", "title": "no text"}),
                json.dumps({"id": "feed-5", "text": "Lady Gaga \ud800 met Kanye West."}),
                json.dumps({"id": INJECTION + " שלום 🎤 [1]", "text": TRICKY_NAMES_TEXT}),
            ]
        )
        + "\n",
    )
    write("empty.txt", b"")
    write("blank.txt", b"  \n\t\r\n  ")
    write("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    write("latin1.txt", "Beyoncé à Paris\n\nCafé crème with Kanye West.".encode("latin-1"))
    write("script-only.txt", "<html><script>alert(1)</script></html>")
    write("malformed.json", '{\n  "id": "m",\n  "text": \n')
    write("wrong-types.json", json.dumps({"id": "w", "text": ["a", "list"]}))
    write("no-text.json", json.dumps({"id": "n", "title": "Where is the text?"}))
    # A 50 MB article, as text and as JSON: rejected unread / after parsing, never extracted.
    paragraph = "Kanye West interrupted Taylor Swift again. " * 1000 + "\n"
    with (folder / "huge.txt").open("w", encoding="utf-8") as handle:
        handle.write("A Very Long Article\n\n")
        for _ in range(50 * 1024 * 1024 // len(paragraph) + 1):
            handle.write(paragraph)
    huge_size = (folder / "huge.txt").stat().st_size
    write("huge.json", json.dumps({"id": "huge", "text": paragraph * 20}))
    os.mkfifo(folder / "fifo.txt")  # reading it would block for ever
    (sub / "up").symlink_to("..")  # a folder link loop: not followed
    (folder / "loop1.txt").symlink_to("loop2.txt")  # a file link loop
    (folder / "loop2.txt").symlink_to("loop1.txt")
    (sub / "denied.txt").write_text("Denied\n\nKanye West praised Jay-Z.", encoding="utf-8")
    problems = {
        "binary.txt": "binary file, not text",
        "blank.txt": "empty file",
        "empty.txt": "empty file",
        "feed.jsonl:2": "malformed JSON",
        "feed.jsonl:4": "missing field 'text'",
        "fifo.txt": "not a regular file",
        "huge.json": f"too long ({len(paragraph) * 20 - 2:,} characters; limit {MAX_CHARS:,})",
        "huge.txt": f"too long ({huge_size:,} bytes; limit {MAX_CHARS:,} characters)",
        "latin1.txt": "not valid UTF-8 text (byte 6); convert it to UTF-8",
        "loop1.txt": "cannot read (Too many levels of symbolic links)",
        "loop2.txt": "cannot read (Too many levels of symbolic links)",
        "malformed.json:4": "malformed JSON",
        "no-text.json": "missing field 'text'",
        "script-only.txt": "HTML page without text",
        "sub/denied.txt": "cannot read (Permission denied)",
        "wrong-types.json": "field 'text' must be a string",
    }
    good = {"good", "nobody", "page", "wide", "feed-1", "feed-3", "feed-5"}
    good.add(INJECTION + " שלום 🎤 [1]")
    return folder, problems, good


def deny(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``path`` unreadable, even for root (chmod 000 is not enough there)."""
    real_open = os.open

    def guarded_open(name, *args, **kwargs):
        if Path(name) == path:
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)


def split_error(message: str, folder: Path) -> tuple[str, str]:
    """'FOLDER/name[:LINE]: problem' → ('name[:LINE]', 'problem')."""
    assert "\n" not in message
    assert message.startswith(f"{folder}/"), message
    location, problem = message[len(f"{folder}/") :].split(": ", 1)
    return location, problem


def test_ingest_bad_inputs_are_reported_and_the_rest_is_stored(tmp_path, seed_path, monkeypatch):
    folder, problems, good = bad_input_folder(tmp_path, seed_path)
    deny(folder / "sub" / "denied.txt", monkeypatch)
    store = tmp_path / "store"
    report = celebgraph.ingest([folder], store=store, jobs=1)

    found = dict(split_error(m, folder) for m in report.errors)
    assert sorted(found) == sorted(problems), report.errors  # one message per bad item
    for location, problem in problems.items():
        assert problem in found[location], (location, found[location])
    assert report.articles == len(good)
    # Nothing of a failed article is in the store; every good one is, whole.
    assert set(article_ids(store)) == good
    assert {r["g"].value for r in celebgraph.select(store, GRAPHS)} == {
        str(article_iri(a)) for a in good
    } | {str(PEOPLE_GRAPH), "https://w3id.org/celebgraph/ontology"}


GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


def test_ingest_html_is_converted_to_text(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.txt").write_text(HTML_PAGE, encoding="utf-8")
    (article,) = load_articles([tmp_path / "in"])
    assert article.headline == "Mara Quill Weds Dex Arlo"
    # No tags, scripts, styles or navigation; entities decoded.
    assert article.text == (
        "Mara Quill married Dex Arlo on Sunday & the guests cheered.\n"
        "Kanye West interrupted Taylor Swift at the wedding."
    )
    item = {"id": "h", "title": "<b>Bold</b> &amp; <i>brash</i>", "text": HTML_PAGE}
    (tmp_path / "in" / "page.json").write_text(json.dumps(item), encoding="utf-8")
    articles = list(load_articles([tmp_path / "in" / "page.json"]))
    assert (articles[0].headline, articles[0].text) == ("Bold & brash", article.full_text)
    # Plain text that merely mentions a tag is left alone.
    (tmp_path / "in" / "plain.txt").write_text(
        "Tags\n\nShe wrote <3 and a <b> tag in her post.", encoding="utf-8"
    )
    (plain,) = load_articles([tmp_path / "in" / "plain.txt"])
    assert plain.text == "She wrote <3 and a <b> tag in her post."


def test_ingest_huge_files_are_rejected_without_being_read(tmp_path, monkeypatch):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:  # 2 GB, sparse: reading it would take the memory
        handle.truncate(2 * 1024**3)
    feed = tmp_path / "huge.jsonl"
    with feed.open("wb") as handle:
        handle.write(json.dumps({"id": "ok-1", "text": "Rihanna thanked Jay-Z."}).encode())
        handle.write(b'\n{"id": "long", "text": "')
        for _ in range(64):  # a 64 MB line, then a good one
            handle.write(b"Kanye West. " * (1024**2 // 12))
        last = json.dumps({"id": "ok-3", "text": "Jay-Z praised Rihanna."}).encode()
        handle.write(b'"}\n' + last)
    errors: list[str] = []
    articles = list(load_articles([huge, feed], on_error=lambda e: errors.append(str(e))))
    assert [a.id for a in articles] == ["ok-1", "ok-3"]
    assert errors == [
        f"{huge}: too long (2,147,483,648 bytes; limit {MAX_CHARS:,} characters)",
        f"{feed}:2: too long (more than 1,801,024 bytes; limit {MAX_CHARS:,} characters)",
    ]


def test_ingest_jsonl_bad_encoding_costs_only_that_line(tmp_path):
    feed = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps({"id": "a", "text": "Kanye West praised Jay-Z."}).encode(),
        '{"id": "b", "text": "Beyoncé"}'.encode("latin-1"),
        json.dumps(
            {"id": "c", "text": "Lady\u2028Gaga\x0c met Rihanna."}, ensure_ascii=False
        ).encode(),
    ]
    feed.write_bytes(b"\n".join(lines))
    errors: list[str] = []
    articles = list(load_articles([feed], on_error=lambda e: errors.append(str(e))))
    # U+2028 and form feeds inside a line do not split it.
    assert [a.id for a in articles] == ["a", "c"]
    assert errors == [f"{feed}:2: not valid UTF-8 text (byte 27 of the line); convert it to UTF-8"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files whatever their mode")
def test_ingest_chmod_000_file_and_folder(tmp_path):
    folder = tmp_path / "in"
    (folder / "closed").mkdir(parents=True)
    (folder / "closed" / "x.txt").write_text("X\n\nBody.", encoding="utf-8")
    (folder / "secret.txt").write_text("S\n\nBody.", encoding="utf-8")
    (folder / "ok.txt").write_text("OK\n\nBody.", encoding="utf-8")
    (folder / "secret.txt").chmod(0)
    (folder / "closed").chmod(0)
    try:
        errors: list[str] = []
        articles = list(load_articles([folder], on_error=lambda e: errors.append(str(e))))
    finally:
        (folder / "closed").chmod(0o755)
    assert [a.id for a in articles] == ["ok"]
    assert sorted(errors) == [
        f"{folder / 'closed'}: cannot read folder (Permission denied)",
        f"{folder / 'secret.txt'}: cannot read (Permission denied)",
    ]


def test_cli_ingest_bad_inputs_one_line_each_and_exit_code_2(tmp_path, seed_path):
    folder, problems, good = bad_input_folder(tmp_path, seed_path)
    # The console script cannot be monkeypatched: the unreadable file is left out here.
    (folder / "sub" / "denied.txt").unlink()
    del problems["sub/denied.txt"]
    store = tmp_path / "store"
    result = run("ingest", folder, "--store", store, "--jobs", "1", "-q")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines), result.stderr
    found = dict(split_error(line.removeprefix("error: "), folder) for line in lines)
    assert sorted(found) == sorted(problems)
    for location, problem in problems.items():
        assert problem in found[location]
    assert result.stdout.strip().endswith(f"; {len(problems)} failed")
    assert result.stdout.startswith(f"{len(good)} articles, ")
    assert set(article_ids(store)) == good


def test_ingest_names_with_quotes_brackets_emoji_and_rtl_round_trip(tmp_path, extractor):
    article = Article(INJECTION + " ☃ שלום", "Names 🎤", TRICKY_NAMES_TEXT)
    extraction = extractor.extract(article)
    assert extraction.entities  # the extractor found some of the people
    # Add people whose names are hostile, as if the extractor had found them.
    hostile = [
        Entity("x-drop", INJECTION, ('"]>} ; DELETE WHERE { ?s ?p ?o }',)),
        Entity("rtl", "محمد صلاح", ("\u202eevil\u202c",)),
        Entity("emoji", "Beyoncé 🐝 [Queen] {B}", ("B\\",)),
    ]
    entities = dict(extraction.entities) | {e.key: e for e in hostile}
    store = tmp_path / "store"
    with Store(store) as db:
        write_extraction(db, Extraction(article, entities, extraction.claims))
    assert article_ids(store) == [article.id]
    for entity in entities.values():
        for name in (entity.name, *entity.aliases):
            rows = celebgraph.select(
                store,
                "SELECT ?p ?name WHERE { ?p rdfs:label|skos:altLabel ?name }",
                substitutions={"name": name},
            )
            assert [r["p"].value for r in rows] != [], name
    assert celebgraph.stats(store)["claims"] == len(extraction.claims)


# --- injection ------------------------------------------------------------------------------


def test_injection_through_substitutions_finds_nothing_and_changes_nothing(tmp_path, seed_store):
    store = tmp_path / "store"
    shutil.copytree(seed_store, store)
    before = sorted_nquads(store)
    lookup = "SELECT ?p ?name WHERE { ?p a cg:Person ; rdfs:label ?name }"
    assert celebgraph.select(store, lookup, substitutions={"name": INJECTION}) == []
    assert celebgraph.select(store, lookup, {"?name": "Kanye West"})  # the same query works
    # A filter value, too.
    filtered = "SELECT ?c ?needle WHERE { ?c cg:evidence ?e FILTER(CONTAINS(?e, ?needle)) }"
    assert celebgraph.select(store, filtered, {"needle": INJECTION}) == []
    assert celebgraph.select(store, filtered, {"needle": "Leno"})
    # Updates are not queries: the query API cannot change the store.
    for sparql in ("DROP ALL", "CLEAR ALL", "DELETE WHERE { ?s ?p ?o }"):
        with pytest.raises(celebgraph.QueryError):
            celebgraph.query(store, sparql)
    with pytest.raises(celebgraph.QueryError):
        celebgraph.select(store, lookup, {"name": "\ud800"})
    with pytest.raises(celebgraph.QueryError):
        celebgraph.select(store, lookup, {"name": 3.5})
    assert sorted_nquads(store) == before


def test_injection_through_article_text_and_id_is_stored_as_text(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    nasty_id = 'a> } ; DROP ALL ; # "b'
    item = {"id": nasty_id, "title": INJECTION, "text": f"Kanye West said {INJECTION} to Jay-Z."}
    (folder / "x.json").write_text(json.dumps(item), encoding="utf-8")
    (folder / "y.txt").write_text("Other\n\nRihanna thanked Jay-Z.", encoding="utf-8")
    store = tmp_path / "store"
    report = celebgraph.ingest([folder], store=store, jobs=1)
    assert (report.articles, report.failed) == (2, 0), report.errors
    assert article_ids(store) == [nasty_id, "y"]
    rows = celebgraph.select(
        store, "SELECT ?a ?h WHERE { ?a schema:headline ?h }", {"h": INJECTION}
    )
    assert [r["a"].value for r in rows] == [str(article_iri(nasty_id))]


# --- locking --------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from celebgraph import Store
    store = Store(sys.argv[1])
    print("ready", flush=True)
    time.sleep(float(sys.argv[2]))
    store.close()
    print("released", flush=True)
    time.sleep(60)
    """
)


def hold(path: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ready", holder.stderr.read()
    return holder


def test_store_open_waits_for_another_process_to_close(tmp_path):
    path = tmp_path / "store"
    holder = hold(path, 1.0)
    try:
        started = time.monotonic()
        with Store(path, timeout=30) as store:
            waited = time.monotonic() - started
            assert len(store) == 0
        assert waited > 0.3
    finally:
        holder.kill()
        holder.communicate(timeout=30)


def test_store_already_open_in_this_thread_fails_at_once(tmp_path):
    path = tmp_path / "store"
    with Store(path):
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match="already open in this thread"):
            celebgraph.stats(path)
        assert time.monotonic() - started < 5
    # Another thread of the same process waits its turn instead.
    store = Store(path)
    counts: list[int] = []
    reader = threading.Thread(target=lambda: counts.append(celebgraph.stats(path)["articles"]))
    reader.start()
    time.sleep(0.3)
    store.close()
    reader.join(timeout=30)
    assert counts == [0]


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_store_bad_lock_timeout_is_a_clear_error(tmp_path, monkeypatch, value):
    monkeypatch.setenv("CELEBGRAPH_LOCK_TIMEOUT", value)
    with pytest.raises(StoreError, match="CELEBGRAPH_LOCK_TIMEOUT must be a number of seconds"):
        Store(tmp_path / "s")


def test_cli_second_writer_gets_a_clear_message(tmp_path, seed_path):
    path = tmp_path / "store"
    holder = hold(path, 120)
    try:
        result = run(
            "ingest", seed_path, "--store", path, "--jobs", "1", CELEBGRAPH_LOCK_TIMEOUT="1"
        )
    finally:
        holder.kill()
        holder.communicate(timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: cannot open store {path}: it is in use by another celebgraph process"
        " (waited 1 s); wait for it to finish, or set CELEBGRAPH_LOCK_TIMEOUT to wait longer"
    )


# --- crash: kill -9 during an ingest ------------------------------------------------------


def wait_for_articles(store: Path, process: subprocess.Popen, at_least: int) -> int:
    """Poll the store (as a reader would) until it holds ``at_least`` articles."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"ingest ended too early: {process.communicate()}"
        if store.exists():
            count = celebgraph.stats(store)["articles"]
            if count >= at_least:
                return count
        time.sleep(0.05)
    raise AssertionError("the ingest wrote nothing in two minutes")


def test_kill_9_during_ingest_leaves_whole_articles_and_a_rerun_completes(
    tmp_path, corpus, reference
):
    expected_lines, expected_graphs = reference
    store = tmp_path / "store"
    ingest = start("ingest", corpus, "--store", store, "--jobs", "1", "-q")
    try:
        wait_for_articles(store, ingest, 20)
    finally:
        ingest.send_signal(signal.SIGKILL)
        ingest.communicate(timeout=30)
    assert ingest.returncode == -signal.SIGKILL

    # The store opens and holds only whole articles, some but not all of them.
    with Store(store, timeout=5) as db:
        assert len(db) > 0
    present = assert_only_whole_articles(store, expected_graphs)
    assert 20 <= len(present) < CORPUS_SIZE

    rerun = run("ingest", corpus, "--store", store, "--jobs", "1", "-q")
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith(f"{CORPUS_SIZE} articles, ")
    assert sorted_nquads(store) == expected_lines


# --- concurrency: readers during an ingest, two writers ------------------------------------


def test_readers_and_two_writers_while_ingesting(tmp_path, corpus, reference):
    expected_lines, expected_graphs = reference
    names = sorted(p.name for p in corpus.iterdir())
    halves = [tmp_path / "first", tmp_path / "second"]
    for half, part in zip(
        halves, (names[: len(names) // 2], names[len(names) // 2 :]), strict=True
    ):
        half.mkdir()
        for name in part:
            shutil.copy(corpus / name, half / name)
    store = tmp_path / "store"

    first = start("ingest", halves[0], "--store", store, "--jobs", "1", "-q")
    counts = [wait_for_articles(store, first, 1)]
    second = start("ingest", halves[1], "--store", store, "--jobs", "1", "-q")
    cli_readers = [
        start(
            "query", "SELECT (COUNT(*) AS ?n) WHERE { ?a a schema:NewsArticle }", "--store", store
        ),
        start("export", "--format", "nquads", "-o", tmp_path / "during.nq", "--store", store),
        start("stats", "--json", "--store", store),
    ]
    exports = 0
    while first.poll() is None or second.poll() is None:
        counts.append(celebgraph.stats(store)["articles"])
        rows = celebgraph.select(store, "SELECT ?c WHERE { ?c a cg:Claim } LIMIT 5")
        assert isinstance(rows, list)
        if len(counts) % 10 == 0:
            assert_only_whole_articles(store, expected_graphs)
            exports += 1
        time.sleep(0.2)
    assert first.returncode == 0, first.communicate()
    assert second.returncode == 0, second.communicate()
    for reader in cli_readers:
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err
    assert '"articles"' in out
    assert (tmp_path / "during.nq").stat().st_size > 0
    # Readers got answers all along, and saw the store grow.
    assert counts == sorted(counts)
    assert len(set(counts)) >= 3, counts
    assert exports >= 1, counts
    # Both writers finished; the store is what one clean run gives.
    assert sorted_nquads(store) == expected_lines
