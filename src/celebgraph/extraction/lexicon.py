"""The English words the extractor reads: relation cues, hedges, denials, pronouns, titles.

Relation names here are checked against the ontology at import time, so a cue can never
name a relation the ontology does not define.
"""

from __future__ import annotations

from dataclasses import dataclass

from celebgraph.ontology import RELATIONS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class VerbCue:
    """``subject <lemma> [particle] object``; ``obj`` says where the object sits.

    ``obj`` is ``"dobj"`` (direct object, or the passive subject) or ``"prep:WORD"`` (the
    object of that preposition). ``dobj_lemmas`` restricts the direct object when the
    person is in a prepositional phrase ("stole the microphone from X").
    """

    lemma: str
    relation: str
    obj: str = "dobj"
    particle: str | None = None
    dobj_lemmas: frozenset[str] = frozenset()
    confidence: float = 0.8


def _verbs(relation: str, spec: str, confidence: float = 0.8) -> list[VerbCue]:
    """Build cues from ``"lemma[ particle][ >obj][ =dobj1|dobj2], ..."``."""
    cues = []
    for item in spec.split(","):
        words = item.split()
        lemma, particle, obj, dobjs = words[0], None, "dobj", frozenset()
        for word in words[1:]:
            if word.startswith(">"):
                obj = word[1:]
            elif word.startswith("="):
                dobjs = frozenset(word[1:].split("|"))
            else:
                particle = word
        cues.append(VerbCue(lemma, relation, obj, particle, dobjs, confidence))
    return cues


VERB_CUES: list[VerbCue] = [
    *_verbs("spouseOf", "marry, wed, marry >prep:to, wed >prep:to, tie >prep:with =knot"),
    *_verbs("formerSpouseOf", "divorce, divorce >prep:from, file >prep:from =divorce"),
    *_verbs(
        "partnerOf",
        "date, romance, hook up >prep:with, kiss, make out >prep:with,"
        " start >prep:with =family, have >prep:with =baby|child|kid|son|daughter|twins",
    ),
    *_verbs(
        "formerPartnerOf",
        "split >prep:from, split >prep:with, break up >prep:with, dump, separate >prep:from,"
        " call off >prep:with =romance|relationship|engagement",
    ),
    *_verbs("engagedTo", "engage >prep:to, propose >prep:to"),
    *_verbs("parentOf", "give >prep:to =birth, welcome, adopt, father, raise"),
    *_verbs("friendOf", "befriend"),
    *_verbs(
        "collaboratedWith",
        "collaborate >prep:with, work >prep:with, perform >prep:with, team up >prep:with,"
        " co-star >prep:with, costar >prep:with, star >prep:alongside, star >prep:with,"
        " tour >prep:with, record >prep:with, duet >prep:with, sing >prep:with,"
        " direct, produce, feature, cast >prep:alongside, partner >prep:with",
        0.7,
    ),
    *_verbs(
        "feudWith",
        "feud >prep:with, clash >prep:with, fight >prep:with, spar >prep:with,"
        " fall out >prep:with, argue >prep:with, quarrel >prep:with, battle",
    ),
    *_verbs("interviewed", "interview, grill"),
    *_verbs("interviewed", "ask, question", 0.6),
    *_verbs(
        "interrupted",
        "interrupt, cut off, steal >prep:from =microphone|mic|spotlight|moment|show|stage,"
        " grab >prep:from =microphone|mic, snatch >prep:from =microphone|mic, crash",
    ),
    *_verbs(
        "apologizedTo", "apologize >prep:to, apologise >prep:to, apologize, say >prep:to =sorry"
    ),
    *_verbs(
        "criticized",
        "slam, blast, mock, criticize, criticise, diss, shade, insult, bash, ridicule, troll,"
        " roast, call out, lash out >prep:at, rip, rip into >prep:into, throw >prep:at =shade,"
        " take >prep:at =swipe|jab|shot|dig, condemn, berate, scold, trash, accuse, attack,"
        " blame, lambaste, lambast, taunt, denounce, poke >prep:at =fun, make >prep:of =fun,"
        " tear >prep:into, laugh >prep:at, rant >prep:at, hit out >prep:at",
    ),
    *_verbs(
        "praised",
        "praise, thank, congratulate, defend, support, applaud, hail, commend, compliment,"
        " gush >prep:over, gush >prep:about, rave >prep:about, honor, honour, salute, cheer,"
        " champion, credit, toast, adore, admire, celebrate",
    ),
    *_verbs(
        "sued", "sue, file >prep:against =lawsuit|suit|complaint, take >prep:to =court, countersue"
    ),
    *_verbs(
        "assaulted",
        "assault, punch, hit, slap, kick, shove, push, beat, choke, stab, shoot, strike",
    ),
    *_verbs(
        "metWith",
        "meet, meet >prep:with, party >prep:with, partie >prep:with, dine >prep:with,"
        " hang out >prep:with, hang >prep:with,"
        " spend >prep:with =time|day|night|evening|weekend|holiday,"
        " join, visit, hug, embrace, pose >prep:with, step out >prep:with, attend >prep:with,"
        " vacation >prep:with, holiday >prep:with, reunite >prep:with, spot >prep:with,"
        " see >prep:with, photograph >prep:with, snap >prep:with, catch >prep:with,"
        " chat >prep:with, mingle >prep:with, hobnob >prep:with, dance >prep:with,"
        " accompany, sit >prep:alongside, pose >prep:alongside, travel >prep:with",
        0.7,
    ),
]

