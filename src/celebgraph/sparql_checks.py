"""Cheap checks on SPARQL text before it reaches the engine, and the scan they share.

Oxigraph's parser recurses once per nesting level and per operand of an operator chain;
deep enough, it overflows the stack and the whole process dies (exit 139): about 6,000
nested parentheses, 6,800 terms of ``1+1+…`` or 9,000 ``!`` in a row. :func:`check_sparql`
refuses such text with a clear :class:`~celebgraph.errors.QueryError` first: more than
:data:`MAX_DEPTH` levels of ``()``, ``{}``, ``[]``, more than :data:`MAX_OPERATORS`
operators, or more than :data:`MAX_CHARS` characters. Real queries are far below all three.

:func:`code_only` blanks out comments, IRIs and strings (keeping every position), so that
these checks and others (the server's SERVICE/LOAD/FROM scans) never mistake text inside a
string or an IRI for syntax. Both are regular expressions run by ``re``: microseconds for
a usual query.
"""

from __future__ import annotations

import re

from celebgraph.errors import QueryError

#: Deepest nesting of (), {} and [] accepted.
MAX_DEPTH = 200
#: Most expression operators (and UNIONs) in one query or update.
MAX_OPERATORS = 2_000
#: Longest query or update accepted, in characters.
MAX_CHARS = 1_000_000

#: Comments, IRIs and strings: text whose content is no SPARQL syntax.
_LITERAL_TEXT = re.compile(
    r"""
    \#[^\n\r]*
  | <[^<>"{}|^`\\\x00-\x20]*>
  | '''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
  | \"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
  | '(?:[^'\\\n\r]|\\.)*(?:'|\Z)
  | "(?:[^"\\\n\r]|\\.)*(?:"|\Z)
    """,
    re.VERBOSE | re.DOTALL,
)
_NOT_BRACKET = re.compile(r"[^(){}\[\]]+")
_OPERATOR = re.compile(r"\|\||&&|!=|<=|>=|[!=<>+\-*/|^]|(?<![\w:?$])UNION(?![\w:])", re.I)


def code_only(sparql: str) -> str:
    """``sparql`` with its comments, IRIs and strings blanked out with NUL characters (no
    syntax, no space, no name: the same length, so that positions still match): what is
    left is syntax, keywords and names."""
    return _LITERAL_TEXT.sub(lambda m: "\0" * len(m.group()), sparql)


def check_sparql(sparql: str) -> None:
    """Refuse text the engine could crash on (see the module's docstring)."""
    if len(sparql) > MAX_CHARS:
        raise QueryError(f"query too long: {len(sparql):,} characters, the limit is {MAX_CHARS:,}")
    code = code_only(sparql)
    depth = deepest = 0
    for bracket in _NOT_BRACKET.sub("", code):
        if bracket in "({[":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    operators = len(_OPERATOR.findall(code))
    if deepest > MAX_DEPTH:
        raise QueryError(
            f"query nested too deeply: {deepest} levels of (), {{}} or [], the limit is {MAX_DEPTH}"
        )
    if operators > MAX_OPERATORS:
        raise QueryError(
            f"query too complex: {operators:,} operators, the limit is {MAX_OPERATORS:,}"
        )


__all__ = ["MAX_CHARS", "MAX_DEPTH", "MAX_OPERATORS", "check_sparql", "code_only"]
