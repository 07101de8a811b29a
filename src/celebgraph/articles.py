"""Read articles from files: ``.txt`` (first line the headline), ``.json`` and ``.jsonl``.

A folder is read recursively (links to folders are not followed, so a link loop cannot
trap the walk). Every problem with one input becomes an :class:`ArticleError` naming the
file (and line) and is handed to ``on_error``; the other inputs are still read.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "001.txt").write_text("A headline\\n\\nThe body.", encoding="utf-8")
>>> [(a.id, a.headline, a.text) for a in load_articles([folder])]
[('001', 'A headline', 'The body.')]
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from celebgraph.errors import ArticleError
from celebgraph.models import Article

SUFFIXES = (".txt", ".json", ".jsonl")
_OPTIONAL_FIELDS = ("date", "url", "source")


def _raise(error: ArticleError) -> None:
    raise error


def load_articles(
    paths: Iterable[str | Path],
    on_error: Callable[[ArticleError], None] = _raise,
) -> Iterator[Article]:
    """Yield the articles found in files and folders, in a stable (sorted) order."""
    for path in iter_files(paths, on_error):
        try:
            yield from read_file(path, on_error)
        except ArticleError as error:
            on_error(error)


def iter_files(
    paths: Iterable[str | Path], on_error: Callable[[ArticleError], None] = _raise
) -> Iterator[Path]:
    """The article files named by ``paths``, folders expanded recursively."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=None, followlinks=False):
                dirs.sort()
                for name in sorted(files):
                    if name.endswith(SUFFIXES) and not name.startswith("."):
                        yield Path(root) / name
        elif path.exists():
            yield path
        else:
            on_error(ArticleError(f"{path}: no such file or folder"))


def read_file(path: Path, on_error: Callable[[ArticleError], None] = _raise) -> Iterator[Article]:
    """Parse one file into articles; errors of single JSONL lines go to ``on_error``."""
    if path.suffix not in SUFFIXES:
        raise ArticleError(f"{path}: unsupported file type (use {', '.join(SUFFIXES)})")
    text = decode(path)
    if path.suffix == ".txt":
        yield parse_txt(path, text)
    elif path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ArticleError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg})") from None
        if not isinstance(data, list):
            yield parse_object(data, str(path))
            return
        for index, item in enumerate(data):
            try:
                yield parse_object(item, f"{path}[{index}]")
            except ArticleError as error:
                on_error(error)  # one bad object must not cost the others
    else:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                yield parse_object(json.loads(line), where)
            except json.JSONDecodeError as exc:
                on_error(ArticleError(f"{where}: malformed JSON ({exc.msg})"))
            except ArticleError as error:
                on_error(error)


def decode(path: Path) -> str:
    """Read a file as text: UTF-8, or UTF-16/UTF-8 with a byte-order mark."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif raw.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
        if b"\x00" in raw:
            raise ArticleError(f"{path}: binary file, not text")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{path}: not valid {encoding.upper()} text (byte {exc.start}); convert it to UTF-8"
        ) from None
    if not text.strip():
        raise ArticleError(f"{path}: empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_txt(path: Path, text: str) -> Article:
    """First line the headline, the rest the body; a leading URL line is the article's URL."""
    lines = text.strip().split("\n")
    url = None
    if re.fullmatch(r"https?://\S+", lines[0].strip()) and len(lines) > 1:
        url = lines.pop(0).strip()
        while lines and not lines[0].strip():
            lines.pop(0)
    headline, body = lines[0].strip(), "\n".join(lines[1:]).strip()
    return Article(id=path.stem, headline=headline, text=body, url=url, path=str(path))


def parse_object(item: object, where: str) -> Article:
    """An article from a JSON object with ``id``, ``title``, ``text`` and optional fields."""
    if not isinstance(item, dict):
        raise ArticleError(f"{where}: expected a JSON object, got {type(item).__name__}")
    for name in ("id", "text"):
        if name not in item:
            raise ArticleError(f"{where}: missing field {name!r}")
    fields: dict[str, str | None] = {}
    for name in ("id", "title", "text", *_OPTIONAL_FIELDS):
        value = item.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
            raise ArticleError(f"{where}: field {name!r} must be a string")
        fields[name] = None if value is None else str(value)
    if not (fields["id"] or "").strip():
        raise ArticleError(f"{where}: field 'id' is empty")
    if not (fields["text"] or "").strip():
        raise ArticleError(f"{where}: field 'text' is empty")
    return Article(
        id=fields["id"].strip(),
        headline=(fields["title"] or "").strip(),
        text=fields["text"].strip(),
        date=fields["date"],
        url=fields["url"],
        source=fields["source"],
        path=where,
    )
