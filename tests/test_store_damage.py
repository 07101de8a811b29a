"""A damaged store: reads change nothing, damage is one clear line, readers need no free space.

The store folders here are copies of the seed store, damaged on disk as a failing disk or
a careless hand would (a file deleted or truncated, a byte flipped), then read and written
through the real console script (exit code, one ``error:`` line) and the library. Every
read is checked to leave the folder byte for byte as it was. The full-disk test mounts a
small tmpfs (root only; skipped where mounting is not possible).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import celebgraph
from celebgraph import Store, StoreError
from celebgraph.server import ServerConfig, make_server
from conftest import SCRIPT

# --- helpers ------------------------------------------------------------------------------


def run(*args: object, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "CELEBGRAPH_STORE"}
    environ |= {"XDG_DATA_HOME": "/nonexistent-celebgraph-test-xdg", **env}
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=180, env=environ
    )


def error_line(result: subprocess.CompletedProcess) -> str:
    """The one ``error:`` line a failed command printed (and nothing else on stderr)."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """File name → SHA-256 of its content: what a read must leave as it found it."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def copy_store(seed_store: Path, target: Path) -> Path:
    shutil.copytree(seed_store, target)
    return target


def table_of(store: Path, index: str) -> Path:
    """The data file (SST) of one of Oxigraph's indexes (RocksDB column families), found by
    the column family name its properties block records ("...family.name" + name)."""
    for path in sorted(store.glob("*.sst")):
        if re.search(rb"name" + index.encode() + rb"[^a-z0-9]", path.read_bytes()):
            return path
    raise AssertionError(f"no table of {index} in {store}")


