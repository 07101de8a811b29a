"""Person mentions: every place a document names a person.

The statistical NER labels the same name differently from one sentence to the next
("Kanye West" PERSON, then ORG; "West" LOC; "Swift" PRODUCT). This step collects the
names the document reliably gives a person, then finds *every* occurrence of those names
and their parts, whatever label the model gave them.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

from celebgraph.extraction.lexicon import (
    AGE_WORDS,
    KIN_NOUNS,
    LIST_FILLERS,
    MEDIA_NAMES,
    NOT_SURNAMES,
    ROLE_NOUNS,
    TITLES,
    WORK_ROLE_NOUNS,
)
from celebgraph.extraction.names import given_names
from celebgraph.text import clean_label, mixes_scripts

_POSSESSIVE = {"'s", "’s", "‘s", "'", "’", "‘"}
_NAME_PARTICLES = {"de", "van", "von", "da", "la", "le", "di", "del", "bin", "al", "der", "st."}
_NOT_NAME_PARTS = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "the", "mc", "mr", "mrs", "ms"}
_MAX_NAME_TOKENS = 5
_PERSON_LABELS = {"PERSON"}
#: Labels under which a longer entity swallows a name without being that person
#: ("The Jay Leno Show", "Kardashian Kollection").
_CONTAINER_LABELS = {"ORG", "WORK_OF_ART", "EVENT", "FAC", "PRODUCT", "LAW", "GPE", "NORP"}


def _is_name_token(token: Token) -> bool:
    text = clean_label(token.text)  # an invisible character in front hides no capital
    if token.lower_ in _NAME_PARTICLES:
        return True
    return text[:1].isupper() and not token.like_num and any(ch.isalpha() for ch in text)


def clean_name(span: Span) -> Span | None:
    """Strip titles, role words, possessives and punctuation from a name span.

    Returns ``None`` when what is left does not look like a person's name.
    """
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (
        doc[start].lower_ in TITLES or not _is_name_token(doc[start]) or doc[start].is_punct
    ):
        start += 1
    while end > start and (
        doc[end - 1].text in _POSSESSIVE
        or doc[end - 1].is_punct
        or not _is_name_token(doc[end - 1])
        or doc[end - 1].lower_ in _NAME_PARTICLES
    ):
        end -= 1
    if start >= end or end - start > _MAX_NAME_TOKENS:
        return None
    cleaned = doc[start:end]
    if start > 0 and doc[start - 1].text in {"#", "@"}:
        return None  # a hashtag or a handle, not a name
    if (
        not span.kb_id_
        and not span.ent_id_
        and any(t.is_upper and len(t.text) > 2 and "." not in t.text for t in doc[start:end])
    ):
        return None  # "NCIS", "CNN": an acronym is an organisation or a show
    if (
        doc[end - 1].tag_ == "NNPS"
        and not (span.kb_id_ or span.ent_id_)
        and (end - start == 1 or (start > 0 and doc[start - 1].lower_ == "the"))
    ):
        # A plural proper noun is a group ("the Beatles", "the Kardashians"); "Harry
        # Styles" is tagged plural too, but a first name in front makes it a person.
        return None
    if any(t.is_space or t.like_num or "\n" in t.text for t in cleaned):
        return None
    if any(not _is_name_token(t) and not t.is_punct for t in cleaned):
        return None
    if len(cleaned.text) < 2:
        return None
    if len(cleaned) == 1 and (
        cleaned[0].lower_ in NOT_SURNAMES or cleaned[0].lower_ in MEDIA_NAMES
    ):
        return None  # "Magazine" left of "Star Magazine", "As Radar reported": no person
    if mixes_scripts(clean_label(" ".join(name_key(cleaned)))):
        return None  # Latin mixed with Cyrillic or Greek letters that imitate no Latin one
    return Span(doc, start, end, label="PERSON", kb_id=span.kb_id_ or span.ent_id_)


def _with_given_names(span: Span) -> Span:
    """Widen a name the model cut short: NER says "Chen" where the text says "Ivy Chen"."""
    doc = span.doc
    start = span.start
    while (
        start > 0
        and doc[start - 1].pos_ == "PROPN"
        and doc[start - 1].dep_ == "compound"
        and span.start <= doc[start - 1].head.i < span.end
        and _is_name_token(doc[start - 1])
        and not doc[start - 1].ent_type_
        and span.end - start < _MAX_NAME_TOKENS
    ):
        start -= 1
    return (
        span
        if start == span.start
        else Span(doc, start, span.end, label=span.label, kb_id=span.kb_id)
    )


def _headline_end(doc: Doc) -> int:
    """Index of the first body token (0 when the document has no headline)."""
    return doc.user_data.get("cg_headline_tokens", 0)


def bare(text: str) -> str:
    """A token as part of a name: cleaned (no invisible characters, a word that mixes
    scripts spelled as the Latin word it imitates: :func:`celebgraph.text.clean_label`),
    one apostrophe, and no possessive glued on ("Kardashian‘s", which the tokenizer leaves
    whole).

    >>> bare("W\u0435st\u200b’s")
    'West'
    """
    text = clean_label(text).replace("’", "'").replace("‘", "'")
    return text[:-2] if len(text) > 3 and text.endswith("'s") else text


def name_key(span: Span) -> tuple[str, ...]:
    return tuple(bare(t.text) for t in span)


def names_a_work(doc: Doc, start: int, end: int) -> bool:
    """Whether the words ``doc[start:end]`` are (part of) a title: "the Thor star", "his
    Snow White and the Huntsman co-star" (a determiner before, a role noun after the
    title's words; the parser's tags are no help there)."""
    if start == 0 or doc[start - 1].tag_ not in {"DT", "PRP$"}:
        return False
    i = end
    while i < min(len(doc), end + 6) and (
        doc[i].is_title or doc[i].lower_ in {"and", "&", "of", "the"}
    ):
        i += 1  # the rest of a title: "Snow White [And The Huntsman]"
    if i + 2 < len(doc) and doc[i + 1].text == "-":
        word = f"{doc[i].lower_}-{doc[i + 2].lower_}"
    elif i < len(doc):
        word = doc[i].lower_
    else:
        return False
    return doc[i].is_lower and word in WORK_ROLE_NOUNS


def collect_names(doc: Doc) -> dict[tuple[str, ...], str]:
    """Names the document gives a person: token tuple → bundled-list name ('' if unknown)."""
    body_start = _headline_end(doc)
    names: dict[tuple[str, ...], str] = {}
    headline: list[Span] = []
    for ent in doc.ents:
        if ent.label_ not in _PERSON_LABELS:
            continue
        cleaned = clean_name(_with_given_names(ent))
        if cleaned is None or names_a_work(doc, cleaned.start, cleaned.end):
            continue
        if cleaned.start < body_start and not cleaned.kb_id_:
            headline.append(cleaned)  # title case fools the model: confirm against the body
            continue
        names.setdefault(name_key(cleaned), cleaned.kb_id_)
    for span in _given_name_spans(doc, body_start):
        names.setdefault(name_key(span), "")
    for span in _introduced_names(doc, body_start):
        names.setdefault(name_key(span), "")
    for span in headline:
        # Title case makes every headline word a proper noun ("Wild Rumor", "Purpose
        # Tour"): a headline-only name must start with a given name.
        if (
            len(span) in (2, 3)
            and bare(span[0].text) in given_names()
            and (span[-1].lower_ not in NOT_SURNAMES)
        ):
            names.setdefault(name_key(span), "")
    return names


def _given_name_spans(doc: Doc, body_start: int) -> list[Span]:
    """ "Greg Holt" tagged ORG, or not tagged at all: a capitalised run of two or three
    proper nouns that starts with a common given name is a person's name."""
    given = given_names()
    found = []
    i = body_start
    while i < len(doc):
        token = doc[i]
        end = _name_run(doc, i)
        candidate = (
            end - i in (2, 3)
            and bare(token.text) in given
            and doc[end - 1].lower_ not in NOT_SURNAMES
        )
        if candidate and (token.ent_type_ in {"", "PERSON"} or _whole_entity(doc, i, end)):
            cleaned = clean_name(doc[i:end])
            if cleaned is not None:
                found.append(cleaned)
        i = max(end, i + 1)
    return found


