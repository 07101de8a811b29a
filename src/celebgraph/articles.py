"""Read articles from files: ``.txt`` (first line the headline), ``.json`` and ``.jsonl``.

A folder is read recursively (links to folders are not followed, so a link loop cannot
trap the walk; hidden files and files of other types are skipped). Article ids are unique
in one read: a second article with an id already read is an error. Every problem with one
input becomes an :class:`ArticleError` naming the file (and line) and is handed to
``on_error``; the other inputs are still read.

What counts as a problem: a file that is empty or blank, binary, not UTF-8 (or UTF-16/UTF-8
with a byte-order mark), not a regular file, unreadable, or longer than :data:`MAX_CHARS`
characters (checked before a big file is read, so a huge file cannot exhaust memory);
malformed JSON or a JSON object with a missing, empty or wrongly typed field. HTML given
instead of text is converted to text (tags dropped, scripts and styles skipped, entities
decoded). Lone surrogates (possible in JSON ``\\ud800`` escapes) become U+FFFD.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "001.txt").write_text("A headline\\n\\nThe body.", encoding="utf-8")
>>> [(a.id, a.headline, a.text) for a in load_articles([folder])]
[('001', 'A headline', 'The body.')]
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import re
import stat
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

from celebgraph.errors import ArticleError
from celebgraph.models import Article
from celebgraph.text import clean_text

SUFFIXES = (".txt", ".json", ".jsonl")
_OPTIONAL_FIELDS = ("date", "url", "source")
_GLOB = re.compile(r"[*?[]")

#: The longest article (headline and body, in characters) that is extracted. spaCy's own
#: limit is 1,000,000, but its parser needs about 3 MB per 1,000 characters here, and the
#: longest of 500 real news articles has 77,000: longer inputs are almost always a whole
#: site or a data dump saved by mistake.
MAX_CHARS = 300_000
#: A ``.txt`` file or a ``.jsonl`` line longer than this many bytes holds more than
#: MAX_CHARS characters however it is encoded (JSON escapes take up to 6 bytes a character);
#: it is rejected without being read.
MAX_TEXT_BYTES = 4 * MAX_CHARS + 4
MAX_LINE_BYTES = 6 * MAX_CHARS + 1024
#: A ``.json`` file is parsed whole; bigger collections belong in ``.jsonl`` (streamed).
MAX_JSON_BYTES = 64 * 1024 * 1024
#: The largest file read from a URL (a shard of many articles), and the seconds a server
#: may stay silent while sending it.
MAX_URL_BYTES = 4 * 1024 * 1024 * 1024
URL_TIMEOUT = 60.0

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _raise(error: ArticleError) -> None:
    raise error


def load_articles(
    paths: Iterable[str | Path],
    on_error: Callable[[ArticleError], None] = _raise,
    on_skip: Callable[[Path], None] | None = None,
) -> Iterator[Article]:
    """Yield the articles found in files, folders, glob patterns and ``http(s)://`` URLs
    (see :func:`read_url`), in a stable (sorted) order.

    Article ids are unique in what one call yields: an article whose id an earlier one has
    (``a/001.txt`` and ``b/001.txt`` are both ``001``) is an error naming both inputs, so
    that neither silently replaces the other in a store. An input named twice (or a link
    to it) gives its articles once. ``on_skip`` gets the files of folders that are not
    articles (see :func:`iter_files`).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a/001.txt", "b/001.txt"):
    ...     (folder / name).parent.mkdir()
    ...     _ = (folder / name).write_text("Headline\\n\\nBody.", encoding="utf-8")
    >>> errors = []
    >>> [a.path.replace(str(folder), "") for a in load_articles([folder], errors.append)]
    ['/a/001.txt']
    >>> str(errors[0]).replace(str(folder), "").split(";")[0]
    "/b/001.txt: article id '001' is also the id of /a/001.txt"
    """
    first: dict[str, str] = {}  # article id → the input it was read from
    for path in _sources(paths, on_error, on_skip):
        try:
            read = read_url if isinstance(path, str) else read_file
            for article in read(path, on_error):
                where = article.path or str(path)
                taken = first.get(article.id)
                if taken is None:
                    first[article.id] = where
                    yield article
                elif Path(taken).resolve() != Path(where).resolve():
                    on_error(
                        ArticleError(
                            f"{where}: article id {article.id!r} is also the id of {taken};"
                            " rename one of the two (a file's id is its name without"
                            ' extension, a JSON article\'s its "id")'
                        )
                    )
        except ArticleError as error:
            on_error(error)


def is_url(value: object) -> bool:
    """An ``http(s)://`` address, read with :func:`read_url` rather than as a path."""
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _sources(
    paths: Iterable[str | Path],
    on_error: Callable[[ArticleError], None],
    on_skip: Callable[[Path], None] | None,
) -> Iterator[Path | str]:
    """The files of ``paths`` (see :func:`iter_files`) and its URLs, in the order given."""
    for raw in paths:
        if is_url(raw):
            yield str(raw)
        else:
            yield from iter_files([raw], on_error, on_skip)


