"""Every file celebgraph writes: written whole or not at all, never over what is not a file.

A file ``NAME`` is written to ``NAME.part`` in its own folder, flushed to disk, then renamed
over ``NAME``: a full disk, an error or a kill leaves the old ``NAME`` as it was and never
half a file under its real name. ``NAME.part`` is locked while it is written, so a second
writer of the same file waits for the first, and the ``NAME.part`` a killed writer left
behind is taken over (and renamed away) by the next write of ``NAME``.

An output target must be a regular file or a new path in an existing folder; a symbolic
link, a folder, a device or a named pipe is refused, never replaced (``-`` is stdout for
the command line). The text helpers make every export format hold any ``str``: XML 1.0
cannot hold most control characters, and UTF-8 cannot hold a lone surrogate.

>>> import tempfile
>>> from pathlib import Path
>>> target = Path(tempfile.mkdtemp()) / "page.html"
>>> with atomic_output(target) as handle:
...     _ = handle.write(b"<p>whole</p>")
>>> target.read_bytes(), sorted(p.name for p in target.parent.iterdir())
(b'<p>whole</p>', ['page.html'])
>>> xml_text("a\\x00b\\r\\nc\\ud800") == "ab\\nc\\ufffd"
True
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from celebgraph.errors import CelebgraphError
from celebgraph.text import printable

if TYPE_CHECKING:
    import pyoxigraph as ox

#: The ``-o`` value that means standard output.
STDOUT = "-"
#: What is added to a file's name while it is being written.
PART_SUFFIX = ".part"

_KINDS = (
    (stat.S_ISREG, "a file"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters outside XML 1.0's Char production (lone surrogates are replaced first).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class OutputError(CelebgraphError):
    """An output that cannot be written where asked; the file there is left as it was."""


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "something else")


def check_path(path: str | Path, folder: bool = False) -> Path:
    """``path`` if it is a regular file (``folder``: a folder) or a new path in an existing
    folder (``folder``: any new path); else an :class:`OutputError` that says what is there.

    The last part of the path is never followed: a symbolic link is refused, so writing
    cannot land somewhere the path does not name.
    """
    path = Path(path)
    wanted = "folder" if folder else "regular file"
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        parent = path.parent
        if not folder and not parent.is_dir():
            raise OutputError(
                f"{printable(path)}: folder {printable(parent)} does not exist; create it first"
            ) from None
        return path
    except OSError as exc:
        raise OutputError(f"{printable(path)}: {exc.strerror}") from None
    if (stat.S_ISDIR if folder else stat.S_ISREG)(mode):
        return path
    instead = "a folder or a new path" if folder else f"a file name, or {STDOUT} for stdout"
    raise OutputError(f"{printable(path)}: is {_kind(mode)}, not a {wanted}; give {instead}")


def check_output(target: str | Path | None, folder: bool = False) -> Path | None:
    """An ``-o`` value checked before any work is done: ``None`` for stdout (no value or
    ``-``), else the path, as :func:`check_path` accepts it."""
    if target is None or str(target) == STDOUT:
        return None
    return check_path(target, folder)


class _Part:
    """``NAME.part``, opened and locked for writing, until it is renamed or removed."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.with_name(target.name + PART_SUFFIX)
        self.handle: BinaryIO | None = None

    def open(self) -> BinaryIO:
        while True:  # until the locked file is the one still named NAME.part
            with contextlib.suppress(FileNotFoundError):
                mode = self.path.lstat().st_mode
                if not stat.S_ISREG(mode):
                    raise OutputError(
                        f"{printable(self.path)}: is {_kind(mode)} in the way of writing "
                        f"{printable(self.target)}; remove it"
                    )
            flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            fd = os.open(self.path, flags, 0o666)
            try:
                opened = os.fstat(fd)
                if not stat.S_ISREG(opened.st_mode):  # swapped in since the check above
                    raise OutputError(
                        f"{printable(self.path)}: is {_kind(opened.st_mode)}; remove it"
                    )
                fcntl.flock(fd, fcntl.LOCK_EX)  # waits while another process writes NAME
                with contextlib.suppress(FileNotFoundError):
                    now = self.path.lstat()
                    if (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino):
                        break
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # the writer before us renamed it: start again with a new one
        os.ftruncate(fd, 0)  # what a killed writer left
        with contextlib.suppress(FileNotFoundError):
            os.fchmod(fd, stat.S_IMODE(self.target.stat().st_mode))  # as the file it replaces
        self.handle = os.fdopen(fd, "wb")
        return self.handle

    def finish(self) -> None:
        assert self.handle is not None
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def commit(self) -> None:
        check_path(self.target)  # still nothing but a file (or nothing) to replace
        self.path.replace(self.target)

    def close(self, discard: bool) -> None:
        """Release the lock; with ``discard``, remove the half-written file first."""
        if self.handle is None:
            return
        if discard:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        with contextlib.suppress(OSError):  # a failed flush is already being reported
            self.handle.close()
        self.handle = None


