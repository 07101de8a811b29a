"""What celebgraph writes: only over regular files or new paths, whole or not at all.

Real files, a real named pipe, symbolic links, a real device node, a real tmpfs filled up
(skipped where it cannot be mounted) and a real ``celebgraph`` process killed mid-write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest

import celebgraph
from celebgraph.outputs import (
    OutputError,
    atomic_output,
    atomic_outputs,
    check_output,
)
from conftest import SCRIPT

# The commands that write a file with -o, each with the format it writes.
WRITERS = {
    "nquads": ("export", "--format", "nquads"),
    "rdfxml": ("export", "--format", "rdfxml"),
    "graphml": ("export", "--format", "graphml"),
    "gexf": ("export", "--format", "gexf"),
    "json": ("export", "--format", "json"),
    "viz": ("viz",),
}


def run(*args: object, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """The real ``celebgraph`` command (a timeout: writing into a pipe could block)."""
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def one_error_line(result: subprocess.CompletedProcess, start: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith(f"error: {start}"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- what -o accepts ----------------------------------------------------------------------


def make_symlink(folder: Path) -> Path:
    (folder / "real.txt").write_text("old")
    (folder / "link").symlink_to("real.txt")
    return folder / "link"


def make_fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe")
    return folder / "pipe"


def make_device(folder: Path) -> Path:
    """A character device like /dev/full (major 1, minor 7), made in the test's folder so
    that a regression cannot replace the machine's own /dev/full."""
    try:
        os.mknod(folder / "full", 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("cannot create a device node here (needs root and CAP_MKNOD)")
    return folder / "full"


def make_folder(folder: Path) -> Path:
    (folder / "a-folder").mkdir()
    return folder / "a-folder"


TARGETS = {
    "a symbolic link": (make_symlink, stat.S_ISLNK),
    "a named pipe": (make_fifo, stat.S_ISFIFO),
    "a device": (make_device, stat.S_ISCHR),
    "a folder": (make_folder, stat.S_ISDIR),
}


@pytest.mark.parametrize("writer", ["nquads", "graphml", "viz"])
@pytest.mark.parametrize("kind", list(TARGETS))
def test_outputs_refuse_a_target_that_is_not_a_regular_file(seed_store, tmp_path, kind, writer):
    make, is_kind = TARGETS[kind]
    target = make(tmp_path)
    before = listing(tmp_path)
    result = run(*WRITERS[writer], "-o", target, "--store", seed_store, timeout=60)
    one_error_line(result, f"{target}: is {kind}, not a regular file")
    assert is_kind(target.lstat().st_mode), "the target was replaced"
    assert listing(tmp_path) == before  # no .part, nothing else
    if kind == "a symbolic link":
        assert (tmp_path / "real.txt").read_text() == "old"


def test_outputs_check_output_names_what_is_there(tmp_path):
    assert check_output(None) is None and check_output("-") is None
    assert check_output(tmp_path / "new.nq") == tmp_path / "new.nq"
    with pytest.raises(OutputError, match=r"^/dev/full: is a device, not a regular file"):
        check_output("/dev/full")
    with pytest.raises(OutputError, match=r"folder .*missing does not exist; create it first"):
        check_output(tmp_path / "missing" / "new.nq")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output(tmp_path / "file", folder=True)
    assert check_output(tmp_path / "new-folder", folder=True) == tmp_path / "new-folder"
    os.mkfifo(tmp_path / "a\nb")
    with pytest.raises(OutputError, match=r"a\\nb: is a named pipe"):  # one line, escaped
        check_output(tmp_path / "a\nb")


def test_outputs_write_a_new_path_replace_a_regular_file_and_keep_its_mode(seed_store, tmp_path):
    new = tmp_path / "new.nq"
    result = run("export", "--format", "nquads", "-o", new, "--store", seed_store)
    assert result.returncode == 0, result.stderr
    assert len(list(ox.parse(new.read_bytes(), ox.RdfFormat.N_QUADS))) > 50
    old = tmp_path / "old.graphml"
    old.write_text("old")
    old.chmod(0o640)
    result = run("export", "--format", "graphml", "-o", old, "--store", seed_store)
    assert result.returncode == 0, result.stderr
    assert old.read_text().startswith("<?xml") and stat.S_IMODE(old.stat().st_mode) == 0o640
    assert listing(tmp_path) == ["new.nq", "old.graphml"]


@pytest.mark.parametrize("writer", ["nquads", "json", "viz"])
def test_outputs_dash_is_stdout(seed_store, tmp_path, writer):
    result = run(*WRITERS[writer], "-o", "-", "--store", seed_store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) > 1000 and listing(tmp_path) == []


@pytest.mark.parametrize("writer", ["nquads", "graphml", "viz"])
def test_outputs_a_full_stdout_is_one_error_line(seed_store, writer):
    with Path("/dev/full").open("wb") as full:
        result = subprocess.run(
            [str(SCRIPT), *WRITERS[writer], "-o", "-", "--store", str(seed_store)],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
        )  # fmt: skip
    one_error_line(result, "")
    assert "No space left on device" in result.stderr


def test_outputs_csv_folder_is_a_folder_written_the_same_safe_way(seed_store, tmp_path):
    export_csv = ("export", "--format", "csv", "--store", seed_store, "-o")
    (tmp_path / "file").write_text("old")
    one_error_line(run(*export_csv, tmp_path / "file"), f"{tmp_path / 'file'}: is a file")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "linked").symlink_to("elsewhere")
    one_error_line(run(*export_csv, tmp_path / "linked"), f"{tmp_path / 'linked'}: is a symbolic")
    assert listing(tmp_path / "elsewhere") == []
    # A link where one of the two files goes: refused, and neither file is written.
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "edges.csv").symlink_to(tmp_path / "file")
    result = run(*export_csv, tmp_path / "out")
    one_error_line(result, f"{tmp_path / 'out' / 'edges.csv'}: is a symbolic link")
    assert listing(tmp_path / "out") == ["edges.csv"] and (tmp_path / "file").read_text() == "old"
    result = run(*export_csv, tmp_path / "new" / "csv")
    assert result.returncode == 0, result.stderr
    assert listing(tmp_path / "new" / "csv") == ["edges.csv", "nodes.csv"]