def _whole_entity(doc: Doc, start: int, end: int) -> bool:
    """The span is exactly one entity of the model (whatever its label)."""
    ent = _entity_at(doc, start)
    return ent is not None and ent.start == start and ent.end == end


def _name_run(doc: Doc, start: int) -> int:
    """End of the run of capitalised proper nouns starting at ``start`` (at most 4)."""
    end = start
    while (
        end < len(doc) and end - start < 4 and doc[end].pos_ == "PROPN" and _is_name_token(doc[end])
    ):
        end += 1
    return end


_INTRODUCERS = frozenset(KIN_NOUNS) | ROLE_NOUNS


def _skip_fillers(doc: Doc, i: int, ages: bool, limit: int = 6) -> int:
    """The first token from ``i`` on that is not list punctuation (or an age)."""
    skipped = 0
    while (
        i < len(doc)
        and skipped < limit
        and (
            doc[i].lower_ in LIST_FILLERS
            or (ages and (doc[i].like_num or doc[i].lower_ in AGE_WORDS))
        )
    ):
        i += 1
        skipped += 1
    return i


def _aged(doc: Doc, i: int) -> bool:
    """A capitalised word followed by an age: "Pax, 12"."""
    return (
        i + 2 < len(doc)
        and doc[i].is_title
        and _is_name_token(doc[i])
        and doc[i + 1].text == ","
        and doc[i + 2].like_num
    )