#: Symmetric verbs that relate the coordinated subjects to each other:
#: "X and Y married", "X and Y split", "X and Y tied the knot".
INTRANSITIVE_CUES: dict[str, str] = {
    "marry": "spouseOf",
    "wed": "spouseOf",
    "tie": "spouseOf",
    "divorce": "formerSpouseOf",
    "split": "formerPartnerOf",
    "separate": "formerPartnerOf",
    "date": "partnerOf",
    "engage": "engagedTo",
    "feud": "feudWith",
    "clash": "feudWith",
    "meet": "metWith",
    "reunite": "metWith",
    "party": "metWith",
    "partie": "metWith",  # the model's lemma of "partied"
    "dine": "metWith",
    "mingle": "metWith",
    "hobnob": "metWith",
    "chat": "metWith",
    "vacation": "metWith",
    "collaborate": "collaboratedWith",
    "co-star": "collaboratedWith",
    "costar": "collaboratedWith",
    "duet": "collaboratedWith",
    "kiss": "partnerOf",
    "break": "formerPartnerOf",
}

#: Verbs whose passive puts the coordinated subjects together at one occasion:
#: "X and Y were spotted in Malibu", "the pair were photographed leaving dinner".
SEEN_TOGETHER_VERBS = frozenset({"spot", "see", "photograph", "snap", "picture", "catch"})

#: A list of people that is the object of one of these verbs worked together:
#: "the film stars A, B and C", "starring A and B".
ENSEMBLE_VERBS = frozenset({"star"})
#: ... and of these when the subject is a cast noun: "the cast includes A, B and C".
CAST_VERBS = frozenset({"include", "feature", "comprise", "boast"})
#: Not a "lineup": contestants of one show or acts of one festival did not work together.
CAST_NOUNS = frozenset({"cast", "ensemble", "castmate", "co-star"})
#: Occasions a person holds and others attend: "attended Usher's birthday party"
#: (metWith). Not a funeral: the one it is for is not met there.
EVENT_NOUNS = _words(
    "party bash birthday wedding shower fundraiser gala celebration reception dinner"
    " barbecue concert show premiere launch event ceremony"
)
#: Verbs whose object is an occasion the subject goes to.
ATTEND_VERBS = _words("attend join crash hit celebrate")

#: Who made the production the ensemble is in: "directed by D, and stars A and B".
CREW_VERBS = frozenset({"direct", "produce", "write", "create"})


@dataclass(frozen=True)
class NounCue:
    """A kinship or role noun linking a named person to an anchor (possessor).

    ``named_is_subject``: in "X's mother Y" the named person Y is the subject of
    ``parentOf``; in "X's son Y" the anchor X is.
    """

    relation: str
    named_is_subject: bool = False
    confidence: float = 0.9


def _nouns(relation: str, words: str, named_is_subject: bool = False, confidence: float = 0.9):
    return {w.strip(): NounCue(relation, named_is_subject, confidence) for w in words.split(",")}