def read_url(url: str, on_error: Callable[[ArticleError], None] = _raise) -> Iterator[Article]:
    """The articles of a file on a web server (a ``.jsonl`` shard, say), read as
    :func:`read_file` reads a local one: downloaded first (at most :data:`MAX_URL_BYTES`,
    within :data:`URL_TIMEOUT` seconds of silence), then parsed; messages name the URL."""
    name = Path(urllib.parse.urlsplit(url).path).name
    if not name.lower().endswith(SUFFIXES):
        raise ArticleError(f"{url}: unsupported file type (use {', '.join(SUFFIXES)})")
    with tempfile.TemporaryDirectory(prefix="celebgraph-") as tmp:
        local = Path(tmp) / name
        _download(url, local)

        def named(text: str) -> str:
            return text.replace(str(local), url)

        try:
            for article in read_file(local, lambda e: on_error(ArticleError(named(str(e))))):
                yield replace(article, path=named(article.path or str(local)))
        except ArticleError as error:
            raise ArticleError(named(str(error))) from None


def _download(url: str, target: Path) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "celebgraph"})
    try:
        with (
            urllib.request.urlopen(request, timeout=URL_TIMEOUT) as response,
            target.open("wb") as out,
        ):
            size = 0
            while chunk := response.read(1 << 20):
                size += len(chunk)
                if size > MAX_URL_BYTES:
                    raise ArticleError(
                        f"{url}: larger than {MAX_URL_BYTES:,} bytes; split it into shards"
                    )
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise ArticleError(f"{url}: cannot fetch ({exc.code} {exc.reason})") from None
    except urllib.error.URLError as exc:
        raise ArticleError(f"{url}: cannot fetch ({exc.reason})") from None
    except (OSError, http.client.HTTPException) as exc:
        raise ArticleError(f"{url}: cannot fetch ({exc or type(exc).__name__})") from None


def iter_files(
    paths: Iterable[str | Path],
    on_error: Callable[[ArticleError], None] = _raise,
    on_skip: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """The article files named by ``paths``, folders expanded recursively.

    In a folder, a file is an article if its name ends in one of :data:`SUFFIXES`, in any
    case (``UPPER.TXT`` too), and does not start with a dot (``.DS_Store``, editors' and
    macOS's hidden copies); the other files go to ``on_skip``. A file named in ``paths``
    is always read. A path that does not exist but holds ``*``, ``?`` or ``[`` is a glob
    pattern (``**`` for any depth of folders), expanded in sorted order.
    """

    def folder_error(exc: OSError) -> None:
        on_error(ArticleError(f"{exc.filename}: cannot read folder ({exc.strerror or exc})"))

    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink() and _GLOB.search(str(raw)):
            # A quoted pattern (or one from the API): expanded here, as a shell would.
            # glob.glob, not Path.glob: the pattern may be absolute.
            matches = sorted(glob.glob(str(raw), recursive=True))  # noqa: PTH207
            if not matches:
                on_error(ArticleError(f"{raw}: no file or folder matches this pattern"))
            yield from iter_files(matches, on_error, on_skip)
            continue
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=folder_error, followlinks=False):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(SUFFIXES) and not name.startswith("."):
                        yield Path(root) / name
                    elif on_skip is not None:
                        on_skip(Path(root) / name)
        elif path.exists():
            yield path
        elif path.is_symlink():
            on_error(ArticleError(f"{path}: broken or looping symbolic link"))
        else:
            on_error(ArticleError(f"{path}: no such file or folder"))


