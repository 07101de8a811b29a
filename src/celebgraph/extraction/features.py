"""Features of a pair of mentions, for the relation model: plain strings, one per fact.

What joins the two people in the parse (the path through the dependency tree, its words,
the word that governs both), the words between and around them, how far apart they are,
how each is mentioned (name, pronoun, possessive), the roles the article gives them, the
cue words of the lexicon on the way, and what the hand-written rules said about the pair.
Directional facts are written from the first person's side (``>``) or the second's (``<``),
so one model reads both directions.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

from celebgraph.extraction.lexicon import (
    INTRANSITIVE_CUES,
    KIN_NOUNS,
    PREDICATE_ADJECTIVES,
    RELATIONSHIP_NOUNS,
    VERB_CUES,
)
from celebgraph.ontology import RELATIONS

#: Cue words of the lexicon and the relation they suggest (a lemma may suggest several).
CUES: dict[str, set[str]] = {}
for _word, _relation in [
    *((c.lemma, c.relation) for c in VERB_CUES),
    *INTRANSITIVE_CUES.items(),
    *((w, c.relation) for w, c in KIN_NOUNS.items()),
    *RELATIONSHIP_NOUNS.items(),
    *PREDICATE_ADJECTIVES.items(),
]:
    CUES.setdefault(_word, set()).add(_relation)

_WINDOW = 3
_MAX_PATH = 7


def _word(token: Token) -> str:
    if token.is_space:
        return "#space"
    if token.like_num:
        return "#num"
    if token.pos_ == "PROPN":
        return "#propn"
    return token.lemma_.lower()


def _bucket(n: int) -> str:
    for limit in (1, 2, 3, 5, 8, 12, 20):
        if n <= limit:
            return str(limit)
    return "far"


def _path(a: Token, b: Token) -> tuple[list[Token], list[Token]]:
    """Tokens from a up to the common ancestor, and from b up to it (both inclusive)."""
    up_a = [a, *a.ancestors]
    index = {t.i: n for n, t in enumerate(up_a)}
    up_b = [b]
    for node in b.ancestors:
        up_b.append(node)
        if node.i in index:
            break
    if up_b[-1].i not in index:  # different sentences' roots: no path
        return up_a, up_b
    return up_a[: index[up_b[-1].i] + 1], up_b


def _cues(token: Token) -> set[str]:
    return CUES.get(token.lemma_.lower(), set()) | CUES.get(token.lower_, set())


def _kind(mention: Span, refs: dict) -> str:
    token = mention.root
    if token.tag_ in {"PRP", "PRP$"}:
        return "pron"
    ref = refs.get(token.i)
    if ref and ref[1] < 1.0:
        return "desc"
    return "name"


_LIST_WORDS = {",", "and", "&", "—", "–", "-", "(", ")", "plus", "or"}


def _in_list(token: Token, refs: dict) -> bool:
    """Part of a list of names: only names, list punctuation and ages stand around it."""
    return token.text in _LIST_WORDS or token.like_num or token.i in refs or token.is_space


def _introducer(mention: Span, refs: dict) -> str | None:
    """The kin or role noun a list of names follows: "her kids — Maddox, 15, Pax" → kid."""
    doc = mention.doc
    i = mention.start - 1
    start = mention.sent.start
    while i >= start and _in_list(doc[i], refs):
        i -= 1
    if i < start:
        return None
    word = doc[i].lemma_.lower()
    return word if word in CUES or doc[i].pos_ == "NOUN" else None


def pair_features(a: Span, b: Span, joint: Token, ctx, rules: list, in_headline: bool) -> list[str]:
    """The features of the pair (a, b), a written before b; ``joint`` joins them."""
    doc = a.doc
    features = [f"kind={_kind(a, ctx.refs)}>", f"kind={_kind(b, ctx.refs)}<"]
    if in_headline:
        features.append("headline")
    between = doc[a.end : b.start]
    features.append(f"dist={_bucket(len(between))}")
    others = {ctx.refs[t.i][0] for t in between if t.i in ctx.refs} - {
        ctx.refs[a.root.i][0],
        ctx.refs[b.root.i][0],
    }
    features.append(f"others={min(len(others), 3)}")
    words = [_word(t) for t in between if not t.is_space]
    features += [f"bw={w}" for w in set(words)]
    if len(words) <= 4:
        features.append("bseq=" + "_".join(words))
    if words:
        features += [f"bfirst={words[0]}", f"blast={words[-1]}"]
    if all(_in_list(t, ctx.refs) for t in between):
        features.append("list")
    intros = []
    for mention, side in ((a, ">"), (b, "<")):
        intro = _introducer(mention, ctx.refs)
        intros.append(intro or "-")
        if intro is not None:
            features.append(f"intro={intro}{side}")
            features += [f"introcue={r}{side}" for r in CUES.get(intro, ())]
    if intros != ["-", "-"]:
        features.append(f"intros={intros[0]}_{intros[1]}")
    start = a.sent.start
    before = [_word(t) for t in doc[max(start, a.start - _WINDOW) : a.start]]
    after = [_word(t) for t in doc[b.end : min(a.sent.end, b.end + _WINDOW)]]
    features += [f"pre={w}" for w in before] + [f"post={w}" for w in after]
    if before:
        features.append(f"pre1={before[-1]}")
    if after:
        features.append(f"post1={after[0]}")
    if any(t.text in {"'s", "’s", "'", "’"} for t in doc[a.end : a.end + 1]):
        features.append("poss>")
    if any(t.text in {"'s", "’s", "'", "’"} for t in doc[b.end : b.end + 1]):
        features.append("poss<")

    up_a, up_b = _path(a.root, b.root)
    top = up_b[-1]
    inner = [*up_a[1:-1], *up_b[1:-1]]
    dep_a = up_a[0].dep_ if len(up_a) > 1 else "self"
    dep_b = up_b[0].dep_ if len(up_b) > 1 else "self"
    head = _word(joint)
    features += [
        f"lca={_word(top)}",
        f"lcapos={top.pos_}",
        f"joint={head}",
        f"dep={dep_a}>",
        f"dep={dep_b}<",
        f"deps={dep_a}_{dep_b}",
        f"joint_deps={head}_{dep_a}_{dep_b}",
        f"pathlen={_bucket(len(inner) + 1)}",
    ]
    features += [f"pw={_word(t)}" for t in inner]
    if len(up_a) + len(up_b) <= _MAX_PATH:
        path = [f"{t.dep_}:{_word(t)}" for t in up_a[:-1]] + [_word(top)]
        path += [f"{t.dep_}:{_word(t)}" for t in reversed(up_b[:-1])]
        features.append("path=" + "|".join(path))
    for child in joint.children:
        if child.dep_ in {"neg", "prt", "aux", "auxpass", "advmod"}:
            features.append(f"jc={child.dep_}:{child.lower_}")
    for t in (*inner, joint, *between):
        for relation in _cues(t):
            features.append(f"cue={relation}")
    features += [
        f"sw={t.lemma_.lower()}"
        for t in a.sent
        if t.pos_ in {"NOUN", "VERB"} and t.i not in ctx.refs and not t.is_stop
    ]
    for t in a.sent:
        # A role word glued to a name ("VMAs host Katy Perry") describes that person, not
        # what the sentence says happened.
        if t.head.i in ctx.refs and t.dep_ in {"compound", "appos", "amod", "nmod"}:
            continue
        for relation in _cues(t):
            features.append(f"scue={relation}")
    for key, side in ((ctx.refs[a.root.i][0], ">"), (ctx.refs[b.root.i][0], "<")):
        features += [f"role={r}{side}" for r in sorted(ctx.roles.get(key, ()))[:4]]
    for reading in rules:
        side = "=" if RELATIONS[reading.relation].symmetric else ">" if reading.forward else "<"
        features.append(f"rule={reading.relation}{side}")
        features.append(f"rulename={reading.rule}{side}")
    return sorted(set(features))
