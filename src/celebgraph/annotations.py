"""Gold sets: annotated articles, read, checked and written.

A gold folder holds ``articles.txt`` (article paths relative to a corpus folder, without
``.txt``), ``entities.tsv`` (``article``, ``canonical``, ``aliases``) and ``relations.tsv``.
Relations come in one of two layouts, told apart by their header:

* with ``evidence``: a short verbatim span of the supporting sentence (the GUIDELINES
  layout, used by ``../gold/dev``);
* with ``start`` and ``end``: the character offsets of that span in the article file's
  text. This layout carries no text of the articles, only names and offsets, so a gold set
  can be shared without the corpus (``data/annotations`` is one).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> corpus = folder / "corpus"; corpus.mkdir()
>>> _ = (corpus / "a1.txt").write_text("Headline\\n\\nAnn Lee married Bo Ray.", encoding="utf-8")
>>> _ = (folder / "articles.txt").write_text("a1\\n")
>>> _ = (folder / "entities.tsv").write_text(
...     "article\\tcanonical\\taliases\\na1\\tAnn Lee\\t\\na1\\tBo Ray\\t\\n")
>>> _ = (folder / "relations.tsv").write_text(
...     "article\\tsubject\\trelation\\tobject\\tstatus\\tstart\\tend\\n"
...     "a1\\tAnn Lee\\tspouseOf\\tBo Ray\\tasserted\\t10\\t32\\n")
>>> gold = load_gold(folder, corpus=corpus)
>>> [(row.subject, row.relation, row.object, row.evidence) for row in gold.rows.values()]
[('Ann Lee', 'spouseOf', 'Bo Ray', 'Ann Lee married Bo Ray')]
>>> check(folder, corpus)
[]
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from celebgraph.errors import GoldError
from celebgraph.extraction.names import normalize
from celebgraph.ontology import RELATIONS, Status

Key = tuple[str, str, str, str]  # article, subject, relation, object
STATUSES = frozenset(s.value for s in Status)


def relation_key(article: str, subject: str, relation: str, obj: str) -> Key:
    """The key of a row: symmetric relations in a fixed order, so either order matches."""
    if RELATIONS[relation].symmetric and obj < subject:
        subject, obj = obj, subject
    return article, subject, relation, obj


@dataclass(frozen=True)
class GoldRow:
    article: str
    subject: str
    relation: str
    object: str
    status: str
    evidence: str
    span: tuple[int, int] | None = None  # offsets in the article file's text


@dataclass
class Gold:
    """A gold set: who is who in each article, and the relation rows."""

    names: dict[str, dict[str, str]]  # article → normalised name → canonical
    rows: dict[Key, GoldRow]
    articles: list[str]  # paths relative to the corpus folder, without ".txt"
    people: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # → canonical → aliases

    def article_ids(self) -> list[str]:
        return [article_id(path) for path in self.articles]


def article_id(path: str) -> str:
    """``celebrity/legit/012legit`` → ``012legit``."""
    return path.rsplit("/", 1)[-1]


def read_tsv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise GoldError(f"{path}: missing (a gold folder has entities.tsv and relations.tsv)")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def gold_articles(folder: str | Path) -> list[str]:
    """Article paths of a gold set (``articles.txt``), relative to the corpus folder."""
    path = Path(folder) / "articles.txt"
    if not path.exists():
        raise GoldError(f"{path}: missing")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def article_texts(gold: Gold, corpus: str | Path) -> dict[str, str]:
    """Each gold article's file text, read from the corpus folder."""
    texts = {}
    for path in gold.articles:
        file = Path(corpus) / f"{path}.txt"
        try:
            texts[article_id(path)] = file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise GoldError(f"{file}: cannot read the gold article ({exc.strerror})") from None
    return texts


def load_gold(
    folder: str | Path,
    articles: Iterable[str] | None = None,
    corpus: str | Path | None = None,
) -> Gold:
    """Read a gold folder; ``articles`` keeps only those article ids.

    Offsets are turned into evidence text when ``corpus`` is given (else evidence is empty).
    """
    folder = Path(folder)
    wanted = set(articles) if articles is not None else None
    paths = [p for p in gold_articles(folder) if wanted is None or article_id(p) in wanted]
    kept = {article_id(p) for p in paths}
    gold = Gold({}, {}, paths)
    texts = article_texts(gold, corpus) if corpus is not None else {}
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for row in read_tsv(folder / "entities.tsv"):
        if row["article"] not in kept:
            continue
        aliases = [a for a in (row.get("aliases") or "").split("|") if a]
        gold.people.setdefault(row["article"], {})[row["canonical"]] = aliases
        for name in [row["canonical"], *aliases]:
            names[row["article"]][normalize(name)] = row["canonical"]
    gold.names = dict(names)
    where = folder / "relations.tsv"
    for lineno, row in enumerate(read_tsv(where), start=2):
        if row["article"] not in kept:
            continue
        if row.get("relation") not in RELATIONS:
            raise GoldError(f"{where}:{lineno}: unknown relation {row.get('relation')!r}")
        if row.get("status") not in STATUSES:
            raise GoldError(f"{where}:{lineno}: unknown status {row.get('status')!r}")
        span = None
        evidence = row.get("evidence") or ""
        if row.get("start") is not None:
            try:
                span = (int(row["start"]), int(row["end"]))
            except (TypeError, ValueError):
                raise GoldError(f"{where}:{lineno}: start and end must be numbers") from None
            text = texts.get(row["article"])
            evidence = text[span[0] : span[1]] if text is not None else ""
        key = relation_key(row["article"], row["subject"], row["relation"], row["object"])
        gold.rows[key] = GoldRow(
            row["article"],
            row["subject"],
            row["relation"],
            row["object"],
            row["status"],
            evidence,
            span,
        )
    return gold