def read_file(path: Path, on_error: Callable[[ArticleError], None] = _raise) -> Iterator[Article]:
    """Parse one file into articles; errors of single JSON items or lines go to ``on_error``."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ArticleError(f"{path}: unsupported file type (use {', '.join(SUFFIXES)})")
    with _open(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if suffix == ".jsonl":
            yield from _read_jsonl(path, handle, on_error)
            return
        limit = MAX_TEXT_BYTES if suffix == ".txt" else MAX_JSON_BYTES
        if size > limit:
            raise ArticleError(_too_big(path, size, suffix))
        raw = _read(path, handle, limit)
    text = decode_bytes(raw, str(path))
    if suffix == ".txt":
        yield parse_txt(path, text)
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArticleError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg})") from None
    except RecursionError:
        raise ArticleError(f"{path}: malformed JSON (nested too deeply)") from None
    if not isinstance(data, list):
        yield parse_object(data, str(path))
        return
    for index, item in enumerate(data):
        try:
            yield parse_object(item, f"{path}[{index}]")
        except ArticleError as error:
            on_error(error)  # one bad object must not cost the others


def _too_big(where: object, size: int, suffix: str) -> str:
    if suffix == ".json":
        return (
            f"{where}: file too large ({size:,} bytes; limit {MAX_JSON_BYTES:,} for a .json"
            " file); split it, or write one article per line in a .jsonl file"
        )
    return f"{where}: too long ({size:,} bytes; limit {MAX_CHARS:,} characters)"


def _open(path: Path) -> BinaryIO:
    """Open a regular file for reading, or raise an ArticleError saying why not.

    Opened non-blocking, so that a named pipe or device among the files cannot hang the
    batch: it is refused as "not a regular file".
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:  # pragma: no cover - fstat of an open file does not fail
        os.close(fd)
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ArticleError(f"{path}: not a regular file")
    return os.fdopen(fd, "rb")


def _read(path: Path, handle: BinaryIO, limit: int) -> bytes:
    try:
        raw = handle.read(limit + 1)  # the file may have grown since it was measured
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > limit:
        raise ArticleError(_too_big(path, len(raw), path.suffix.lower()))
    return raw