def flip_byte(path: Path, offset: int = 100) -> None:
    """Flip one bit inside the file's first data block (blocks start at offset 0)."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


def manifest(store: Path) -> Path:
    current = (store / "CURRENT").read_text(encoding="ascii").strip()
    return store / current


RESTORE_HINT = "celebgraph load"

# Every read-only command, as the command line runs it.
READERS = {
    "stats": ["stats"],
    "stats-json": ["stats", "--json"],
    "query": ["query", "ASK { ?s ?p ?o }"],
    "export": ["export", "--format", "nquads"],
    "top": ["top"],
    "path": ["path", "Kanye West", "Taylor Swift"],
    "ego": ["ego", "Kanye West"],
    "communities": ["communities"],
    "viz": ["viz", "-o", "{tmp}/graph.html"],
    "serve": ["serve", "--port", "0"],
}


def reader_args(name: str, tmp_path: Path) -> list[str]:
    return [arg.replace("{tmp}", str(tmp_path)) for arg in READERS[name]]


# --- case 1: a read never creates, repairs or deletes -------------------------------------


@pytest.mark.parametrize("command", sorted(READERS))
def test_store_damage_missing_current_is_refused_by_every_reader(tmp_path, seed_store, command):
    store = copy_store(seed_store, tmp_path / "store")
    (store / "CURRENT").unlink()
    before = snapshot(store)
    # Twice: the second read used to find an empty new database where the first left one.
    for _ in range(2):
        line = error_line(run(*reader_args(command, tmp_path), "--store", store))
        assert line.startswith(f"error: {store / 'CURRENT'}: missing; the store is damaged")
        assert RESTORE_HINT in line
        assert snapshot(store) == before
    assert not (tmp_path / "graph.html").exists()


def test_store_damage_missing_current_reads_and_ingest_change_nothing(
    tmp_path, seed_store, seed_path
):
    store = copy_store(seed_store, tmp_path / "store")
    current = (store / "CURRENT").read_bytes()
    (store / "CURRENT").unlink()
    before = snapshot(store)
    reads = [
        lambda: celebgraph.stats(store),
        lambda: celebgraph.select(store, "SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
        lambda: celebgraph.export(store, io.BytesIO()),
        lambda: celebgraph.to_networkx(store),
        lambda: make_server(ServerConfig(store=store, port=0, quiet=True)),
        # A writer refuses it too: RocksDB would start an empty database over the data.
        lambda: celebgraph.ingest([seed_path], store=store, jobs=1),
    ]
    for read in reads:
        with pytest.raises(StoreError, match=re.escape(f"{store / 'CURRENT'}: missing")):
            read()
        assert snapshot(store) == before
    # Every data file is still there: with CURRENT back, the store is whole again.
    (store / "CURRENT").write_bytes(current)
    assert celebgraph.stats(store) == celebgraph.stats(seed_store)


@pytest.mark.parametrize("command", ["stats", "query", "export", "top", "serve"])
def test_store_damage_reads_of_a_missing_folder_create_nothing(tmp_path, command):
    store = tmp_path / "nowhere"
    line = error_line(run(*reader_args(command, tmp_path), "--store", store))
    assert line.startswith(f"error: no celebgraph store at {store}: the folder does not exist")
    assert not store.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    line = error_line(run(*reader_args(command, tmp_path), "--store", empty))
    assert line.startswith(f"error: no celebgraph store at {empty}: the folder holds no store")
    assert list(empty.iterdir()) == []


def test_store_damage_library_readers_create_nothing(tmp_path):
    store = tmp_path / "nowhere"
    for read in (
        lambda: celebgraph.stats(store),
        lambda: celebgraph.query(store, "ASK { ?s ?p ?o }"),
        lambda: celebgraph.export(store, io.BytesIO()),
        lambda: Store(store, read_only=True),
    ):
        with pytest.raises(StoreError, match="no celebgraph store at"):
            read()
        assert not store.exists()


# --- cases 2 and 3: damage is found and said in one line -----------------------------------

DAMAGES = {
    "missing-sst": (lambda s: table_of(s, "ospg"), lambda f: f.unlink(), "missing"),
    "truncated-sst": (
        lambda s: table_of(s, "ospg"),
        lambda f: os.truncate(f, 1000),
        "damaged (Sst file size mismatch",
    ),
    "missing-manifest": (manifest, lambda f: f.unlink(), "missing"),
    "flipped-manifest": (
        manifest,
        lambda f: flip_byte(f, f.stat().st_size // 2),
        "damaged (checksum mismatch",
    ),
    "garbage-current": (
        lambda s: s / "CURRENT",
        lambda f: f.write_bytes(b"\x00garbage"),
        "damaged (CURRENT file",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_store_damage_found_on_open_is_one_line_naming_the_file(tmp_path, seed_store, damage):
    which, harm, problem = DAMAGES[damage]
    store = copy_store(seed_store, tmp_path / "store")
    victim = which(store)
    harm(victim)
    before = snapshot(store)
    for command in ("stats", "export", "serve"):
        line = error_line(run(*reader_args(command, tmp_path), "--store", store))
        assert line.startswith(f"error: {victim}: {problem}"), line
        assert "the store is damaged" in line and RESTORE_HINT in line
    with pytest.raises(StoreError, match=re.escape(f"{victim}: {problem}")):
        celebgraph.stats(store)
    assert snapshot(store) == before


def test_store_damage_found_while_reading_is_one_line_naming_the_file(tmp_path, seed_store):
    store = copy_store(seed_store, tmp_path / "store")
    victim = table_of(store, "gspo")  # the index an export reads, graph by graph
    flip_byte(victim)
    before = snapshot(store)
    expected = f"error: {victim}: damaged (block checksum mismatch"
    for args in (
        ["export", "--format", "nquads"],
        ["export", "--format", "trig"],
        ["query", "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"],
    ):
        line = error_line(run(*args, "--store", store))
        assert line.startswith(expected), line
    with pytest.raises(StoreError, match=re.escape(expected.removeprefix("error: "))):
        celebgraph.export(store, io.BytesIO())
    assert snapshot(store) == before


def test_store_damage_found_during_ingest_stops_it_saying_what_was_stored(
    tmp_path, seed_store, seed_path
):
    store = copy_store(seed_store, tmp_path / "store")
    # An index no read here uses: the damage passes every read, and a write's compaction,
    # which reads every block it merges, is what meets it.
    victim = table_of(store, "ospg")
    flip_byte(victim)
    articles = tmp_path / "articles"
    articles.mkdir()
    headline, body = seed_path.read_text(encoding="utf-8").split("\n", 1)
    for i in range(30):
        (articles / f"new{i:02d}.txt").write_text(f"{headline} {i}\n{body}", encoding="utf-8")
    assert celebgraph.stats(store)["articles"] == 1
    # One write turn per article: the store is opened, written and closed again each time.
    result = run("ingest", articles, "--store", store, "--jobs", "1", CELEBGRAPH_WRITE_INTERVAL="0")
    line = error_line(result)
    assert line.startswith(f"error: {victim}: damaged (block checksum mismatch"), line
    stored = re.search(r"; ingest stopped: (\d+) articles stored, the rest not$", line)
    assert stored, line
    # What it says was stored is what readers find (they do not need the damaged index).
    assert celebgraph.stats(store)["articles"] == 1 + int(stored.group(1)) < 31


# --- case 4: readers work while the disk is full ------------------------------------------


@pytest.fixture
def full_disk(tmp_path):
    """A 4 MB tmpfs, mounted for the test, filled up by the test."""
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30)


def fill(folder: Path) -> None:
    """Write zeros until the disk has no byte left (unbuffered: each write fails at once)."""
    with (folder / "filler").open("wb", buffering=0) as filler:
        for size in (1 << 16, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * size)
    assert os.statvfs(folder).f_bavail == 0


def test_store_damage_readers_work_while_the_disk_is_full(full_disk, seed_store):
    store = copy_store(seed_store, full_disk / "store")
    fill(full_disk)
    before = snapshot(store)
    stats = run("stats", "--json", "--store", store)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout) == celebgraph.stats(seed_store)
    ask = run("query", "ASK { ?s a cg:Claim }", "--store", store)
    assert ask.returncode == 0, ask.stderr
    assert "true" in ask.stdout.lower()
    export = run("export", "--format", "nquads", "--store", store)
    assert export.returncode == 0, export.stderr
    reference = io.BytesIO()
    celebgraph.export(seed_store, reference)
    assert sorted(export.stdout.splitlines()) == sorted(reference.getvalue().decode().splitlines())
    assert snapshot(store) == before


# --- the readers' lock ----------------------------------------------------------------------

READER = textwrap.dedent(
    """
    import sys, time
    from celebgraph import Store
    store = Store(sys.argv[1], read_only=True)
    print("ready", len(store), flush=True)
    time.sleep(60)
    """
)


def test_store_damage_readers_share_the_store_and_writers_wait_for_them(tmp_path, seed_store):
    store = copy_store(seed_store, tmp_path / "store")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().startswith("ready"), reader.stderr.read()
        # Another reader reads alongside, at once.
        started = time.monotonic()
        assert celebgraph.stats(store)["articles"] == 1
        assert time.monotonic() - started < 10
        # A writer waits for the readers, then gives up with the usual line.
        with pytest.raises(StoreError, match="in use by another celebgraph process"):
            Store(store, timeout=0.5)
    finally:
        reader.kill()
        reader.communicate(timeout=30)
    with Store(store, timeout=5) as db:
        assert len(db) > 0


OPENER = textwrap.dedent(
    """
    import sys
    from celebgraph import Store, StoreError
    try:
        Store(sys.argv[1], timeout=0).close()
        print("opened")
    except StoreError as exc:
        print(exc)
    """
)


def test_store_damage_a_reader_in_the_writers_process_keeps_the_writers_lock(tmp_path):
    store = tmp_path / "store"
    writer = Store(store)
    counts: list[int] = []
    waiting = threading.Thread(target=lambda: counts.append(celebgraph.stats(store)["articles"]))
    waiting.start()
    time.sleep(0.3)  # the reader thread now waits for the writer
    # The reader's wait must not have cost the writer its lock: another process is kept out.
    other = subprocess.run(
        [sys.executable, "-c", OPENER, str(store)], capture_output=True, text=True, timeout=60
    )
    assert "in use by another celebgraph process" in other.stdout, (other.stdout, other.stderr)
    writer.close()
    waiting.join(timeout=30)
    assert counts == [0]