KIN_NOUNS: dict[str, NounCue] = {
    **_nouns("spouseOf", "wife, husband, spouse, hubby, missus, bride, groom, widow, widower"),
    **_nouns(
        "formerSpouseOf",
        "ex-wife, ex-husband, ex-spouse, former wife, former husband, first wife, first husband,"
        " late wife, late husband",
    ),
    **_nouns(
        "partnerOf",
        "girlfriend, boyfriend, beau, lover, sweetheart, flame, squeeze, paramour,"
        " love, partner, mistress, bae",
        confidence=0.8,
    ),
    **_nouns(
        "formerPartnerOf",
        "ex, ex-girlfriend, ex-boyfriend, ex-fiancé, ex-fiancée, ex-fiance, ex-fiancee,"
        " former flame, old flame, former girlfriend, former boyfriend, ex-partner, ex-lover",
    ),
    **_nouns(
        "engagedTo", "fiancé, fiancée, fiance, fiancee, bride-to-be, husband-to-be, wife-to-be"
    ),
    **_nouns(
        "parentOf",
        "son, daughter, child, kid, baby, newborn, stepson, stepdaughter, stepchild, boy, girl",
    ),
    **_nouns(
        "parentOf",
        "mother, father, mom, dad, mum, mommy, daddy, stepmother, stepfather, stepmom, stepdad,"
        " mama, papa, parent",
        named_is_subject=True,
    ),
    **_nouns(
        "siblingOf",
        "sister, brother, sibling, half-sister, half-brother, stepsister, stepbrother,"
        " big sister, little sister, big brother, little brother",
    ),
    **_nouns(
        "relativeOf",
        "cousin, aunt, uncle, niece, nephew, grandmother, grandfather, grandma, grandpa,"
        " granddaughter, grandson, grandchild, grandkid, sister-in-law, brother-in-law,"
        " mother-in-law, father-in-law, son-in-law, daughter-in-law, grandparent, relative",
    ),
    **_nouns("friendOf", "friend, pal, bff, bestie, buddy, confidant, confidante, bestfriend"),
    **_nouns(
        "collaboratedWith",
        "co-star, costar, collaborator, bandmate, co-host, cohost, manager, producer,"
        " stylist, designer, choreographer, director, duet partner, publicist, assistant,"
        " makeup artist, agent, lawyer, attorney, physician, doctor, surgeon, plastic surgeon,"
        " trainer, coach, running mate, bodyguard, photographer, teammate, castmate",
        confidence=0.75,
    ),
    **_nouns("feudWith", "rival, nemesis, enemy, foe, arch-nemesis", confidence=0.8),
}

#: Nouns naming a relationship: "X's romance with Y", "X and Y's divorce".
RELATIONSHIP_NOUNS: dict[str, str] = {
    "marriage": "spouseOf",
    "wedding": "spouseOf",
    "nuptials": "spouseOf",
    "divorce": "formerSpouseOf",
    "relationship": "partnerOf",
    "romance": "partnerOf",
    "affair": "partnerOf",
    "fling": "partnerOf",
    "hookup": "partnerOf",
    "hook-up": "partnerOf",
    "dating": "partnerOf",
    "split": "formerPartnerOf",
    "breakup": "formerPartnerOf",
    "break-up": "formerPartnerOf",
    "engagement": "engagedTo",
    "friendship": "friendOf",
    "feud": "feudWith",
    "beef": "feudWith",
    "rivalry": "feudWith",
    "fight": "feudWith",
    "battle": "feudWith",
    "argument": "feudWith",
    "altercation": "feudWith",
    "confrontation": "feudWith",
    "dispute": "feudWith",
    "spat": "feudWith",
    "standoff": "feudWith",
    "stand-off": "feudWith",
    "tension": "feudWith",
    "attack": "criticized",
    "swipe": "criticized",
    "dig": "criticized",
    "jab": "criticized",
    "rant": "criticized",
    "criticism": "criticized",
    "tribute": "praised",
    "praise": "praised",
    "collaboration": "collaboratedWith",
    "duet": "collaboratedWith",
    "performance": "collaboratedWith",
    "tour": "collaboratedWith",
    "interview": "interviewed",
    "apology": "apologizedTo",
    "lawsuit": "sued",
    "date": "metWith",
    "trip": "metWith",
    "getaway": "metWith",
    "outing": "metWith",
    "vacation": "metWith",
    "holiday": "metWith",
    "dinner": "metWith",
    "lunch": "metWith",
    "meeting": "metWith",
    "reunion": "metWith",
}

