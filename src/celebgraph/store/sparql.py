"""The one place that writes SPARQL text: the update that replaces an article, bindings
(pyoxigraph substitutions, or a VALUES block for a remote server), the prologue of
celebgraph's prefixes, the protocol's USING clauses, the bulk load's updates and the
remote store's own queries.

Every term is written by pyoxigraph (N-Triples escaping), never pasted in as text, so
nothing a user or an article gives can end an IRI or a string and add SPARQL of its own.

>>> print(prologue().splitlines()[0])
PREFIX cg: <https://w3id.org/celebgraph/ontology#>
>>> bound = to_substitutions({"name": 'a "quoted" name'})
>>> with_values("SELECT ?p WHERE { ?p rdfs:label ?name }", bound)
'SELECT ?p WHERE { VALUES (?name) { ("a \\\\"quoted\\\\" name") }  ?p rdfs:label ?name }'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from celebgraph.errors import QueryError
from celebgraph.ontology import PREFIXES, SCHEMA
from celebgraph.rdf import GraphChange, Triple
from celebgraph.sparql_checks import code_only

_MENTIONS = ox.NamedNode(str(SCHEMA.mentions))

Term = ox.NamedNode | ox.Literal | ox.BlankNode


def to_oxigraph(term: URIRef | Literal | BNode) -> Term:
    """rdflib term → pyoxigraph term.

    >>> to_oxigraph(Literal("hi", lang="en"))
    <Literal value=hi language=en>
    """
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    return ox.BlankNode(str(term))


def prologue() -> str:
    """``PREFIX`` lines of celebgraph's prefixes (for servers that do not predefine them)."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())


# --- bindings ------------------------------------------------------------------------------


def to_substitutions(values: Mapping[str, object] | None) -> dict[ox.Variable, Term] | None:
    """Variable name (with or without ``?``) → pyoxigraph term, for ``Store.query``: a
    ``str`` is a plain literal, rdflib and pyoxigraph terms are kept."""
    if not values:
        return None
    bound = {}
    for name, value in values.items():
        try:
            variable = ox.Variable(str(name).removeprefix("?").removeprefix("$"))
        except ValueError:
            raise QueryError(f"invalid variable name {name!r}") from None
        if isinstance(value, ox.NamedNode | ox.Literal | ox.BlankNode):
            term = value
        elif isinstance(value, URIRef | Literal | BNode):
            term = to_oxigraph(value)
        elif isinstance(value, str):
            try:
                term = ox.Literal(value)
            except ValueError as exc:  # a lone surrogate, for one
                raise QueryError(f"substitution for ?{variable.value}: {exc}") from None
        else:
            raise QueryError(
                f"substitution for ?{variable.value} must be a str or an RDF term,"
                f" not {type(value).__name__}"
            )
        bound[variable] = term
    return bound


def with_values(sparql: str, bound: Mapping[ox.Variable, object]) -> str:
    """The query with the substitutions as a VALUES block at the start of its WHERE group
    (how a remote server gets them)."""
    names, terms = [], []
    for variable, term in bound.items():
        if isinstance(term, ox.BlankNode):
            raise QueryError(
                f"substitution for ?{variable.value}: a remote store cannot bind a blank node"
            )
        names.append(str(variable))
        terms.append(str(term))
    block = f" VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }} "
    _, where = scan(sparql)
    if where is None:
        return f"{sparql}\nVALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    return sparql[:where] + block + sparql[where:]