def check(folder: str | Path, corpus: str | Path) -> list[str]:
    """Problems of a gold folder, one line each: offsets outside their article, evidence
    that is not a whole span, names that do not occur in the article, unknown people."""
    folder = Path(folder)
    gold = load_gold(folder)
    texts = article_texts(gold, corpus)
    folded = {a: _fold(t) for a, t in texts.items()}
    problems = []
    canonical: dict[str, set[str]] = defaultdict(set)
    for lineno, row in enumerate(read_tsv(folder / "entities.tsv"), start=2):
        article = row["article"]
        if article not in texts:
            problems.append(f"entities.tsv:{lineno}: article {article!r} not in articles.txt")
            continue
        canonical[article].add(row["canonical"])
        for name in [row["canonical"], *(row.get("aliases") or "").split("|")]:
            if name and _fold(name) not in folded[article]:
                problems.append(f"entities.tsv:{lineno}: {article}: {name!r} not in the article")
    for lineno, row in enumerate(read_tsv(folder / "relations.tsv"), start=2):
        article = row["article"]
        if article not in texts:
            problems.append(f"relations.tsv:{lineno}: article {article!r} not in articles.txt")
            continue
        for who in (row["subject"], row["object"]):
            if who not in canonical[article]:
                problems.append(f"relations.tsv:{lineno}: {article}: {who!r} not in entities.tsv")
        if row.get("start") is not None:
            try:
                start, end = int(row["start"]), int(row["end"])
            except (TypeError, ValueError):
                problems.append(f"relations.tsv:{lineno}: start and end must be numbers")
                continue
            if not 0 <= start < end <= len(texts[article]):
                problems.append(
                    f"relations.tsv:{lineno}: {article}: offsets {start}-{end} outside the "
                    f"article ({len(texts[article])} characters)"
                )
    return problems


def _fold(text: str) -> str:
    return normalize(text.replace("’", "'"))


def locate(evidence: str, text: str) -> tuple[int, int] | None:
    """Offsets of ``evidence`` in ``text``; runs of white space may differ.

    >>> locate("married  Bo", "Ann Lee married\\nBo Ray.")
    (8, 18)
    """
    start = text.find(evidence)
    if start >= 0:
        return start, start + len(evidence)
    words = evidence.split()
    if not words:
        return None
    found = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (found.start(), found.end()) if found else None


def write_gold(gold: Gold, folder: str | Path, corpus: str | Path) -> None:
    """Write ``gold`` in the offsets layout: evidence located in the corpus texts."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    texts = article_texts(gold, corpus)
    position = {article_id(p): n for n, p in enumerate(gold.articles)}
    located = []
    for row in gold.rows.values():
        span = row.span or locate(row.evidence, texts[row.article])
        if span is None:
            raise GoldError(f"{row.article}: evidence not found in the article: {row.evidence!r}")
        located.append((position.get(row.article, 0), span, row))
    rows = [
        [row.article, row.subject, row.relation, row.object, row.status, *map(str, span)]
        for _, span, row in sorted(located, key=lambda x: (x[0], x[1], x[2].subject))
    ]
    _write_tsv(
        folder / "relations.tsv",
        ["article", "subject", "relation", "object", "status", "start", "end"],
        rows,
    )
    _write_tsv(
        folder / "entities.tsv",
        ["article", "canonical", "aliases"],
        [
            [article, canon, "|".join(aliases)]
            for article in gold.article_ids()
            for canon, aliases in gold.people.get(article, {}).items()
        ],
    )
    _write_tsv(folder / "articles.txt", None, [[p] for p in gold.articles])


def _write_tsv(path: Path, header: list[str] | None, rows: list[list[str]]) -> None:
    """Tab-separated, no quoting (the layout :func:`read_tsv` reads): fields may hold
    quotes, not tabs or line breaks."""
    lines = []
    for row in [header, *rows] if header else rows:
        if any("\t" in field or "\n" in field or "\r" in field for field in row):
            raise GoldError(f"{path}: a field holds a tab or a line break: {row!r}")
        lines.append("\t".join(row) + "\n")
    path.write_text("".join(lines), encoding="utf-8")


@dataclass
class Agreement:
    """How far two annotations of the same articles agree (the scoring rule, either way)."""

    first: int  # rows of the first annotation
    second: int
    matched: int
    same_status: int

    @property
    def f1(self) -> float:
        total = self.first + self.second
        return 2 * self.matched / total if total else 1.0

    @property
    def status_agreement(self) -> float:
        return self.same_status / self.matched if self.matched else 1.0


def agreement(first: Gold, second: Gold) -> Agreement:
    """Rows of ``second`` matched to ``first`` as predictions are to gold: same article and
    relation, names matched through the first annotation's names and aliases (with the
    second's aliases as other spellings), symmetric relations in either order.

    F1 between two annotators is the same whichever is taken as gold."""
    articles = set(first.article_ids()) & set(second.article_ids())

    def resolve(article: str, canonical: str) -> str:
        table = first.names.get(article, {})
        forms = [canonical, *second.people.get(article, {}).get(canonical, [])]
        return next((table[f] for f in map(normalize, forms) if f in table), canonical)

    mine = {k: row for k, row in first.rows.items() if k[0] in articles}
    theirs = {}
    for (article, _, relation, _), row in second.rows.items():
        if article in articles:
            key = relation_key(
                article, resolve(article, row.subject), relation, resolve(article, row.object)
            )
            theirs[key] = row
    matched = [k for k in theirs if k in mine]
    return Agreement(
        len(mine),
        len(theirs),
        len(matched),
        sum(1 for k in matched if mine[k].status == theirs[k].status),
    )