#: Predicates of "X and Y are ___" / "X is ___ with Y".
PREDICATE_ADJECTIVES: dict[str, str] = {
    "married": "spouseOf",
    "wed": "spouseOf",
    "divorced": "formerSpouseOf",
    "engaged": "engagedTo",
    "dating": "partnerOf",
    "together": "partnerOf",
    "friends": "friendOf",
    "friend": "friendOf",
    "close": "friendOf",
    "couple": "partnerOf",
    "exes": "formerPartnerOf",
    "siblings": "siblingOf",
    "sisters": "siblingOf",
    "brothers": "siblingOf",
    "cousins": "relativeOf",
    "co-stars": "collaboratedWith",
    "costars": "collaboratedWith",
    "bffs": "friendOf",
    "pals": "friendOf",
    "rivals": "feudWith",
    "enemies": "feudWith",
}

#: Words that make a sentence a rumour (GUIDELINES: reported).
HEDGE_WORDS = _words(
    "reportedly allegedly supposedly rumored rumoured rumor rumour rumors rumours apparently"
    " purportedly speculation speculated speculate gossip insider insiders source sources"
    " tipster tabloid tabloids alleged allegation allegations claim claims claimed"
    " reports reported report"
)
#: Multi-word hedges matched on the lower-cased sentence.
HEDGE_PHRASES = (
    "is said to",
    "are said to",
    "was said to",
    "were said to",
    "is believed to",
    "are believed to",
    "is thought to",
    "are thought to",
    "fans think",
    "fans believe",
    "fans are convinced",
    "it is rumored",
    "word is",
    "previously reported",  # "As In Touch previously reported, ..."
    "first reported",
    "as reported by",
    "those close to",  # unnamed sources: "those close to the pair say"
    "people close to",
    "someone close to",
    "a person close to",
)
#: Who speaks when nobody is named.
SOURCE_WORDS = frozenset({"source", "sources", "insider", "insiders", "tipster", "spy"})
#: Adverbs and modals that hedge the clause they modify.
HEDGE_ADVERBS = _words(
    "reportedly allegedly supposedly apparently purportedly rumoredly seemingly possibly"
    " perhaps maybe probably"
)
HEDGE_MODALS = frozenset({"might", "may", "could", "would", "can"})  # "exes can be friends"
#: Words that, governing a clause, make it a rumour: "rumours that X dated Y".
HEDGE_LEMMAS = _words(
    "rumor rumour report claim allege speculate speculation gossip allegation suspect"
    " suggest hint believe think suspicion buzz"
)
#: Verbs whose complement is denied: "X denies dating Y".
DENIAL_VERBS = _words(
    "deny debunk dismiss refute rebut disprove quash squash shoot slam shut laugh"
    " reject correct clarify dispel"
)
DENIAL_PARTICLES = {"shoot": "down", "shut": "down", "laugh": "off", "slam": None}
#: Words that call a statement untrue: "reports that ... are false".
FALSITY_WORDS = _words(
    "false untrue fake fabricated baseless bogus hoax lie lies nonsense rubbish made-up"
    " unfounded inaccurate"
)
NEGATIONS = frozenset({"not", "n't", "never", "no", "neither", "nor"})

