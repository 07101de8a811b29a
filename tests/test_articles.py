"""Reading articles from .txt, .json and .jsonl files and folders (celebgraph.articles)."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest

from celebgraph import ArticleError, load_articles
from celebgraph.models import Article


def load(paths: list[Path]) -> tuple[list[Article], list[str]]:
    errors: list[ArticleError] = []
    articles = list(load_articles(paths, on_error=errors.append))
    assert all(isinstance(e, ArticleError) for e in errors)
    return articles, [str(e) for e in errors]


# --- .txt -------------------------------------------------------------------------------


def test_articles_txt_first_line_is_headline_and_stem_is_id(tmp_path, write_article):
    path = write_article(
        tmp_path / "042_scoop.txt",
        "Mara Quill Weds Dex Arlo\n\nMara Quill married Dex Arlo on Sunday.\nIt rained.\n",
    )
    articles, errors = load([path])
    assert errors == []
    assert [(a.id, a.headline, a.text) for a in articles] == [
        (
            "042_scoop",
            "Mara Quill Weds Dex Arlo",
            "Mara Quill married Dex Arlo on Sunday.\nIt rained.",
        )
    ]
    assert articles[0].path == str(path)
    assert articles[0].full_text == "Mara Quill Weds Dex Arlo\n\n" + articles[0].text


def test_articles_txt_windows_line_endings_are_normalised(tmp_path, write_article):
    path = write_article(tmp_path / "crlf.txt", b"Head line\r\n\r\nBody one.\r\nBody two.\r\n")
    articles, errors = load([path])
    assert errors == []
    assert (articles[0].headline, articles[0].text) == ("Head line", "Body one.\nBody two.")


def test_articles_utf8_with_bom_is_decoded(tmp_path, write_article):
    path = write_article(tmp_path / "bom8.txt", "\ufeffBeyoncé Sings\n\nThe body.".encode())
    articles, errors = load([path])
    assert errors == []
    assert (articles[0].headline, articles[0].text) == ("Beyoncé Sings", "The body.")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_articles_utf16_with_bom_is_decoded(tmp_path, write_article, encoding):
    # "utf-16" writes its own BOM; the -le/-be codecs need it written explicitly.
    bom = "" if encoding == "utf-16" else "\ufeff"
    raw = (bom + "Beyoncé Sings\n\nChloë Vance praised Beyoncé.").encode(encoding)
    path = write_article(tmp_path / "wide.txt", raw)
    articles, errors = load([path])
    assert errors == []
    assert (articles[0].id, articles[0].headline, articles[0].text) == (
        "wide",
        "Beyoncé Sings",
        "Chloë Vance praised Beyoncé.",
    )


# --- .json and .jsonl -------------------------------------------------------------------


def test_articles_json_object(tmp_path, write_article):
    item = {
        "id": "gossip-7",
        "title": "  A Title ",
        "text": " Nico Brandt sued Ola Fenn. ",
        "date": "2020-01-02",
        "url": "https://example.org/7",
        "source": "Example Daily",
    }
    path = write_article(tmp_path / "one.json", json.dumps(item))
    articles, errors = load([path])
    assert errors == []
    assert articles == [
        Article(
            id="gossip-7",
            headline="A Title",
            text="Nico Brandt sued Ola Fenn.",
            date="2020-01-02",
            url="https://example.org/7",
            source="Example Daily",
            path=str(path),
        )
    ]


def test_articles_json_list(tmp_path, write_article):
    items = [{"id": "a1", "text": "First."}, {"id": 2, "title": "T", "text": "Second."}]
    path = write_article(tmp_path / "many.json", json.dumps(items))
    articles, errors = load([path])
    assert errors == []
    assert [(a.id, a.headline, a.text) for a in articles] == [
        ("a1", "", "First."),
        ("2", "T", "Second."),
    ]
    assert [a.path for a in articles] == [f"{path}[0]", f"{path}[1]"]


def test_articles_json_list_bad_item_does_not_drop_the_rest(tmp_path, write_article):
    items = [{"id": "a", "text": "A."}, {"id": "b"}, {"id": "c", "text": "C."}]
    path = write_article(tmp_path / "list.json", json.dumps(items))
    articles, errors = load([path])
    assert len(errors) == 1
    assert f"{path}[1]" in errors[0]
    assert [a.id for a in articles] == ["a", "c"]


def test_articles_jsonl_bad_line_among_good_ones(tmp_path, write_article):
    lines = [
        json.dumps({"id": "l1", "text": "One."}),
        '{"id": "l2", "text": ',  # malformed
        json.dumps({"id": "l3", "text": "Three."}),
        json.dumps({"id": "l4"}),  # missing text
        "",
        json.dumps({"id": "l6", "text": "Six."}),
    ]
    path = write_article(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    articles, errors = load([path])
    assert [a.id for a in articles] == ["l1", "l3", "l6"]
    assert [a.path for a in articles] == [f"{path}:1", f"{path}:3", f"{path}:6"]
    assert len(errors) == 2
    assert errors[0].startswith(f"{path}:2:")
    assert "malformed JSON" in errors[0]
    assert errors[1].startswith(f"{path}:4:")
    assert "'text'" in errors[1]


def test_articles_json_missing_text(tmp_path, write_article):
    path = write_article(tmp_path / "notext.json", json.dumps({"id": "x", "title": "T"}))
    articles, errors = load([path])
    assert articles == []
    assert len(errors) == 1
    assert str(path) in errors[0]
    assert "missing field 'text'" in errors[0]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"id": "x", "text": ["a", "list"]}, "field 'text' must be a string"),
        ({"id": {"nested": 1}, "text": "T."}, "field 'id' must be a string"),
        ({"id": "x", "text": "T.", "date": 2020.5}, "field 'date' must be a string"),
        ({"id": "x", "text": "   "}, "field 'text' is empty"),
        ("just a string", "expected a JSON object, got str"),
        ([["nested", "list"]], "expected a JSON object, got list"),
    ],
    ids=["text-list", "id-object", "date-float", "text-blank", "top-string", "item-list"],
)
def test_articles_json_wrong_types(tmp_path, write_article, item, expected):
    path = write_article(tmp_path / "typed.json", json.dumps(item))
    articles, errors = load([path])
    assert articles == []
    assert len(errors) == 1
    assert str(path) in errors[0]
    assert expected in errors[0]


@pytest.mark.parametrize("field", ["id", "text"])
def test_articles_json_boolean_field_is_rejected(tmp_path, write_article, field):
    item = {"id": "x", "text": "T."} | {field: True}
    path = write_article(tmp_path / "bool.json", json.dumps(item))
    articles, errors = load([path])
    assert articles == []
    assert len(errors) == 1
    assert str(path) in errors[0]
    assert f"field {field!r} must be a string" in errors[0]


def test_articles_malformed_json(tmp_path, write_article):
    path = write_article(tmp_path / "broken.json", '{\n  "id": "x",\n  "text": \n')
    articles, errors = load([path])
    assert articles == []
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:")
    assert "malformed JSON" in errors[0]


# --- unreadable inputs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\t\r\n   \n", "empty file"),
        ("empty.json", b"", "empty file"),
        ("blank.jsonl", b"\n\n", "empty file"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
        ("latin1.txt", "Beyoncé à Paris\n\nCafé crème.".encode("latin-1"), "UTF-8"),
    ],
    ids=["empty", "whitespace-only", "empty-json", "blank-jsonl", "binary", "latin-1"],
)
def test_articles_unreadable_file_is_reported_with_its_path(
    tmp_path, write_article, name, content, expected
):
    bad = write_article(tmp_path / name, content)
    good = write_article(tmp_path / "zz_good.txt", "Good\n\nA good body.")
    articles, errors = load([bad, good])
    assert [a.id for a in articles] == ["zz_good"]
    assert len(errors) == 1
    assert str(bad) in errors[0]
    assert expected in errors[0]


def test_articles_missing_path_is_reported_and_others_are_read(tmp_path, write_article):
    missing = tmp_path / "nope" / "missing.txt"
    good = write_article(tmp_path / "good.txt", "Good\n\nBody.")
    articles, errors = load([missing, good])
    assert [a.id for a in articles] == ["good"]
    assert len(errors) == 1
    assert str(missing) in errors[0]
    assert "no such file" in errors[0]


def test_articles_glob_pattern_is_expanded_in_sorted_order(tmp_path, write_article):
    """A pattern the shell did not expand (quoted, or from the API): shards on a shared
    file system are named this way."""
    for name in ("b/2.jsonl", "a/1.jsonl", "a/notes.md"):
        write_article(
            tmp_path / name, json.dumps({"id": Path(name).stem, "title": "T", "text": "Body."})
        )
    articles, errors = load([tmp_path / "*" / "*.jsonl"])
    assert ([a.id for a in articles], errors) == (["1", "2"], [])
    articles, errors = load([tmp_path / "**" / "2.jsonl"])
    assert [a.id for a in articles] == ["2"]


def test_articles_glob_pattern_that_matches_nothing_is_one_error(tmp_path):
    articles, errors = load([tmp_path / "shards" / "*.jsonl"])
    assert articles == []
    assert errors == [f"{tmp_path}/shards/*.jsonl: no file or folder matches this pattern"]


def test_articles_a_file_whose_name_looks_like_a_pattern_is_read(tmp_path, write_article):
    path = write_article(tmp_path / "what[1]?.txt", "Headline\n\nBody.")
    articles, errors = load([path])
    assert ([a.id for a in articles], errors) == (["what[1]?"], [])


@pytest.fixture
def web_folder(tmp_path):
    """A real HTTP server on loopback serving ``tmp_path / "web"``; yields (folder, base URL)."""
    folder = tmp_path / "web"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_articles_from_urls_of_jsonl_shards(web_folder, write_article):
    folder, base = web_folder
    lines = [json.dumps({"id": f"a{i}", "title": "T", "text": "Body."}) for i in range(3)]
    write_article(folder / "shard-1.jsonl", "\n".join([lines[0], "{broken", lines[1]]))
    write_article(folder / "shard-2.jsonl", lines[2])
    urls = [f"{base}/shard-1.jsonl", f"{base}/missing.jsonl", f"{base}/shard-2.jsonl"]
    articles, errors = load(urls)
    assert [(a.id, a.path) for a in articles] == [
        ("a0", f"{base}/shard-1.jsonl:1"),
        ("a1", f"{base}/shard-1.jsonl:3"),
        ("a2", f"{base}/shard-2.jsonl:1"),
    ]
    assert errors == [
        f"{base}/shard-1.jsonl:2: malformed JSON (Expecting property name enclosed in double"
        " quotes)",
        f"{base}/missing.jsonl: cannot fetch (404 File not found)",
    ]


def test_articles_url_of_an_unsupported_type_or_no_server(tmp_path):
    from celebgraph import articles

    _, errors = load(["https://127.0.0.1:9/feed.xml", "http://127.0.0.1:9/a.jsonl"])
    assert (
        errors[0] == "https://127.0.0.1:9/feed.xml: unsupported file type (use .txt, .json, .jsonl)"
    )
    assert errors[1].startswith("http://127.0.0.1:9/a.jsonl: cannot fetch (")
    assert articles.is_url("https://x/a.txt") and not articles.is_url(tmp_path)


def test_articles_errors_raise_without_on_error(tmp_path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(ArticleError, match=r"missing\.txt"):
        list(load_articles([missing]))


def test_articles_unsupported_file_named_directly(tmp_path, write_article):
    path = write_article(tmp_path / "notes.md", "# Not an article")
    articles, errors = load([path])
    assert articles == []
    assert len(errors) == 1
    assert str(path) in errors[0]
    assert "unsupported file type" in errors[0]


# --- folders ----------------------------------------------------------------------------


def test_articles_folder_recursive_sorted_other_extensions_ignored(tmp_path, write_article):
    root = tmp_path / "corpus"
    # Written in reverse order so that the result cannot come from creation order.
    write_article(root / "sub" / "deeper" / "d.txt", "D\n\nd.")
    write_article(root / "sub" / "c.jsonl", json.dumps({"id": "c", "text": "c."}) + "\n")
    write_article(root / "sub" / "b.json", json.dumps({"id": "b", "text": "b."}))
    write_article(root / "a2.txt", "A2\n\na2.")
    write_article(root / "a1.txt", "A1\n\na1.")
    write_article(root / "readme.md", "ignored")
    write_article(root / "people.tsv", "name\tignored")
    write_article(root / "sub" / "data.csv", "ignored")
    write_article(root / ".hidden.txt", "Hidden\n\nignored.")
    articles, errors = load([root])
    assert errors == []
    assert [a.id for a in articles] == ["a1", "a2", "b", "c", "d"]
    assert articles[-1].path == str(root / "sub" / "deeper" / "d.txt")


def test_articles_symlink_loop_in_folder_terminates(tmp_path, write_article):
    root = tmp_path / "corpus"
    write_article(root / "a.txt", "A\n\nBody a.")
    write_article(root / "sub" / "b.txt", "B\n\nBody b.")
    (root / "sub" / "up").symlink_to("..")  # a folder link back to the parent
    (root / "sub" / "self").symlink_to(root)
    (root / "x.txt").symlink_to("y.txt")  # two file links pointing at each other
    (root / "y.txt").symlink_to("x.txt")

    outcome: dict[str, object] = {}

    def run() -> None:
        outcome["result"] = load([root])

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "load_articles did not terminate on a symlink loop"
    articles, errors = outcome["result"]
    # Each real file exactly once: the folder links are not followed.
    assert [a.id for a in articles] == ["a", "b"]
    # The looping file links are reported, each naming its path.
    assert len(errors) == 2
    assert str(root / "x.txt") in errors[0]
    assert str(root / "y.txt") in errors[1]