# --- reading SPARQL text: the query form, where the WHERE group opens, the projection ------

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<word>[A-Za-z_][\w\-.]*(?::[^\s{}();,]*)?|:[^\s{}();,]*)
  | (?P<brace>[{}])
  | (?P<paren>[()])
  | (?P<star>\*)
    """,
    re.VERBOSE | re.DOTALL,
)
_FORMS = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}
#: After the WHERE group, what lets an aggregate query answer other than one row.
_ROW_MODIFIERS = {"GROUP", "HAVING", "LIMIT", "OFFSET", "VALUES"}


def scan(sparql: str) -> tuple[str | None, int | None]:
    """The query form (select/ask/graph) and the offset just after the ``{`` that opens the
    query's WHERE group (None when there is none, as in ``DESCRIBE <iri>``).

    >>> scan("ASK { ?s ?p ?o }")
    ('ask', 5)
    """
    form = None
    seen_where = False
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup
        if kind == "word":
            word = match.group().upper()
            if form is None and word in _FORMS:
                form = _FORMS[word]
            elif word == "WHERE":
                seen_where = True
        elif (
            kind == "brace"
            and match.group() == "{"
            and form is not None
            and (seen_where or form in {"select", "ask"})
        ):
            return form, match.end()
    return form, None


def projection(sparql: str) -> tuple[set[str] | None, bool]:
    """The variables a SELECT query projects (None for ``SELECT *`` or another form), and
    whether it answers exactly one row: aggregates only, no GROUP BY, HAVING, LIMIT, OFFSET
    or trailing VALUES, as ``SELECT (COUNT(*) AS ?n) WHERE { ... }``."""
    names: set[str] = set()
    plain = star = aggregate = after_as = modified = False
    parens = braces = 0
    state = "before"  # then "select" (the projection), "where" (the group), "after"
    for match in _TOKEN.finditer(sparql):
        kind, text = match.lastgroup, match.group()
        word = text.upper() if kind == "word" else ""
        if kind == "brace":
            braces += 1 if text == "{" else -1
        if state == "before":
            state = "select" if word == "SELECT" else state
        elif state == "select":
            if kind == "brace" or (parens == 0 and word in {"WHERE", "FROM"}):
                state = "where"
            elif kind == "paren":
                parens += 1 if text == "(" else -1
            elif kind == "star" and parens == 0:
                star = True
            elif kind == "var" and (parens == 0 or after_as):
                names.add(text[1:])
                plain = plain or parens == 0
            aggregate = aggregate or word in _AGGREGATES
            after_as = word == "AS"
        elif state == "where" and braces == 0 and kind == "brace":
            state = "after"
        elif state == "after" and braces == 0:
            modified = modified or word in _ROW_MODIFIERS
    if state == "before" or star:
        return None, False
    return names, aggregate and not plain and not modified


# --- writing articles ----------------------------------------------------------------------


def _nt(triple: Triple) -> str:
    s, p, o = triple
    return f"{to_oxigraph(s)} {to_oxigraph(p)} {to_oxigraph(o)} ."


def insert_data(graph: ox.NamedNode, lines: Iterable[str]) -> str:
    """``INSERT DATA`` of N-Triples ``lines`` into ``graph``."""
    return f"INSERT DATA {{ GRAPH {graph} {{\n" + "\n".join(lines) + "\n} }"


def delete_data(graph: ox.NamedNode, lines: Iterable[str]) -> str:
    """``DELETE DATA`` of N-Triples ``lines`` from ``graph``."""
    return f"DELETE DATA {{ GRAPH {graph} {{\n" + "\n".join(lines) + "\n} }"


def drop_graphs(graphs: Iterable[ox.NamedNode | ox.BlankNode]) -> str:
    """``DROP SILENT GRAPH`` of each graph, as one request."""
    return " ;\n".join(f"DROP SILENT GRAPH {g}" for g in graphs)


def _forget_people(graph: ox.NamedNode, add: list) -> list[str]:
    """Before an article is replaced: drop from the shared graphs the people that only
    this article mentioned, so a corrected article leaves no orphan behind."""
    return [
        f"DELETE {{ GRAPH {to_oxigraph(shared)} {{ ?p ?x ?y }} }} WHERE {{"
        f" GRAPH {graph} {{ ?a {_MENTIONS} ?p }}"
        f" FILTER NOT EXISTS {{ GRAPH ?g {{ ?b {_MENTIONS} ?p }}"
        f" FILTER(?g != {graph}) }}"
        f" GRAPH {to_oxigraph(shared)} {{ ?p ?x ?y }} }}"
        for shared, _ in add
    ]


def replace_update(
    graph: URIRef,
    triples: Iterable[Triple],
    add: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
    add_if_absent: Iterable[tuple[URIRef, Iterable[Triple]]] = (),
) -> tuple[str, int]:
    """The SPARQL update that replaces the article graph ``graph`` by ``triples`` (see
    :meth:`celebgraph.store.Store.replace_graph`), and the number of ``triples``.

    ``ValueError`` for a term pyoxigraph cannot represent.
    """
    name = to_oxigraph(graph)
    add = [(g, list(t)) for g, t in add]
    lines = [_nt(t) for t in triples]
    parts = [*_forget_people(name, add), f"DROP SILENT GRAPH {name}", insert_data(name, lines)]
    for other, extra in add:
        parts.append(insert_data(to_oxigraph(other), [_nt(t) for t in extra]))
    for other, extra in add_if_absent:
        target = to_oxigraph(other)
        rows = " ".join(
            f"({to_oxigraph(s)} {to_oxigraph(p)} {to_oxigraph(o)})" for s, p, o in extra
        )
        if rows:
            parts.append(
                f"INSERT {{ GRAPH {target} {{ ?s ?p ?o }} }} WHERE {{"
                f" VALUES (?s ?p ?o) {{ {rows} }}"
                f" FILTER NOT EXISTS {{ GRAPH {target} {{ ?s ?p ?any }} }} }}"
            )
    return " ;\n".join(parts), len(lines)


def replace_updates(changes: Iterable[GraphChange]) -> tuple[str, list[int]]:
    """Several :func:`replace_update` changes as one request (SPARQL 1.1 Update runs a
    request's operations in order: the store ends as after one request per change), and
    the triples written for each."""
    built = [replace_update(*change) for change in changes]
    return " ;\n".join(u for u, _ in built), [count for _, count in built]


# --- the protocol's dataset of an update ---------------------------------------------------


def _keyword(*words: str) -> re.Pattern[str]:
    """Any of ``words`` as a keyword: not part of a name, a variable or a prefixed name."""
    return re.compile(rf"(?<![\w:?$])(?:{'|'.join(words)})(?![\w:])", re.IGNORECASE)


_UPDATE_SYNTAX = re.compile(
    rf"[{{}}()\[\];]|{_keyword('WITH', 'INSERT', 'DELETE', 'DATA', 'WHERE', 'USING').pattern}",
    re.IGNORECASE,
)


def _operations(update: str) -> list[list[tuple[str, int, int]]]:
    """The keywords of each operation of an update (split at ``;`` outside brackets), as
    (keyword, position, bracket depth)."""
    operations: list[list[tuple[str, int, int]]] = [[]]
    depth = 0
    for match in _UPDATE_SYNTAX.finditer(code_only(update)):
        text = match.group()
        if text in "({[":
            depth += 1
        elif text in ")}]":
            depth -= 1
        elif text == ";":
            if depth == 0:
                operations.append([])
        else:
            operations[-1].append((text.upper(), match.start(), depth))
    return operations


def with_using(update: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """``update`` with the protocol's dataset as USING / USING NAMED before the WHERE of
    each DELETE/INSERT operation; QueryError when an operation names its own (USING,
    WITH), which the protocol forbids, or is a DELETE WHERE (it takes no USING).

    >>> with_using("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://g"], [])
    'DELETE { ?s ?p ?o } USING <http://g> WHERE { ?s ?p ?o }'
    >>> with_using("DELETE WHERE { ?s ?p ?o }", ["http://g"], [])
    Traceback (most recent call last):
    ...
    celebgraph.errors.QueryError: using-graph-uri / ... cannot apply to DELETE WHERE; ...
    """
    clause = " ".join(
        [f"USING {ox.NamedNode(g)}" for g in default_graphs]
        + [f"USING NAMED {ox.NamedNode(g)}" for g in named_graphs]
    )
    inserts: list[int] = []
    code = code_only(update)
    for operation in _operations(update):
        keywords = [k for k, _, _ in operation]
        if not keywords or keywords[0] not in ("WITH", "INSERT", "DELETE"):
            continue
        if keywords[0] == "WITH" or "USING" in keywords:
            raise QueryError(
                "using-graph-uri / using-named-graph-uri cannot be combined with an update "
                "that has USING or WITH"
            )
        if keywords[1:2] == ["DATA"]:
            continue
        # DELETE WHERE { … } (no template between the two keywords) takes no USING.
        if (
            keywords[:2] == ["DELETE", "WHERE"]
            and "{" not in code[operation[0][1] : operation[1][1]]
        ):
            raise QueryError(
                "using-graph-uri / using-named-graph-uri cannot apply to DELETE WHERE; "
                "write DELETE { … } WHERE { … }"
            )
        where = next((at for k, at, depth in operation if k == "WHERE" and depth == 0), None)
        if where is not None:
            inserts.append(where)
    for position in reversed(inserts):
        update = f"{update[:position]}{clause} {update[position:]}"
    return update


# --- the remote store's own queries --------------------------------------------------------

#: Graph names of celebgraph's own graphs (articles, people, ontology).
GRAPH_ROOT = "https://w3id.org/celebgraph/"
_OWN_GRAPHS = f"FILTER(STRSTARTS(STR(?g), {ox.Literal(GRAPH_ROOT)}))"


def quads_page(after: tuple[str, str] | None, page: int) -> str:
    """One page of the quads of celebgraph's graphs, in (graph, subject) order, after the
    (graph, subject) ``after`` (keyset paging)."""
    where = ""
    if after is not None:
        g, s = (str(ox.Literal(v)) for v in after)
        where = f"FILTER(STR(?g) > {g} || (STR(?g) = {g} && STR(?s) > {s}))"
    return (
        f"SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OWN_GRAPHS} {where} }}"
        f" ORDER BY STR(?g) STR(?s) LIMIT {int(page)}"
    )


#: The number of celebgraph's graphs (as ``?n``).
COUNT_GRAPHS = (
    f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OWN_GRAPHS} }}"
)
#: The number of quads in celebgraph's graphs (as ``?n``).
COUNT_QUADS = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OWN_GRAPHS} }}"
#: Every triple of the union graph (an export in a format without named graphs).
ALL_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