def decode(path: Path) -> str:
    """Read a file as text: UTF-8, or UTF-16/UTF-8 with a byte-order mark."""
    with _open(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_JSON_BYTES:
            raise ArticleError(_too_big(path, size, ".json"))
        raw = _read(path, handle, MAX_JSON_BYTES)
    return decode_bytes(raw, str(path))


def _encoding(raw: bytes) -> str:
    return next((name for bom, name in _BOMS if raw.startswith(bom)), "utf-8")


def decode_bytes(raw: bytes, where: str) -> str:
    """Bytes as text (see :func:`decode`); ``where`` names the input in error messages."""
    encoding = _encoding(raw)
    if encoding == "utf-8" and b"\x00" in raw:
        raise ArticleError(f"{where}: binary file, not text")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise ArticleError(
            f"{where}: not valid {name} text (byte {exc.start}); convert it to UTF-8"
        ) from None
    if "\x00" in text:  # UTF-16 text holds NUL bytes, but not NUL characters
        raise ArticleError(f"{where}: binary file, not text")
    if not text.strip():
        raise ArticleError(f"{where}: empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_jsonl(
    path: Path, handle: BinaryIO, on_error: Callable[[ArticleError], None]
) -> Iterator[Article]:
    """One article per line, streamed: a big file is never held in memory whole."""
    head = handle.read(8192)
    handle.seek(0)
    encoding = _encoding(head)
    if encoding == "utf-16":
        # Rare; lines cannot be split on bytes, so the (size-limited) file is read whole.
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_JSON_BYTES:
            raise ArticleError(_too_big(path, size, ".json"))
        lines = enumerate(decode_bytes(_read(path, handle, MAX_JSON_BYTES), str(path)).split("\n"))
        yield from _parse_lines(path, ((n + 1, line) for n, line in lines), on_error)
        return
    if b"\x00" in head:
        raise ArticleError(f"{path}: binary file, not text")
    if encoding == "utf-8-sig":
        handle.read(3)
    yield from _parse_lines(path, _utf8_lines(path, handle, on_error), on_error)


def _utf8_lines(
    path: Path, handle: BinaryIO, on_error: Callable[[ArticleError], None]
) -> Iterator[tuple[int, str | None]]:
    """(line number, text) per line; text None for a line already reported as bad."""
    lineno = 0
    while True:
        try:
            raw = handle.readline(MAX_LINE_BYTES + 1)
        except OSError as exc:
            raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from None
        if not raw:
            return
        lineno += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line unread
                raw = handle.readline(1024 * 1024)
            on_error(
                ArticleError(
                    f"{path}:{lineno}: too long (more than {MAX_LINE_BYTES:,} bytes;"
                    f" limit {MAX_CHARS:,} characters)"
                )
            )
            yield lineno, None
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            on_error(
                ArticleError(
                    f"{path}:{lineno}: not valid UTF-8 text (byte {exc.start} of the line);"
                    " convert it to UTF-8"
                )
            )
            text = None
        yield lineno, text


def _parse_lines(
    path: Path,
    lines: Iterable[tuple[int, str | None]],
    on_error: Callable[[ArticleError], None],
) -> Iterator[Article]:
    blank = True
    for lineno, line in lines:
        if line is None:  # reported already
            blank = False
            continue
        if not line.strip():
            continue
        blank = False
        where = f"{path}:{lineno}"
        try:
            yield parse_object(json.loads(line), where)
        except json.JSONDecodeError as exc:
            on_error(ArticleError(f"{where}: malformed JSON ({exc.msg})"))
        except RecursionError:
            on_error(ArticleError(f"{where}: malformed JSON (nested too deeply)"))
        except ArticleError as error:
            on_error(error)
    if blank:
        raise ArticleError(f"{path}: empty file")


def parse_txt(path: Path, text: str) -> Article:
    """First line the headline, the rest the body; a leading URL line is the article's URL.

    HTML (a saved web page) is converted to text first; its ``<h1>`` or ``<title>`` is the
    headline. The text is cleaned (:func:`celebgraph.text.clean_text`).
    """
    if looks_like_html(text):
        text = html_to_text(text)
        if not text.strip():
            raise ArticleError(f"{path}: HTML page without text")
    text = clean_text(text)
    if not text.strip():
        raise ArticleError(f"{path}: empty file (nothing but control characters)")
    lines = text.strip().split("\n")
    url = None
    if re.fullmatch(r"https?://\S+", lines[0].strip()) and len(lines) > 1:
        url = lines.pop(0).strip()
        while lines and not lines[0].strip():
            lines.pop(0)
    headline, body = lines[0].strip(), "\n".join(lines[1:]).strip()
    _check_length(str(path), headline, body)
    return Article(id=path.stem, headline=headline, text=body, url=url, path=str(path))


def parse_object(item: object, where: str) -> Article:
    """An article from a JSON object with ``id``, ``title``, ``text`` and optional fields,
    each cleaned (:func:`celebgraph.text.clean_text`)."""
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
        fields[name] = None if value is None else clean_text(str(value))
    if not (fields["id"] or "").strip():
        raise ArticleError(f"{where}: field 'id' is empty")
    text, title = fields["text"] or "", fields["title"] or ""
    # Character references ("&#x202e;") are decoded here, so the text is cleaned again.
    if looks_like_html(text):
        text = clean_text(html_to_text(text))
    if looks_like_html(title):
        title = " ".join(clean_text(html_to_text(title)).split())
    if not text.strip():
        raise ArticleError(f"{where}: field 'text' is empty")
    _check_length(where, title.strip(), text.strip())
    return Article(
        id=fields["id"].strip(),
        headline=title.strip(),
        text=text.strip(),
        date=fields["date"],
        url=fields["url"],
        source=fields["source"],
        path=where,
    )


def _check_length(where: str, headline: str, body: str) -> None:
    length = len(headline) + len(body) + (2 if headline else 0)
    if length > MAX_CHARS:
        raise ArticleError(f"{where}: too long ({length:,} characters; limit {MAX_CHARS:,})")


# --- HTML -----------------------------------------------------------------------------------

_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_TAG = re.compile(
    r"</?(?:p|div|br|span|a|h[1-6]|li|ul|ol|table|tr|td|em|strong|b|i|script|style|img|meta"
    r"|link|article|section|header|footer|nav|title|blockquote|figure|figcaption)\b[^<>]*>",
    re.I,
)


def looks_like_html(text: str) -> bool:
    """A saved web page or an HTML fragment: starts like a page, or has several tags."""
    if _HTML_START.match(text):
        return True
    tags = _HTML_TAG.findall(text, 0, 100_000)
    return len(tags) >= 2 and any(t.startswith("</") or t[1:3].lower() == "br" for t in tags)


class _TextParser(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "nav", "form", "head"})
    _BLOCK = frozenset(
        {
            *("p", "div", "br", "li", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5"),
            *("h6", "article", "section", "header", "footer", "aside", "blockquote", "figure"),
            *("figcaption", "pre", "hr", "dt", "dd", "main"),
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title: list[str] = []
        self.h1: list[str] = []
        self.inside: str | None = None  # "title" or "h1" while their text is collected
        self.h1_done = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "title" and not self.title:
            self.inside = "title"
        elif tag == "h1" and not self.h1_done and not self.skip:
            self.inside = "h1"
        elif tag in self._SKIP:
            self.skip += 1
        self.handle_startendtag(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == self.inside:
            self.h1_done = self.h1_done or tag == "h1"
            self.inside = None
        elif tag in self._SKIP and self.skip:
            self.skip -= 1
        self.handle_startendtag(tag, ())

    def handle_data(self, data: str) -> None:
        if self.inside == "title":
            self.title.append(data)
            return
        if self.inside == "h1":
            self.h1.append(data)
        if not self.skip:
            self.parts.append(re.sub(r"[ \t\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """The visible text of an HTML page or fragment, a line per block, the headline first.

    The headline is the first ``<h1>``, else the ``<title>``, else the first line.

    >>> html_to_text("<html><head><title>T</title></head><body><h1>Big &amp; bold</h1>"
    ...              "<p>One <b>two</b>.</p><script>x()</script><p>Three.</p></body></html>")
    'Big & bold\\n\\nOne two.\\nThree.'
    """
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    lines = [line for line in lines if line]
    headline = " ".join("".join(parser.h1).split()) or " ".join("".join(parser.title).split())
    if headline in lines:
        lines.remove(headline)
    elif not headline and lines:
        headline = lines.pop(0)
    return f"{headline}\n\n" + "\n".join(lines) if lines else headline
