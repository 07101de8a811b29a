"""Entities: the mentions of one article grouped into people, and what refers to them.

Rules, in order:

1. A name on the bundled list of well-known people is that person, under the list's name.
2. A full name that is part of a longer full name in the same article is the same person
   ("Kim Kardashian" / "Kim Kardashian West"); so is a form whose parts are initials of it
   ("Kim K").
3. A lone first name or surname is the person with that name part who was mentioned last
   (or, if none was yet, who is mentioned next): two Harts in one article stay two people.
4. A pronoun (he/she/his/her...) is the person of the right gender mentioned most recently
   in the same or the previous sentence, when that choice is clear; a description
   ("the rapper", "the host") is the one person in the article known by that role.
5. "I", "me", "my" inside a quotation are its speaker: the one person a paragraph gives
   as saying, telling or writing something ("'I love him,' she said").

The entity key (its IRI's last segment) is the slug of the bundled-list name or of the
full name; a one-word name that is not on the list is scoped to its article, since one
word does not identify a person across articles.
"""

from __future__ import annotations

import re
from collections import defaultdict

from spacy.tokens import Doc, Span, Token

from celebgraph.extraction.lexicon import (
    DESCRIPTION_NOUNS,
    FEMALE_NOUNS,
    FEMALE_PRONOUNS,
    FIRST_PERSON,
    MALE_NOUNS,
    MALE_PRONOUNS,
    SPEECH_VERBS,
)
from celebgraph.extraction.mentions import name_key
from celebgraph.extraction.names import given_names, known_people
from celebgraph.extraction.sentences import sentence_number, sentence_of, sentences
from celebgraph.models import Entity
from celebgraph.ontology import slugify
from celebgraph.text import clean_label


def _same_initial(short: str, full: str) -> bool:
    short = short.rstrip(".")
    return len(short) == 1 and full[:1].upper() == short.upper()