@contextlib.contextmanager
def atomic_outputs(paths: Sequence[str | Path]) -> Iterator[list[BinaryIO]]:
    """Binary handles to write ``paths``; when the block ends without error every file is
    on disk and renamed into place together, else none is and the old files stay.

    Each path must pass :func:`check_path`. An ``OSError`` while writing (a full disk)
    becomes an :class:`OutputError` naming the files.
    """
    parts = [_Part(check_path(p)) for p in paths]
    ok = False
    try:
        handles = [part.open() for part in parts]
        yield handles
        for part in parts:
            part.finish()
        for part in parts:
            part.commit()
        ok = True
    except OSError as exc:
        names = ", ".join(printable(part.target) for part in parts)
        raise OutputError(f"{names}: cannot write: {exc.strerror or exc}; left as it was") from None
    finally:
        for part in parts:
            part.close(discard=not ok)
    _sync_folders({part.target.parent for part in parts})


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[BinaryIO]:
    """A binary handle to write ``path`` whole or not at all (see :func:`atomic_outputs`)."""
    with atomic_outputs([path]) as (handle,):
        yield handle


@contextlib.contextmanager
def output_stream(target: str | Path | BinaryIO) -> Iterator[BinaryIO]:
    """A binary handle for ``target``: a path is written with :func:`atomic_output`; an
    open binary file (stdout) is written as it is and flushed at the end."""
    if isinstance(target, str | Path):
        with atomic_output(target) as handle:
            yield handle
    else:
        yield target
        target.flush()


def _sync_folders(folders: Iterable[Path]) -> None:
    """Put the renames on disk too, so that a crash right after does not bring the old file
    back; a file system that cannot sync a folder still has the files in place."""
    for folder in folders:
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


# --- text every format can hold -------------------------------------------------------------


def encodable(text: str) -> str:
    """``text`` with each lone surrogate (which UTF-8 cannot hold) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def xml_text(text: str) -> str:
    """``text`` as XML 1.0 can hold it, for graphml, gexf and rdfxml: control characters
    other than tab and newline, U+FFFE and U+FFFF dropped (no escape exists for them), lone
    surrogates replaced by U+FFFD, and line ends as XML parsers read them back (``\\n``)."""
    text = _NOT_XML.sub("", encodable(text))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def xml_triples(triples: Iterable[ox.Triple]) -> Iterator[ox.Triple]:
    """``triples`` with every literal passed through :func:`xml_text` (for RDF/XML)."""
    import pyoxigraph as ox

    for triple in triples:
        term = triple.object
        if isinstance(term, ox.Literal) and xml_text(term.value) != term.value:
            if term.language:
                term = ox.Literal(xml_text(term.value), language=term.language)
            else:
                term = ox.Literal(xml_text(term.value), datatype=term.datatype)
            triple = ox.Triple(triple.subject, triple.predicate, term)
        yield triple


def json_bytes(value: object, indent: int | None = 1) -> bytes:
    """``value`` as UTF-8 JSON, lone surrogates replaced as :func:`encodable` does (an
    escape would not do: JSON reads two escaped halves of a pair back as one character)."""
    return encodable(json.dumps(value, ensure_ascii=False, indent=indent)).encode() + b"\n"
