"""Claims: relations between the people of a sentence, read from its dependency parse.

Each rule is a small function ``rule(token, ctx) -> Iterable[Candidate]`` registered in
:data:`RULES` under a versioned name; the name is kept on the claim (``cg:rule``), so every
edge in the graph says which rule produced it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations

from spacy.tokens import Doc, Span, Token

from celebgraph.extraction.lexicon import (
    AGE_WORDS,
    ATTEND_VERBS,
    CAST_NOUNS,
    CAST_VERBS,
    CREW_VERBS,
    ENSEMBLE_VERBS,
    EVENT_NOUNS,
    INTERVIEWER_ROLES,
    INTRANSITIVE_CUES,
    KIN_NOUNS,
    LIST_FILLERS,
    PAIR_NOUNS,
    PREDICATE_ADJECTIVES,
    RELATIONSHIP_NOUNS,
    SEEN_TOGETHER_VERBS,
    VERB_CUES,
    WORK_PARTNERS,
    NounCue,
    VerbCue,
)
from celebgraph.extraction.sentences import sentence_of
from celebgraph.ontology import RELATIONS

_VERBS_BY_LEMMA: dict[str, list[VerbCue]] = defaultdict(list)
for _cue in VERB_CUES:
    _VERBS_BY_LEMMA[_cue.lemma].append(_cue)

_SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj"}
_PLURAL_PRONOUNS = {"they", "them", "their", "theirs", "themselves"}
_ROMANTIC = {"spouseOf", "formerSpouseOf", "partnerOf", "formerPartnerOf", "engagedTo"}
#: How far back (in tokens) "they" may reach for the last people named together.
_GROUP_REACH = 60


@dataclass(frozen=True)
class Person:
    key: str
    confidence: float
    token: Token


@dataclass(frozen=True)
class Candidate:
    """One reading of a relation in a sentence, before statuses and merging."""

    subject: Person
    relation: str
    object: Person
    trigger: Token
    rule: str
    confidence: float
    presupposed: bool = False  # given by a noun phrase ("his wife X"), not stated


@dataclass
class ClaimContext:
    """What the rules may look up: who each token refers to, and the last couple seen."""

    doc: Doc
    refs: dict[int, tuple[str, float]]
    roles: dict[str, frozenset[str]] = field(default_factory=dict)  # entity key → role nouns
    last_pair: tuple[Person, Person] | None = None
    last_group: tuple[Person, ...] = ()  # the last people named together as a subject
    _seen: set[int] = field(default_factory=set)

    def person(self, token: Token) -> Person | None:
        ref = self.refs.get(token.i)
        return Person(ref[0], ref[1], token) if ref else None

    def persons(self, token: Token | None) -> list[Person]:
        """The person at ``token`` and those coordinated with it ("X, Y and Z")."""
        if token is None:
            return []
        found: list[Person] = []
        for node in _conjuncts(token):
            person = self.person(node)
            if person is not None:
                found.append(person)
            elif node.lower_ in PAIR_NOUNS or node.lower_ in _PLURAL_PRONOUNS:
                found.extend(self.group(node))
        return _unique(found)

    def group(self, token: Token) -> list[Person]:
        """ "they", "the couple": the coordinated subjects of the sentence, or the last couple."""
        sentence = sentence_of(token)
        for candidate in sentence:
            if candidate.dep_ in _SUBJECT_DEPS and candidate.i != token.i:
                people = [self.person(n) for n in _conjuncts(candidate)]
                people = [p for p in people if p is not None]
                if len({p.key for p in people}) >= 2 and candidate.i < token.i:
                    return people
        romantic_noun = RELATIONSHIP_NOUNS.get(token.head.lemma_.lower()) in _ROMANTIC
        if self.last_pair is not None and (token.lower_ in PAIR_NOUNS or romantic_noun):
            # "the couple", "the exes", "their divorce": the last two people seen as a couple.
            return [Person(p.key, p.confidence * 0.8, token) for p in self.last_pair]
        # "Heidi Klum and Seal married. They have three children": the people last named
        # together, if that was a sentence or two before and no one is named in between.
        if (
            self.last_group
            and (token.lower_ in _PLURAL_PRONOUNS or token.lower_ in PAIR_NOUNS)
            and 0 < token.i - self.last_group[-1].token.i <= _GROUP_REACH
            and not any(t.i in self.refs for t in sentence if t.i < token.i)
        ):
            return [Person(p.key, p.confidence * 0.75, token) for p in self.last_group]
        return []

    def remember_group(self, sentence: Span) -> None:
        """Keep the people a sentence names together ("X and Y arrived"), its subject first."""
        groups = []
        for token in sentence:
            if token.dep_ != "conj" and any(c.dep_ == "conj" for c in token.children):
                people = _unique([p for n in _conjuncts(token) if (p := self.person(n))])
                if len(people) >= 2:
                    groups.append((token.dep_ in _SUBJECT_DEPS, people[-1].token.i, people))
        if groups:
            self.last_group = tuple(max(groups, key=lambda g: g[:2])[2])


def _conjuncts(token: Token) -> list[Token]:
    nodes = [token]
    for child in token.children:
        if child.dep_ == "conj" or (child.dep_ == "appos" and token.dep_ != "appos"):
            nodes.extend(_conjuncts(child))
    return nodes


def _unique(people: list[Person]) -> list[Person]:
    seen: dict[str, Person] = {}
    for person in people:
        if person.key not in seen or seen[person.key].confidence < person.confidence:
            seen[person.key] = person
    return list(seen.values())


def _presupposed(trigger: Token) -> bool:
    """A relation named by a noun phrase ("their divorce") rather than stated by a clause."""
    return trigger.pos_ in {"NOUN", "PROPN"} and trigger.dep_ not in {"attr", "ROOT"}


def _pairs(
    subjects: list[Person],
    objects: list[Person],
    relation: str,
    trigger: Token,
    rule: str,
    base: float,
) -> Iterator[Candidate]:
    for s in subjects:
        for o in objects:
            if s.key != o.key:
                yield Candidate(
                    s,
                    relation,
                    o,
                    trigger,
                    rule,
                    base * min(s.confidence, o.confidence),
                    _presupposed(trigger),
                )


def _among(people: list[Person], relation: str, trigger: Token, rule: str, base: float):
    """Every pair of the people: "X, Y and Z performed together"."""
    for a, b in combinations(people, 2):
        yield from _pairs([a], [b], relation, trigger, rule, base)


def clause_subjects(token: Token, ctx: ClaimContext, depth: int = 8) -> list[Person]:
    """The subject of the clause a token sits in, borrowed from the governing clause.

    "He rushed the stage and stole the mic": ``stole`` takes its subject from ``rushed``;
    "Kanye, who married Kim": the relative clause takes the noun it modifies. A reported
    clause ("X said Y married Z") does not borrow the subject of "said".
    """
    node = token
    for _ in range(depth):
        if node.pos_ in {"VERB", "AUX"}:
            subjects = [c for c in node.children if c.dep_ in _SUBJECT_DEPS]
            agents = [g for c in node.children if c.dep_ == "agent" for g in c.children]
            found = [p for s in subjects + agents for p in ctx.persons(s)]
            if found:
                return found
            if node.dep_ == "relcl" or any(s.lower_ in {"who", "that"} for s in subjects):
                return ctx.persons(node.head)
            if subjects or node.dep_ not in {"conj", "xcomp", "advcl", "acl", "pcomp"}:
                return []
        if node.head is node:
            break
        node = node.head
    return []


def _passive(verb: Token) -> bool:
    return any(c.dep_ in {"nsubjpass", "auxpass"} for c in verb.children)


def _prep_objects(
    token: Token, preposition: str, ctx: ClaimContext, depth: int = 2
) -> list[Person]:
    """Persons in a ``preposition`` phrase under ``token`` (through advmod/dobj/prt)."""
    found: list[Person] = []
    frontier = [token]
    for _ in range(depth):
        nxt = []
        for node in frontier:
            for child in node.children:
                if child.dep_ in {"prep", "agent"} and child.lower_ == preposition:
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            found.extend(ctx.persons(obj))
                elif child.dep_ in {"advmod", "dobj", "prt", "npadvmod", "advcl"}:
                    nxt.append(child)
        frontier = nxt
    return _unique(found)


def _direct_objects(verb: Token, ctx: ClaimContext) -> list[Person]:
    if _passive(verb):
        return [p for c in verb.children if c.dep_ == "nsubjpass" for p in ctx.persons(c)]
    return [p for c in verb.children if c.dep_ in {"dobj", "dative"} for p in ctx.persons(c)]


_FORMER = {
    "spouseOf": "formerSpouseOf",
    "partnerOf": "formerPartnerOf",
    "engagedTo": "formerPartnerOf",
}
_ENDING_VERBS = {"end", "quit", "finish", "abandon"}
#: Verbs of leaving a spouse or partner: "split from her husband X", "divorced his wife X".
_PARTING_VERBS = {"split", "separate", "divorce", "dump", "ditch"}
_ENDED_ADVERBS = {"previously", "formerly", "once", "briefly", "then"}
_PAST_MODIFIERS = {"previous", "former", "past", "earlier", "old", "first", "prior", "failed"}


def _ended(verb: Token, relation: str) -> str:
    """ "was previously married to Y", "dated Y from 2010 to 2012": a relation that ended."""
    if relation not in _FORMER:
        return relation
    children = list(verb.children)
    if any(c.dep_ == "advmod" and c.lower_ in _ENDED_ADVERBS for c in children):
        return _FORMER[relation]
    preps = {c.lower_ for c in verb.subtree if c.dep_ == "prep"}
    if {"from", "until"} & preps and any(t.like_num for t in verb.subtree):
        return _FORMER[relation]
    return relation


def _asks_questions(verb: Token) -> bool:
    """ "asked West what...", "asked her about...", "asked him questions"."""
    for child in verb.children:
        if child.dep_ == "prep" and child.lower_ == "about":
            return True
        if child.dep_ == "dobj" and child.lemma_ in {"question", "what", "how", "why"}:
            return True
        if child.dep_ == "ccomp" and any(
            g.tag_ in {"WP", "WRB", "WDT"} or g.lower_ in {"if", "whether"} for g in child.subtree
        ):
            return True
    return False


def verb_rule(token: Token, ctx: ClaimContext) -> Iterator[Candidate]:
    """ "West interrupted Swift", "Leno asked West", "X split from Y", "X and Y married"."""
    if token.pos_ not in {"VERB", "AUX", "ADJ", "NOUN"}:
        return
    cues = _VERBS_BY_LEMMA.get(token.lemma_.lower())
    if not cues or (token.pos_ == "NOUN" and token.dep_ != "ROOT"):
        return
    particles = {c.lower_ for c in token.children if c.dep_ in {"prt", "prep", "advmod"}}
    dobj_lemmas = {c.lemma_.lower() for c in token.children if c.dep_ in {"dobj", "nsubjpass"}}
    subjects = clause_subjects(token, ctx)
    passive = _passive(token)
    matched = False
    for cue in cues:
        if cue.particle and cue.particle not in particles:
            continue
        if cue.dobj_lemmas and not (cue.dobj_lemmas & dobj_lemmas):
            continue
        if cue.relation == "assaulted" and any(
            c.dep_ in {"xcomp", "ccomp"} for c in token.children
        ):
            continue  # "pushed Vic to do this" is persuasion, not a blow
        if cue.lemma in {"ask", "question"} and not _asks_questions(token):
            continue  # "asked her daughter to help" is a request, not an interview
        if cue.obj == "dobj":
            if cue.dobj_lemmas:
                continue
            objects = _direct_objects(token, ctx)
        else:
            objects = _prep_objects(token, cue.obj.split(":", 1)[1], ctx)
        if passive and cue.obj == "dobj":
            subjects_here = [
                p
                for c in token.children
                if c.dep_ == "agent"
                for g in c.children
                for p in ctx.persons(g)
            ]
        else:
            subjects_here = subjects
        if not objects or not subjects_here:
            continue
        matched = True
        rule = f"verb.{cue.lemma}{'_' + cue.particle if cue.particle else ''}.v1"
        relation = _ended(token, cue.relation)
        yield from _pairs(subjects_here, objects, relation, token, rule, cue.confidence)
        if cue.relation in {"collaboratedWith", "metWith"} and len(objects) > 1:
            yield from _among(objects, cue.relation, token, rule, cue.confidence * 0.9)
    if matched:
        return
    relation = INTRANSITIVE_CUES.get(token.lemma_.lower())
    if relation is None:
        return
    if token.lemma_.lower() == "break" and "up" not in particles:
        return
    if token.lemma_.lower() == "tie" and "knot" not in dobj_lemmas:
        return
    group = [p for c in token.children if c.dep_ in _SUBJECT_DEPS for p in ctx.persons(c)]
    if len(group) >= 2:
        yield from _among(group, relation, token, f"verb.{token.lemma_.lower()}.together.v1", 0.8)


def _noun_form(token: Token) -> str:
    """ "ex-wife" and "sister-in-law" come in several tokens; "former flame" has a modifier."""
    doc = token.doc
    i = token.i
    lower = token.lower_
    lemma = token.lemma_.lower()
    if i >= 2 and doc[i - 1].text == "-" and doc[i - 2].lower_ in {"ex", "co", "half", "step"}:
        lower = f"{doc[i - 2].lower_}-{lower}"
        lemma = f"{doc[i - 2].lower_}-{lemma}"  # "co-hosts" → "co-host"
    elif i >= 2 and doc[i - 1].text == "-" and doc[i - 2].lower_ == "then":
        lower = f"ex-{lower}"  # "then-husband": the husband of that time, not of today
    elif i >= 1 and doc[i - 1].lower_ == "ex" and f"ex-{lower}" in KIN_NOUNS:
        lower = f"ex-{lower}"  # "his ex wife", written without the hyphen
    if lower == "law" and i >= 4 and doc[i - 1].text == "-" and doc[i - 2].lower_ == "in":
        lower = f"{doc[i - 4].lower_}-in-law"
    for child in token.children:
        if child.dep_ == "amod" and f"{child.lower_} {lower}" in KIN_NOUNS:
            return f"{child.lower_} {lower}"
    if lower in KIN_NOUNS:
        return lower
    return lemma if lemma in KIN_NOUNS else lower


def _named_by_noun(noun: Token, ctx: ClaimContext) -> tuple[list[Person], Token | None]:
    """Who a kinship/role noun names: "wife Eniko", "his wife, Eniko", "Eniko, his wife"."""
    doc = noun.doc
    if noun.i >= 2 and doc[noun.i - 1].text == "(":
        # "Mamie Gummer (daughter of Meryl Streep)": the name before the bracket.
        person = ctx.person(doc[noun.i - 2])
        return ([person], doc[noun.i - 2]) if person is not None else ([], None)
    if noun.dep_ in {"compound", "nmod", "amod"}:
        person = ctx.person(noun.head)
        if person is not None:
            return [person], noun.head
    appositions = [c for c in noun.children if c.dep_ == "appos"]
    for appos in appositions:
        found = ctx.persons(appos)
        if found:
            return found, appos
    for conj in (c for c in noun.children if c.dep_ == "conj"):
        # "her friend and comedian Amy Sedaris": two nouns, one person.
        person = ctx.person(conj)
        if person is not None:
            return [person], conj
    if noun.dep_ == "appos":
        person = ctx.person(noun.head)
        if person is not None:
            return [person], noun.head
    if noun.dep_ == "attr":
        found = [p for c in noun.head.children if c.dep_ == "nsubj" for p in ctx.persons(c)]
        if found:
            return found, None
    # "her daughter Sofia": the parser may attach the name as the noun's object.
    following = noun.doc[noun.i + 1] if noun.i + 1 < len(noun.doc) else None
    if following is not None and following.head is noun:
        person = ctx.person(following)
        if person is not None:
            return [person], following
    return [], None


def _anchors(
    noun: Token, named_head: Token | None, ctx: ClaimContext
) -> tuple[list[Person], float]:
    """Whose wife/son/friend: "X's wife", "his wife", "Kardashian family friend"."""
    holders = [noun] + ([named_head] if named_head is not None else [])
    possessors = [c for holder in holders for c in holder.children if c.dep_ == "poss"]
    for child in possessors:
        found = ctx.persons(child)
        if found:
            return found, 1.0
    if possessors:
        return [], 0.0  # "the matriarch's daughter": an owner we cannot name; do not guess
    doc, first = noun.doc, min(noun.left_edge.i, noun.i)
    named_after = named_head is not None and named_head.i > noun.i
    if first >= 2 and doc[first - 1].text == "(" and named_after:
        person = ctx.person(doc[first - 2])  # "NICK VIALL (pro partner Peta Murgatroyd)"
        if person is not None:
            return [person], 0.9
    for child in noun.children:
        if child.dep_ in {"compound", "nmod"}:
            found = [p for n in child.subtree if (p := ctx.person(n)) is not None]
            if found:
                return _unique(found), 0.8
        if child.dep_ == "prep" and child.lower_ == "of":
            objects = [g for g in child.children if g.dep_ == "pobj"]
            found = [p for g in objects for p in ctx.persons(g)]
            if found:
                return found, 1.0
            # "the designer of Michelle Obama's dress": the owner of the thing made.
            found = [
                p for g in objects for c in g.children if c.dep_ == "poss" for p in ctx.persons(c)
            ]
            if found and _kin_relation(noun) == "collaboratedWith":
                return found, 0.85
    # "Kevin Hart and wife Eniko Parrish": the name the pair is coordinated with.
    if (
        named_head is not None
        and named_head.dep_ == "conj"
        and not any(c.lower_ in KIN_NOUNS for c in named_head.head.children)
    ):
        person = ctx.person(named_head.head)
        between = noun.doc[min(named_head.head.i, noun.i) + 1 : noun.i]
        if person is not None and not any(t.like_num for t in between):
            return [person], 0.9  # but "sons Levi, one, and daughter Rivka" is a list
    # Last resort, the subject of the clause: "he showed up with girlfriend Amber Rose";
    # for family nouns only when the verb says whose they are ("the couple have son Dylan").
    verb = next((a for a in noun.ancestors if a.pos_ in {"VERB", "AUX"}), None)
    relation = _kin_relation(noun)
    if relation in _FAMILY and (verb is None or verb.lemma_ not in _HAVING_VERBS):
        return [], 0.0
    subjects = clause_subjects(noun.head if noun.dep_ != "ROOT" else noun, ctx)
    # "X and Y have six kids": the having verb says whose, as surely as "X's kids" would.
    return subjects, 0.8 if relation in _FAMILY else 0.75


_FAMILY = {"parentOf", "siblingOf", "relativeOf"}
_HAVING_VERBS = {"have", "share", "welcome", "adopt", "raise", "expect", "name", "lose", "bear"}


#: Kin words that are also plain descriptions: they need an explicit owner ("her kid").
_GENERIC_KIN = {"kid", "boy", "girl", "baby", "child", "love", "partner", "flame", "friend", "pal"}
_OWNER_SKIP = {
    "family",
    "longtime",
    "late",
    "former",
    "actual",
    "real",
    "biological",
    "new",
    "then",
}


def _person_after(token: Token, ctx: ClaimContext) -> Person | None:
    """The person named right after a noun: "wife Eniko", "ex-wife, Nicole Brown Simpson"."""
    doc = token.doc
    i = token.i + 1
    if i < len(doc) and doc[i].text == ",":
        i += 1
    return ctx.person(doc[i]) if i < len(doc) else None


def _name_head(token: Token) -> Token:
    """The syntactic head of the name a token belongs to ("Eniko" → "Parrish")."""
    while token.dep_ == "compound" and token.head.i == token.i + 1:
        token = token.head
    return token


def _owner_before(token: Token, form: str, ctx: ClaimContext) -> Person | None:
    """The possessor written before a noun: "his ex-wife", "Aniston's wedding",
    "Kardashian family friend"."""
    doc = token.doc
    j = token.i - len(form.replace("-", " - ").split())  # first token of a multi-token form
    while (
        j >= 0
        and (doc[j].pos_ == "ADJ" or doc[j].lower_ in _OWNER_SKIP)
        and ctx.person(doc[j]) is None
    ):
        j -= 1
    if j < 0:
        return None
    if doc[j].text in {"'s", "’s", "'", "’"} and j > 0:
        return ctx.person(doc[j - 1])
    if doc[j].tag_ == "PRP$" or doc[j].ent_type_ or doc[j].pos_ in {"PROPN", "ADJ"}:
        return ctx.person(doc[j])
    return None


def _kin_relation(noun: Token) -> str | None:
    cue = KIN_NOUNS.get(_noun_form(noun))
    return cue.relation if cue else None


def _parted_from(noun: Token) -> bool:
    """ "split from her husband", "divorced his wife": the noun names whom someone left."""
    head = noun.head
    if noun.dep_ == "pobj" and head.lower_ in {"from", "with"}:
        head = head.head
    elif noun.dep_ != "dobj":
        return False
    return head.pos_ == "VERB" and head.lemma_.lower() in _PARTING_VERBS


def kin_noun_rule(token: Token, ctx: ClaimContext) -> Iterator[Candidate]:
    """ "his wife Eniko Parrish", "X's ex-husband Y", "her mother Vicky", "co-star X"."""
    if token.pos_ not in {"NOUN", "PROPN"} and token.tag_ != "VBZ" and token.dep_ != "amod":
        return  # "grandkids" may be tagged a verb, "their newborn, Kenzo" an adjective
    doc = token.doc
    if token.i + 2 < len(doc) and doc[token.i + 1].text == "-" and doc[token.i + 2].is_alpha:
        return  # "ex" of "ex-wife": the whole word is read at "wife"
    if (
        token.lower_ == "ex"
        and token.i + 1 < len(doc)
        and f"ex-{token.nbor(1).lower_}" in KIN_NOUNS
    ):
        return  # ... and of "ex wife"
    if not token.text.islower() and not token.is_sent_start:
        return  # "Love Yourself", "Mother Monster": a title, not a kinship word
    form = _noun_form(token)
    cue: NounCue | None = KIN_NOUNS.get(form)
    if cue is None:
        return
    itself = ctx.person(token)
    head = ctx.person(token.head) if token.dep_ == "appos" else None
    if itself is not None and (head is None or head.key != itself.key):
        return  # the noun describes someone; but "X, the daughter of Y" is read on
    # "his ex-wife, Nicole Brown Simpson": the name written right after the noun is the
    # surest reading (the parser often garbles these); then the parse.
    following = _person_after(token, ctx)
    if following is not None:
        named_head = _name_head(following.token)
        named = ctx.persons(named_head) or [following]  # with a list that follows
    else:
        named, named_head = _named_by_noun(token, ctx)
    if token.lower_ != token.lemma_.lower() and cue.relation in _FAMILY:
        # "her six kids — Maddox, 15; Pax, 12; ...": the parser loses such lists.
        named = _unique(named + _listed_after(token, ctx, ages=True)[0])
    if not named:
        return
    if any(
        c.dep_ == "poss"
        and ctx.person(c) is None
        and c.lower_ not in PAIR_NOUNS
        and c.lower_ not in _PLURAL_PRONOUNS
        for c in token.children
    ):
        return  # "her mother Vicky" with "her" unresolved: do not guess another owner
    anchors, factor = _anchors(token, named_head, ctx)
    owner = _owner_before(token, form, ctx)
    if owner is not None and (factor < 1.0 or not anchors):
        anchors, factor = [owner], 0.95
    relation = cue.relation
    if form == "partner":
        modifiers = {c.lower_ for c in token.children if c.dep_ in {"amod", "compound"}}
        if modifiers & WORK_PARTNERS:
            relation = "collaboratedWith"  # "his producing partner", "(pro partner Y)"
        elif modifiers - {"longtime", "life", "romantic"}:
            return  # "sparring partner": neither a romance nor plainly work
    if _parted_from(token):
        relation = _FORMER.get(relation, relation)  # "split from her husband Wissam"
    if factor < 0.8 and (token.dep_ == "attr" or form in _GENERIC_KIN):
        return  # "He's a nice kid", "the girl": a description, not a tie to anyone
    anchors = [a for a in anchors if a.key not in {n.key for n in named}]
    rule = f"noun.{form.replace(' ', '_')}.v1"
    if relation == "collaboratedWith" and token.lower_ != token.lemma_.lower():
        yield from _among(named, relation, token, rule, cue.confidence)  # "co-hosts A and B"
    for anchor in anchors:
        for person in named:
            subject, obj = (person, anchor) if cue.named_is_subject else (anchor, person)
            yield Candidate(
                subject,
                relation,
                obj,
                token,
                rule,
                cue.confidence * factor * min(anchor.confidence, person.confidence),
                # A tie of work ("divorce attorney Laura Wasser") is the news of its
                # sentence more often than background: the sentence's hedges reach it.
                presupposed=token.dep_ != "attr" and relation != "collaboratedWith",
            )


def relationship_noun_rule(token: Token, ctx: ClaimContext) -> Iterator[Candidate]:
    """ "X's romance with Y", "X and Y's divorce", "a performance with Jay-Z and Rihanna"."""
    if token.pos_ != "NOUN":
        return
    relation = RELATIONSHIP_NOUNS.get(token.lemma_.lower())
    if relation is None:
        return
    if relation == "collaboratedWith" and any(
        c.dep_ == "prep" and c.lower_ == "of" for c in token.children
    ):
        return  # "a tour of the museum" is no concert tour
    owners = [p for c in token.children if c.dep_ in {"poss", "compound"} for p in ctx.persons(c)]
    others: list[Person] = []
    for prep in ("with", "to", "from", "against", "between", "of", "at", "on"):
        if prep == "of" and relation not in {"interviewed", "criticized"}:
            continue
        if prep in {"at", "on"} and relation != "criticized":
            continue  # "a swipe at X", "an attack on X"
        others.extend(_prep_objects(token, prep, ctx, depth=1))
    # "her interview with Billboard": the one interviewed is the owner, unless the owner
    # is the one who asks ("the host's interview with Donald Trump").
    reverse = relation == "interviewed" and bool(_prep_objects(token, "with", ctx, depth=1))
    doc = token.doc
    if (
        not others
        and token.i + 2 < len(doc)
        and doc[token.i + 1].lower_ in {"with", "to", "from", "against"}
    ):
        # "Aniston's wedding to Justin Theroux" even when the parser hangs "to" elsewhere.
        after = ctx.person(doc[token.i + 2])
        others = [after] if after is not None else []
    if not owners:
        owner = _owner_before(token, token.lower_, ctx)
        owners = [owner] if owner is not None else []
    others = _unique(others)
    if relation in _ROMANTIC and len(others) > 1:
        return  # "her relationship with Kanye West and Kim Kardashian" is no romance
    rule = f"noun.{token.lemma_.lower()}.v1"
    if (token.dep_ == "dobj" and token.head.lemma_ in _ENDING_VERBS) or any(
        c.dep_ == "amod" and c.lower_ in _PAST_MODIFIERS for c in token.children
    ):
        relation = _FORMER.get(relation, relation)  # "ended a fling with X", "her previous romance"
    symmetric = RELATIONS[relation].symmetric
    if others and not owners:
        owners = clause_subjects(token.head, ctx) if token.dep_ != "ROOT" else []
        base = 0.65
    else:
        base = 0.8
    if reverse and any(ctx.roles.get(o.key, frozenset()) & INTERVIEWER_ROLES for o in owners):
        reverse = False
    if owners and others:
        if reverse:
            yield from _pairs(others, owners, relation, token, rule, base)
        else:
            yield from _pairs(owners, others, relation, token, rule, base)
        if symmetric and relation in {"collaboratedWith", "metWith"} and len(others) > 1:
            yield from _among(others, relation, token, rule, base * 0.9)
    elif symmetric and len(owners) >= 2 and relation not in {"collaboratedWith", "metWith"}:
        # "their divorce"; but "their tour" may be anybody's tour, not a joint one.
        yield from _among(owners, relation, token, rule, base)


def predicate_rule(token: Token, ctx: ClaimContext) -> Iterator[Candidate]:
    """ "X and Y are married", "X is friends with Y", "X is engaged to Y"."""
    relation = PREDICATE_ADJECTIVES.get(token.lower_)
    if relation is None or token.dep_ not in {"acomp", "attr", "oprd", "xcomp", "ROOT", "advmod"}:
        return
    if token.dep_ == "advmod" and (
        token.lower_ != "together" or token.head.lemma_ not in {"be", "get", "stay", "live", "move"}
    ):
        return  # "got back together", not "shot their first scene together"
    verb = token.head if token.dep_ != "ROOT" else token
    if token.dep_ == "xcomp" and verb.lemma_ not in {"get", "become", "remain", "stay"}:
        return
    subjects = [p for c in verb.children if c.dep_ in _SUBJECT_DEPS for p in ctx.persons(c)]
    others = _unique(
        _prep_objects(token, "with", ctx, 1)
        + _prep_objects(token, "to", ctx, 1)
        + _prep_objects(verb, "with", ctx, 1)
        + _prep_objects(verb, "to", ctx, 1)
    )
    rule = f"predicate.{token.lower_}.v1"
    relation = _ended(token, relation)
    if subjects and others:
        yield from _pairs(subjects, others, relation, token, rule, 0.85)
    elif len(subjects) >= 2:
        yield from _among(subjects, relation, token, rule, 0.85)


def seen_together_rule(token: Token, ctx: ClaimContext) -> Iterator[Candidate]:
    """ "X and Y were spotted in Malibu", "the pair were photographed leaving dinner"."""
    if token.lemma_.lower() not in SEEN_TOGETHER_VERBS or token.pos_ != "VERB":
        return
    group = [p for c in token.children if c.dep_ == "nsubjpass" for p in ctx.persons(c)]
    if len(_unique(group)) >= 2:
        rule = f"verb.{token.lemma_.lower()}.together.v1"
        yield from _among(_unique(group), "metWith", token, rule, 0.75)


def _listed_after(
    token: Token, ctx: ClaimContext, ages: bool = False
) -> tuple[list[Person], Token | None]:
    """The people written as a list right after ``token`` ("A, B and C"; with ``ages``,
    "— Maddox, 15; Pax, 12"), read from the words rather than the parse (the parser
    often takes "stars" for a name, and breaks lists with ages), and the word after it."""
    doc, people, j, last = token.doc, [], token.i + 1, token.i
    while j < len(doc):
        word = doc[j]
        person = ctx.person(word)
        if person is not None:
            if not people or people[-1].key != person.key:
                people.append(person)
            last = j
        elif ages and (word.lower_ in LIST_FILLERS or word.like_num or word.lower_ in AGE_WORDS):
            pass  # "— Maddox, 15; Pax, 12, and 8-year-old twins Knox and Vivienne"
        elif word.text not in {",", "and", "&"} or not people:
            break
        j += 1
    return _unique(people), doc[last + 1] if last + 1 < len(doc) else None


def _crew(sentence: Span, ctx: ClaimContext) -> list[Person]:
    """Who directed, produced or wrote it: "directed by D", "produced by P and Q"."""
    return _unique(
        [
            person
            for token in sentence
            if token.lemma_.lower() in CREW_VERBS and token.nbor(1).lower_ == "by"
            for person in _listed_after(token.nbor(1), ctx)[0]
        ]
    )


def ensemble_rule(token: Token, ctx: ClaimContext) -> Iterator[Candidate]:
    """A cast: "the film stars A, B and C", "starring A and B", "the cast includes A and B";
    and who directed or produced it: "directed by D, and stars A and B"."""
    lemma = token.lemma_.lower()
    if lemma in ENSEMBLE_VERBS and token.tag_.startswith("VB"):
        cast, after = _listed_after(token, ctx)
        if after is not None and after.pos_ in {"VERB", "AUX"}:
            return  # "Hollywood stars A and B arrived": the noun "stars"
        if token.i and ctx.person(token.nbor(-1)) is not None and len(cast) < 2:
            return  # "Okafor stars in ...": a person is no production; "Aquaman stars A,
            # B and C" (a title taken for a name) is one
    elif lemma in CAST_VERBS and token.pos_ == "VERB":
        subjects = {c.lemma_.lower() for c in token.children if c.dep_ in _SUBJECT_DEPS}
        if not subjects & CAST_NOUNS:
            return
        cast = _unique([p for c in token.children if c.dep_ == "dobj" for p in ctx.persons(c)])
    else:
        return
    if not cast:
        return
    rule = f"ensemble.{lemma}.v1"
    yield from _among(cast, "collaboratedWith", token, rule, 0.75)  # one alone: no pair
    crew = [p for p in _crew(sentence_of(token), ctx) if p.key not in {c.key for c in cast}]
    yield from _pairs(crew, cast, "collaboratedWith", token, rule, 0.7)


def _attendees(event: Token, ctx: ClaimContext) -> list[Person]:
    """ "a wedding attended by A and B", "the wedding was attended by A and B"."""
    verbs = [c for c in event.children if c.dep_ == "acl"]
    if event.dep_ == "nsubjpass":
        verbs.append(event.head)
    return _unique(
        [
            p
            for verb in verbs
            if verb.lemma_.lower() == "attend"
            for agent in verb.children
            if agent.dep_ == "agent"
            for g in agent.children
            for p in ctx.persons(g)
        ]
    )


def _goer(event: Token) -> Token | None:
    """The verb of going to an event: "attended Y's party", "partied at Y's birthday",
    "went to Y's wedding", "stopped by Y's birthday"."""
    head = event.head
    if event.dep_ == "dobj" and head.lemma_.lower() in ATTEND_VERBS:
        return head
    if event.dep_ != "pobj" or head.head.pos_ not in {"VERB", "AUX"}:
        return None
    if head.lower_ in {"at", "to"}:
        return head.head
    stopping = head.head.lemma_.lower() in {"stop", "drop", "swing"}
    return head.head if head.lower_ == "by" and stopping else None


def event_rule(token: Token, ctx: ClaimContext) -> Iterator[Candidate]:
    """ "Blake attended Usher's birthday party", "she was at Kim's baby shower", "the
    couple married in a ceremony attended by A, B and C": the guests met the host (not
    each other: being at one party is not spending time together)."""
    lemma = token.lemma_.lower()
    if token.pos_ != "NOUN" or lemma not in EVENT_NOUNS:
        return
    owners = [token] + [c for c in token.children if c.dep_ == "compound"]
    hosts = _unique(
        [
            p
            for o in owners
            for c in o.children
            if c.dep_ in {"poss", "compound"}
            for p in ctx.persons(c)
        ]
    )
    rule = f"event.{lemma}.v1"
    guests = _attendees(token, ctx)
    if guests:
        # No owner named: the hosts are who the clause is about ("the couple married").
        hosts = hosts or [p for p in clause_subjects(token, ctx) if p not in guests]
    else:
        verb = _goer(token)
        guests = clause_subjects(verb, ctx) if verb is not None else []
    yield from _pairs(guests, hosts, "metWith", token, rule, 0.7)


Rule = Callable[[Token, ClaimContext], Iterable[Candidate]]

#: The registered claim rules, by stable name.
RULES: dict[str, Rule] = {
    "verb.v1": verb_rule,
    "kin_noun.v1": kin_noun_rule,
    "relationship_noun.v1": relationship_noun_rule,
    "predicate.v1": predicate_rule,
    "seen_together.v1": seen_together_rule,
    "ensemble.v1": ensemble_rule,
    "event.v1": event_rule,
}


def sentence_candidates(
    sentence: Span, ctx: ClaimContext, rules: Iterable[Rule]
) -> list[Candidate]:
    """Run every rule on every token of a sentence that mentions at least two people."""
    found: list[Candidate] = []
    for token in sentence:
        for rule in rules:
            found.extend(rule(token, ctx))
    for candidate in found:
        if candidate.relation in _ROMANTIC:
            ctx.last_pair = (candidate.subject, candidate.object)
    ctx.remember_group(sentence)
    return found