MALE_PRONOUNS = frozenset({"he", "him", "his", "himself"})
FIRST_PERSON = frozenset({"i", "me", "my", "myself", "mine"})
#: Verbs whose subject is the speaker of a quotation in the same paragraph.
SPEECH_VERBS = _words(
    "say tell add explain write tweet post reveal gush share confess admit insist recall"
    " joke quip continue caption announce"
)
FEMALE_PRONOUNS = frozenset({"she", "her", "hers", "herself"})
MALE_NOUNS = _words(
    "husband boyfriend father dad son brother actor king prince duke mr sir groom widower"
    " grandfather grandpa uncle nephew stepfather stepdad stepson man guy"
)
FEMALE_NOUNS = _words(
    "wife girlfriend mother mom mum daughter sister actress queen princess duchess mrs ms"
    " miss bride widow grandmother grandma aunt niece stepmother stepmom stepdaughter"
    " momager woman lady dame"
)
#: Words stripped from the edges of a name: "Mr. Smith", "rapper Kanye West".
TITLES = _words(
    "mr mr. mrs mrs. ms ms. miss dr dr. sir dame lord rev rev. reverend pastor"
    " officer judge president senator governor mayor"
)
#: Role nouns that introduce a name: "rapper Kanye West", "pastor Carl Lentz".
ROLE_NOUNS = _words(
    "rapper singer actress actor star host model designer producer director comedian"
    " comedienne pastor dj musician songwriter athlete player footballer quarterback chef"
    " artist author writer journalist reporter anchor presenter judge dancer stylist"
    " photographer ceo founder mogul heiress socialite personality entrepreneur lawyer"
    " attorney spokesperson spokesman spokeswoman rep representative publicist manager"
    " agent co-star costar pal friend bandmate frontman frontwoman newcomer legend icon"
    " hitmaker crooner diva starlet hunk beauty blogger influencer youtuber billionaire"
    " businessman businesswoman politician president senator"
)

#: What may stand between a plural kin noun and its list of names, and between the names:
#: "her six kids — Maddox, 15; Pax, 12, and twins Knox and Vivienne, 8 months".
LIST_FILLERS = frozenset(
    {"together", "—", "–", "-", "--", ":", ";", ",", "(", ")", "and", "&", "plus"}
)
AGE_WORDS = _words("month months year years old week weeks day days -")

#: Words that make a "partner" one of work: "business partner", "(pro partner Y)".
WORK_PARTNERS = _words(
    "business producing production pro professional dance dancing skating tennis writing"
    " songwriting singing duet comedy creative band"
)

#: Role nouns that, as "the rapper", "the actress", stand for someone just named even
#: when the article gives no one that role; not those that are often someone else
#: unnamed ("the lawyer", "the spokesman", "the friend").
DESCRIPTION_NOUNS = ROLE_NOUNS - _words(
    "pal friend manager agent rep representative publicist lawyer attorney spokesperson"
    " spokesman spokeswoman judge reporter journalist photographer president senator"
    " politician ceo founder director producer author writer stylist chef pastor anchor"
    " presenter co-star costar bandmate"
)

#: Last words that make "Firstname Word" an organisation or a place, not a person.
NOT_SURNAMES = _words(
    "inc records show street hotel awards award university college school church center"
    " centre hospital foundation magazine news times post journal park square avenue road"
    " festival music studios studio productions entertainment group company club bar cafe"
    " restaurant house hall theatre theater museum gallery bridge island beach city county"
    " airport station tower building institute academy league team prize day fund"
)
#: Words that make the capitalised words before them the title of a work: "the Thor star",
#: "his Snow White and the Huntsman co-star", "the Friends alum".
WORK_ROLE_NOUNS = _words("star co-star costar alum alumna alumnus franchise sequel")
#: Outlets and platforms the model often takes for people when written alone: "As Radar
#: reported", "she told Vogue", "took to Twitter".
MEDIA_NAMES = _words(
    "twitter instagram facebook snapchat youtube tiktok netflix hulu spotify vogue radar"
    " variety billboard forbes cosmopolitan glamour"
)
#: Roles of people who ask the questions in an interview.
INTERVIEWER_ROLES = _words(
    "host journalist interviewer anchor presenter reporter correspondent broadcaster"
    " commentator columnist editor"
)
#: Nouns that stand for the two people of a relationship: "the couple's son".
PAIR_NOUNS = frozenset({"couple", "pair", "duo", "exes", "parents", "newlyweds", "lovebirds"})


def _check() -> None:
    used = {c.relation for c in VERB_CUES} | {c.relation for c in KIN_NOUNS.values()}
    used |= set(INTRANSITIVE_CUES.values()) | set(RELATIONSHIP_NOUNS.values())
    used |= set(PREDICATE_ADJECTIVES.values())
    unknown = used - set(RELATIONS)
    if unknown:
        raise ValueError(f"lexicon names relations the ontology lacks: {sorted(unknown)}")


_check()