def _part_of(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """``short`` is a contiguous run of ``full`` (initials allowed): Kim K ⊂ Kim Kardashian."""
    if len(short) >= len(full):
        return False
    for offset in range(len(full) - len(short) + 1):
        window = full[offset : offset + len(short)]
        if all(a == b or _same_initial(a, b) for a, b in zip(short, window, strict=True)):
            return True
    return False


class _Cluster:
    def __init__(self, name: tuple[str, ...], known: str) -> None:
        self.forms: dict[tuple[str, ...], int] = defaultdict(int)
        self.longest = name
        self.known = known  # bundled-list name, or ""
        self.gender: str | None = None
        self.roles: set[str] = set()

    def add(self, form: tuple[str, ...]) -> None:
        self.forms[form] += 1
        if len(form) > len(self.longest):
            self.longest = form

    @property
    def name(self) -> str:
        """The bundled-list name, else the longest form (spelled in one script)."""
        return self.known or clean_label(_join(self.longest))


def _join(form: tuple[str, ...]) -> str:
    """Tokens back to a name: hyphens and apostrophes close up ("Jay-Z", "O'Neal")."""
    text = " ".join(form)
    return re.sub(r"\s*([-'’])\s*", r"\1", text)


def cluster_mentions(doc: Doc, mentions: list[Span]) -> list[tuple[Span, _Cluster]]:
    """Assign each mention to a person (rules 1–3 above)."""
    people = known_people()
    clusters: dict[str, _Cluster] = {}
    full_forms: dict[tuple[str, ...], _Cluster] = {}

    def cluster_for(form: tuple[str, ...], known: str) -> _Cluster:
        ident = known or _join(form)
        if ident not in clusters:
            clusters[ident] = _Cluster(form, known)
        return clusters[ident]

    # Whole names first, longest first, so that shorter ones can join them.
    wholes = sorted(
        {name_key(m): m.kb_id_ for m in mentions if len(m) > 1 or m.kb_id_}.items(),
        key=lambda item: -len(item[0]),
    )
    for form, kb in wholes:
        known = kb or (people.lookup(_join(form)).name if people.lookup(_join(form)) else "")
        if known:
            full_forms[form] = cluster_for(form, known)
            continue
        container = next((c for f, c in full_forms.items() if _part_of(form, f)), None)
        full_forms[form] = container or cluster_for(form, "")

    assigned: list[tuple[Span, _Cluster]] = []
    last_seen: dict[int, int] = {}
    pending: list[tuple[int, Span]] = []
    for index, mention in enumerate(mentions):
        form = name_key(mention)
        cluster = full_forms.get(form)
        if cluster is None:
            candidates = {id(c): c for f, c in full_forms.items() if form[0] in f}
            if not candidates:
                known = people.lookup(form[0])
                cluster = cluster_for(form, known.name if known else "")
                full_forms[form] = cluster
            elif len(candidates) == 1:
                cluster = next(iter(candidates.values()))
            else:
                # Not the person fully named in this very sentence ("Hart was married to
                # Torrei Hart"); then the most mentioned so far, then the latest.
                here = sentence_number(mention)
                named_here = {
                    id(full_forms[name_key(m)])
                    for m in mentions
                    if len(m) > 1 and sentence_number(m) == here and name_key(m) in full_forms
                }
                others = {k: c for k, c in candidates.items() if k not in named_here}
                candidates = others or candidates
                seen = [
                    (sum(c.forms.values()), last_seen[k], c)
                    for k, c in candidates.items()
                    if k in last_seen
                ]
                if seen:
                    cluster = max(seen, key=lambda item: item[:2])[2]
                elif len(candidates) == 1:
                    cluster = next(iter(candidates.values()))
                else:
                    pending.append((index, mention))
                    assigned.append((mention, None))  # type: ignore[arg-type]
                    continue
        cluster.add(form)
        last_seen[id(cluster)] = mention.start
        assigned.append((mention, cluster))
    # An ambiguous part seen before any full name goes to the next full name that has it.
    for index, mention in pending:
        form = name_key(mention)
        later = next(
            (c for m, c in assigned[index + 1 :] if c is not None and form[0] in c.longest),
            None,
        ) or next(c for f, c in full_forms.items() if form[0] in f)
        later.add(form)
        assigned[index] = (mention, later)
    return assigned


def _gender_from_context(mention: Span) -> str | None:
    """Gender words next to a name: "wife Eniko Parrish", "Mrs. Smith", "actress X"."""
    doc = mention.doc
    words = [t.lower_.rstrip(".") for t in doc[max(0, mention.start - 2) : mention.start]]
    words += [t.lower_ for t in mention.root.children if t.dep_ in {"compound", "appos", "amod"}]
    if mention.root.dep_ == "appos":
        words.append(mention.root.head.lower_)
    if any(w in FEMALE_NOUNS for w in words):
        return "f"
    if any(w in MALE_NOUNS for w in words):
        return "m"
    return None


def _role_words(mention: Span) -> set[str]:
    """Role nouns attached to a name: "rapper Kanye West", "the host, Jay Leno"."""
    root = mention.root
    roles = {
        t.lemma_.lower()
        for t in root.children
        if t.dep_ in {"compound", "appos", "amod", "nmod"} and t.pos_ == "NOUN"
    }
    if root.dep_ == "appos" and root.head.pos_ == "NOUN":
        roles.add(root.head.lemma_.lower())
    return roles


def resolve_references(
    doc: Doc, assigned: list[tuple[Span, _Cluster]]
) -> dict[int, tuple[_Cluster, float, str]]:
    """Map tokens to people: names, then pronouns and descriptions (rule 4 above)."""
    people = known_people()
    refs: dict[int, tuple[_Cluster, float, str]] = {}
    for mention, cluster in assigned:
        cluster.gender = cluster.gender or _gender_from_context(mention)
        cluster.roles |= _role_words(mention)
        for token in mention:
            refs[token.i] = (cluster, 1.0, "name")
    for cluster in {id(c): c for _, c in assigned}.values():
        known = people.lookup(cluster.name)
        if known:
            cluster.roles |= set(known.roles)
            if cluster.gender is None:
                cluster.gender = _gender_from_roles(known.roles)
    given = given_names()
    for _, cluster in assigned:
        if cluster.gender is None:
            # The usual gender of the given name ("u" names say nothing), surer than the
            # pronouns around the name ("Justin saw her").
            first = cluster.longest[0]
            cluster.gender = {"f": "f", "m": "m"}.get(given.get(first, "u"))
    _vote_genders(doc, assigned)
    by_sentence = {sent.start: index for index, sent in enumerate(sentences(doc))}
    sent_of = {}
    index = -1
    for token in doc:
        if token.i in by_sentence:
            index = by_sentence[token.i]
        sent_of[token.i] = index

    history: list[tuple[int, _Cluster, bool]] = []  # (token index, cluster, was subject)
    role_owners: dict[str, set[int]] = defaultdict(set)
    clusters = {id(c): c for _, c in assigned}
    for cluster in clusters.values():
        for role in cluster.roles:
            role_owners[role].add(id(cluster))
    # Descriptions first: they do not depend on what came before, and a pronoun may not
    # be the person its own verb's object describes ("he told the host").
    for token in doc:
        if token.i not in refs:
            described = _resolve_description(token, role_owners, clusters)
            if described is not None:
                refs[token.i] = (described, 0.75, "description")
    for token in doc:
        entry = refs.get(token.i)
        if entry is not None:
            if not history or history[-1][1] is not entry[0] or history[-1][0] != token.i - 1:
                history.append((token.i, entry[0], token.dep_.startswith("nsubj")))
            continue
        gender = _pronoun_gender(token)
        described = gender is None and _is_description(token)
        if gender is not None or described:
            excluded = _co_arguments(token, refs)
            allowed = [h for h in history if id(h[1]) not in excluded]
            if described:
                resolved = _resolve_described(token, allowed, sent_of)
            else:
                resolved = _resolve_pronoun(token, gender, allowed, sent_of)
            if resolved is not None:
                refs[token.i] = resolved
                history.append((token.i, resolved[0], token.dep_.startswith("nsubj")))
    _resolve_speakers(doc, refs)
    return refs


_QUOTE_MARKS = frozenset({'"', "“", "”"})


def _resolve_speakers(doc: Doc, refs: dict[int, tuple[_Cluster, float, str]]) -> None:
    """First-person pronouns inside quotes → the paragraph's one named speaker."""
    paragraph: list[Token] = []
    for token in [*doc, None]:
        if token is None or (token.is_space and "\n" in token.text):
            _speak_for(paragraph, refs)
            paragraph = []
        else:
            paragraph.append(token)


def _speak_for(tokens: list[Token], refs: dict[int, tuple[_Cluster, float, str]]) -> None:
    speakers = {}
    for token in tokens:
        if token.lemma_.lower() in SPEECH_VERBS and token.pos_ == "VERB":
            for child in token.children:
                if child.dep_ == "nsubj" and child.i in refs and child.lower_ not in FIRST_PERSON:
                    cluster = refs[child.i][0]
                    speakers[id(cluster)] = cluster
    if len(speakers) != 1:
        return
    speaker = next(iter(speakers.values()))
    inside = False
    for token in tokens:
        if token.text in _QUOTE_MARKS:
            inside = not inside if token.text == '"' else token.text == "“"
        elif inside and token.lower_ in FIRST_PERSON and token.i not in refs:
            refs[token.i] = (speaker, 0.7, "speaker")


def _co_arguments(pronoun: Token, refs: dict[int, tuple[_Cluster, float, str]]) -> set[int]:
    """People named as the object of the verb a subject pronoun is the subject of:
    "he told the host" — he is not the host."""
    if not pronoun.dep_.startswith("nsubj") or pronoun.lower_.endswith("self"):
        return set()
    verb = pronoun.head
    objects = [c for c in verb.children if c.dep_ in {"dobj", "dative", "attr"}]
    objects += [
        g for c in verb.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"
    ]
    return {id(refs[o.i][0]) for o in objects if o.i in refs}


def _vote_genders(doc: Doc, assigned: list[tuple[Span, _Cluster]]) -> None:
    """A sentence that names one person and says "she" or "he" hints at that person's gender."""
    votes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    clusters = {id(c): c for _, c in assigned}
    by_sentence: dict[int, set[int]] = defaultdict(set)
    for mention, cluster in assigned:
        by_sentence[sentence_of(mention).start].add(id(cluster))
    for sentence in sentences(doc):
        named = by_sentence.get(sentence.start)
        if not named or len(named) != 1:
            continue
        (only,) = named
        for token in sentence:
            gender = _pronoun_gender(token)
            if gender == "m":
                votes[only][0] += 1
            elif gender == "f":
                votes[only][1] += 1
    for ident, (male, female) in votes.items():
        cluster = clusters[ident]
        if cluster.gender is None and male != female:
            cluster.gender = "m" if male > female else "f"


def _gender_from_roles(roles: tuple[str, ...]) -> str | None:
    if any(r in FEMALE_NOUNS for r in roles):
        return "f"
    if any(r in MALE_NOUNS for r in roles):
        return "m"
    return None


def _pronoun_gender(token: Token) -> str | None:
    if token.pos_ not in {"PRON", "DET"}:
        return None
    if token.lower_ in MALE_PRONOUNS:
        return "m"
    if token.lower_ in FEMALE_PRONOUNS:
        return "f"
    return None


def _resolve_pronoun(
    token: Token,
    gender: str,
    history: list[tuple[int, _Cluster, bool]],
    sent_of: dict[int, int],
) -> tuple[_Cluster, float, str] | None:
    here = sent_of[token.i]
    # Prefer the one fitting person named earlier in the same sentence.
    same = {id(c): c for i, c, _ in history if sent_of[i] == here and c.gender in (None, gender)}
    if len(same) == 1:
        cluster = next(iter(same.values()))
        return cluster, 0.85 if cluster.gender == gender else 0.75, "pronoun"
    window = [h for h in history if here - sent_of[h[0]] <= 1]
    if not window:
        # Quotes split into many short sentences: look a little further back.
        window = [h for h in history if here - sent_of[h[0]] <= 5]
    candidates: dict[int, _Cluster] = {}
    for _, cluster, _ in window:
        if cluster.gender in (None, gender):
            candidates[id(cluster)] = cluster
    if not candidates:
        return None
    if len(candidates) == 1:
        cluster = next(iter(candidates.values()))
        if cluster.gender is None:
            cluster.gender = gender  # learnt from an unambiguous use
        return cluster, 0.9, "pronoun"
    sure = [c for c in candidates.values() if c.gender == gender]
    if len(sure) == 1:
        return sure[0], 0.85, "pronoun"
    # "her husband X, her daughter Y and her mother Z": the same "her" each time.
    for i, cluster, _ in reversed(history):
        if sent_of[i] != here:
            break
        if token.doc[i].lower_ == token.lower_ and id(cluster) in candidates:
            return cluster, 0.7, "pronoun"
    # Several people fit: a subject pronoun continues a recent subject, the article's
    # main person if that is one of them, else the latest.
    if token.dep_.startswith("nsubj"):
        subjects = [(i, c) for i, c, was_subject in window if was_subject and id(c) in candidates]
        if subjects:
            main = max(candidates.values(), key=lambda c: sum(c.forms.values()))
            others = [sum(c.forms.values()) for c in candidates.values() if c is not main]
            if any(c is main for _, c in subjects) and sum(main.forms.values()) >= 1.5 * max(
                others, default=0
            ):
                return main, 0.6, "pronoun"
            # The subject highest in its sentence's tree (the main clause's, if a person).
            doc = token.doc
            best = min(subjects, key=lambda item: (len(list(doc[item[0]].ancestors)), -item[0]))
            return best[1], 0.6, "pronoun"
    # Otherwise the article's main person, when one is named far more often than the rest.
    counts = sorted(((sum(c.forms.values()), k) for k, c in candidates.items()), reverse=True)
    if counts[0][0] >= 2 * counts[1][0] + 1:
        return candidates[counts[0][1]], 0.6, "pronoun"
    return None


def _is_description(token: Token) -> bool:
    """ "the actress", "the pop star": a role noun with "the", standing for a person."""
    return (
        token.pos_ == "NOUN"
        and token.dep_ not in {"compound", "amod"}
        and token.lemma_.lower() in DESCRIPTION_NOUNS
        and any(child.lower_ == "the" for child in token.children)
        and not any(child.dep_ in {"prep", "relcl", "acl"} for child in token.children)
    )


def _resolve_described(
    token: Token, history: list[tuple[int, _Cluster, bool]], sent_of: dict[int, int]
) -> tuple[_Cluster, float, str] | None:
    """ "Jennifer Aniston ... the actress": the one person of the noun's gender named in
    this sentence or the one before; nobody when several fit."""
    word = token.lemma_.lower()
    gender = "f" if word in FEMALE_NOUNS else "m" if word in MALE_NOUNS else None
    here = sent_of[token.i]
    fits = {
        id(c): c
        for i, c, _ in history
        if 0 <= here - sent_of[i] <= 1 and (gender is None or c.gender in (None, gender))
    }
    if len(fits) != 1:
        return None
    return next(iter(fits.values())), 0.6, "description"


def _resolve_description(
    token: Token, role_owners: dict[str, set[int]], clusters: dict[int, _Cluster]
) -> _Cluster | None:
    """ "the rapper" → the one person known as a rapper in this article."""
    if token.pos_ != "NOUN" or token.dep_ in {"compound", "amod"}:
        return None
    owners = role_owners.get(token.lemma_.lower())
    if not owners or len(owners) != 1:
        return None
    if not any(child.lower_ == "the" for child in token.children):
        return None
    return clusters[next(iter(owners))]


def build_entities(
    article_id: str, assigned: list[tuple[Span, _Cluster]]
) -> tuple[dict[str, Entity], dict[int, str]]:
    """Turn clusters into :class:`Entity` records with stable keys."""
    entities: dict[str, Entity] = {}
    keys: dict[int, str] = {}
    for _, cluster in assigned:
        if id(cluster) in keys:
            continue
        name = cluster.name
        if cluster.known or len(cluster.longest) > 1:
            key = slugify(name)
        else:
            key = f"{slugify(name)}--{slugify(article_id)}"
        keys[id(cluster)] = key
        forms = sorted({clean_label(_join(f)) for f in cluster.forms} - {name})
        entities[key] = Entity(key=key, name=name, aliases=tuple(forms))
    return entities, keys