# --- failed writes ------------------------------------------------------------------------


def test_outputs_an_error_while_writing_keeps_the_old_file(tmp_path):
    target = tmp_path / "graph.nq"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as handle:
        handle.write(b"half of it")
        raise RuntimeError("the writer failed")
    assert target.read_text() == "old" and listing(tmp_path) == ["graph.nq"]
    # Two files: both or neither.
    pair = [tmp_path / "nodes.csv", tmp_path / "edges.csv"]
    with pytest.raises(RuntimeError), atomic_outputs(pair) as (nodes, _):
        nodes.write(b"id\n")
        raise RuntimeError("the writer failed")
    assert listing(tmp_path) == ["graph.nq"]


def test_outputs_a_part_file_in_the_way_is_refused(tmp_path):
    target = tmp_path / "graph.nq"
    (tmp_path / "precious").write_text("keep")
    (tmp_path / "graph.nq.part").symlink_to("precious")
    refused = pytest.raises(OutputError, match=r"graph\.nq\.part: is a symbolic link in the way")
    with refused, atomic_output(target) as handle:
        handle.write(b"new")
    assert (tmp_path / "precious").read_text() == "keep" and not target.exists()


def test_outputs_a_second_writer_waits_for_the_first(tmp_path):
    target = tmp_path / "graph.nq"
    target.write_text("old")
    done = threading.Event()

    def second() -> None:
        with atomic_output(target) as handle:
            handle.write(b"second")
        done.set()

    with atomic_output(target) as handle:
        handle.write(b"first, ")
        thread = threading.Thread(target=second)
        thread.start()
        assert not done.wait(0.5), "the second writer did not wait for the lock"
        handle.write(b"whole")
        assert target.read_text() == "old"
    thread.join(10)
    assert done.is_set() and target.read_text() == "second"
    assert listing(tmp_path) == ["graph.nq"]