def _introduced_names(doc: Doc, body_start: int) -> list[Span]:
    """Names right after a kinship or role noun: "daughter Carys", "pastor Carl Lentz",
    "her grandkids, Mason, Penelope and Reign Disick", "six kids — Maddox, 15, Pax, 12".

    The model often misses (or mislabels) these one-word and unfamiliar names, but the
    noun in front of them says they are people.
    """
    found = []
    for token in doc[body_start:]:
        lemma = token.lemma_.lower()
        if token.lower_ not in _INTRODUCERS and lemma not in _INTRODUCERS:
            continue
        plural = token.lower_ != lemma
        start = token.i + 1
        if start < len(doc) and doc[start].text == ",":
            start += 1
        if plural:
            start = _skip_fillers(doc, start, ages=False, limit=3)
        listed = 0
        while start < len(doc):
            end = _name_run(doc, start)
            if end == start and listed and _aged(doc, start):
                end = start + 1  # "Maddox, 15; Pax, 12": the tagger takes "Pax" for a noun
            # "the singer Taylor Swift Music Festival" is no name: stop at a glued word.
            if end == start or (end < len(doc) and doc[end].pos_ == "PROPN"):
                break
            cleaned = clean_name(doc[start:end]) or (
                doc[start:end] if plural and end - start == 1 else None  # twins Rumi and Sir
            )
            if cleaned is not None and not _inside_other_entity(doc, cleaned.start, cleaned.end):
                found.append(cleaned)
            if not plural:
                break
            listed += 1
            # A list after a plural noun: "Mason, Penelope, and Reign Disick".
            nxt = _skip_fillers(doc, end, ages=True)
            if nxt == end or not any(doc[k].lower_ in {",", "and", "&"} for k in range(end, nxt)):
                break
            start = nxt
    return found


def _forms(names: dict[tuple[str, ...], str]) -> dict[tuple[str, ...], bool]:
    """Every form to look for → whether it is a whole name (False: one part of a name)."""
    forms = dict.fromkeys(names, True)
    for key in names:
        if len(key) < 2:
            continue
        for part in (key[0], key[-1]):
            if part.lower() not in _NOT_NAME_PARTS and len(part) > 1:
                forms.setdefault((part,), False)
    return forms


def _entity_at(doc: Doc, index: int) -> Span | None:
    """The model's entity covering a token (``doc.ents`` is rebuilt on every access)."""
    table = doc.user_data.get("cg_entity_at")
    if table is None:
        table = {i: ent for ent in doc.ents for i in range(ent.start, ent.end)}
        doc.user_data["cg_entity_at"] = table
    return table.get(index)


def _inside_other_entity(doc: Doc, start: int, end: int) -> bool:
    token = doc[start]
    if not token.ent_type_ or token.ent_type_ not in _CONTAINER_LABELS:
        return False
    ent = _entity_at(doc, start)
    if ent is None or (ent.start == start and ent.end == end):
        return False
    # "Jay Leno's" tagged ORG is still the person; "The Jay Leno Show" is not.
    tail = doc[end : ent.end]
    return not all(t.text in _POSSESSIVE for t in tail)


def _isolated(doc: Doc, start: int, end: int) -> bool:
    """A lone name part must not be glued to other capitalised words ("West Coast")."""
    before = doc[start - 1] if start > 0 else None
    after = doc[end] if end < len(doc) else None
    for neighbour in (before, after):
        if (
            neighbour is not None
            and neighbour.pos_ == "PROPN"
            and neighbour.text[:1].isupper()
            and not neighbour.is_sent_start
        ):
            return False
    return doc[start].pos_ in {"PROPN", "NOUN"} or doc[start].ent_type_ != ""


def find_mentions(doc: Doc) -> list[Span]:
    """All person mentions, longest match first, not overlapping, in document order."""
    names = collect_names(doc)
    forms = _forms(names)
    kb_ids = {key: kb for key, kb in names.items() if kb}
    longest = max((len(f) for f in forms), default=0)
    mentions: list[Span] = []
    i = 0
    texts = [bare(t.text) for t in doc]
    while i < len(doc):
        match = None
        for size in range(min(longest, len(doc) - i), 0, -1):
            key = tuple(texts[i : i + size])
            whole = forms.get(key)
            if whole is None:
                continue
            if _inside_other_entity(doc, i, i + size):
                continue
            if not whole and not _isolated(doc, i, i + size):
                continue
            if names_a_work(doc, i, i + size):
                continue
            match = Span(doc, i, i + size, label="PERSON", kb_id=kb_ids.get(key, ""))
            break
        if match is None:
            i += 1
            continue
        mentions.append(match)
        i = match.end
    return mentions