@pytest.fixture
def full_disk(tmp_path):
    """A real 512 KiB tmpfs, mounted for the test; ``fill()`` uses up its space."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {getattr(exc, 'stderr', exc)}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


@pytest.mark.parametrize("writer", ["csv", *WRITERS])
def test_outputs_a_full_disk_keeps_the_old_file_and_leaves_no_half_file(
    seed_store, full_disk, writer
):
    if writer == "csv":
        target = full_disk / "csv"
        target.mkdir()
        olds = {target / "nodes.csv": "old nodes", target / "edges.csv": "old edges"}
        command = ("export", "--format", "csv")
    else:
        target = full_disk / f"graph.{writer}"
        olds = {target: "old"}
        command = WRITERS[writer]
    for path, text in olds.items():
        path.write_text(text)
    fill(full_disk)
    result = run(*command, "-o", target, "--store", seed_store)
    one_error_line(result, "")
    assert "cannot write: No space left on device; left as it was" in result.stderr
    assert {path: path.read_text() for path in olds} == olds
    assert not [p for p in full_disk.rglob("*") if p.name.endswith(".part")]


# --- a killed writer ----------------------------------------------------------------------


CLAIMS = 10_000
RES, CG = "https://w3id.org/celebgraph/resource/", "https://w3id.org/celebgraph/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def claim_quads(i: int) -> str:
    """The N-Quads of claim ``i``, as ingest stores one."""
    claim, doc = f"<{RES}claim/c{i}>", f"<{RES}article/a{i % 100}>"
    values = (
        (f"{RDF}type", f"<{CG}Claim>"),
        (f"{RDF}subject", f"<{RES}person/p{i % 500}>"),
        (f"{RDF}predicate", f"<{CG}friendOf>"),
        (f"{RDF}object", f"<{RES}person/p{(i * 7 + 1) % 500}>"),
        (f"{CG}status", f"<{CG}Asserted>"),
        ("http://www.w3.org/ns/prov#wasDerivedFrom", doc),
        (f"{CG}evidence", f'"Sentence {i}, long enough to take some room in a file."'),
    )
    return "".join(f"{claim} <{p}> {v} {doc} .\n" for p, v in values)


@pytest.fixture(scope="module")
def big_store(tmp_path_factory) -> Path:
    """A store whose exports take a second or more to write (10,000 claims)."""
    folder = tmp_path_factory.mktemp("big")
    quads = folder / "claims.nq"
    quads.write_text("".join(claim_quads(i) for i in range(CLAIMS)), encoding="utf-8")
    report = celebgraph.load([quads], store=folder / "store")
    assert report.failed == 0, report.errors
    return folder / "store"


def whole(path: Path, fmt: str) -> int:
    """How many claims the file holds: it must parse to the end."""
    if fmt == "graphml":
        return nx.read_graphml(path).number_of_edges()
    return sum(1 for _ in ox.parse(path.read_bytes(), ox.RdfFormat.N_QUADS)) // 7


@pytest.mark.parametrize("fmt", ["nquads", "graphml"])
def test_outputs_a_killed_export_leaves_the_old_file_and_the_next_one_cleans_up(
    big_store, tmp_path, fmt
):
    target = tmp_path / f"graph.{fmt}"
    target.write_text("old\n")
    part = tmp_path / f"graph.{fmt}.part"
    command = [str(SCRIPT), "export", "--format", fmt, "-o", str(target), "--store", str(big_store)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):  # mid-write, wherever it writes
            if target.stat().st_size != len("old\n") or part.stat().st_size > 0:
                process.send_signal(signal.SIGKILL)
                break
        time.sleep(0.001)
    process.wait(30)
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL, "the export ended before it could be killed"
    assert target.read_text() == "old\n", "half a file under the real name"
    assert part.exists(), "a killed export leaves its .part"
    result = run("export", "--format", fmt, "-o", target, "--store", big_store)
    assert result.returncode == 0, result.stderr
    assert listing(tmp_path) == [target.name]
    assert whole(target, fmt) == CLAIMS


@pytest.mark.parametrize("fmt", ["turtle", "trig"])
def test_outputs_an_article_id_ending_in_a_dot_reads_back(tmp_path, write_article, fmt):
    """ "gossip..txt" has the id "gossip."; Turtle and TriG exports of it parse back."""
    from rdflib import Dataset

    article = write_article(tmp_path / "in" / "gossip..txt", "Headline\n\nKanye West met Jay-Z.")
    store = tmp_path / "store"
    assert run("ingest", article, "--store", store, "-q").returncode == 0
    out = tmp_path / f"graph.{fmt}"
    assert run("export", "--format", fmt, "--store", store, "-o", out).returncode == 0
    parsed = Dataset()
    parsed.parse(out, format=fmt)
    subjects = {str(s) for s, _, _, _ in parsed.quads()}
    assert "https://w3id.org/celebgraph/resource/article/gossip%2E" in subjects
