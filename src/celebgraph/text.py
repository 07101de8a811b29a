"""Text from outside, made safe to store and to show: article text, names, look-alikes.

Article text (:func:`clean_text`, applied when an article is read) keeps what a reader
sees: controls other than tab and newline are dropped (NUL, DEL, escape sequences, C1
controls), so are the bidirectional controls that can show a line reversed and stray
byte-order marks; every kind of line break becomes ``\\n``; the text is in Unicode NFC.
Zero-width spaces and soft hyphens stay in the text (real articles have them), but not in
names.

Names (:func:`clean_label`) lose every invisible character (Unicode's default-ignorable
code points: zero-width spaces and joiners, soft hyphens, bidirectional marks, variation
selectors, byte-order marks) and every control. A name that mixes Latin with Cyrillic or
Greek letters is an impostor: "Kanye Wеst" with a Cyrillic "е" looks like "Kanye West"
and is no other person's name. It is read as the Latin name it imitates, its *skeleton*
(:func:`skeleton`, Unicode TR39's skeleton with a table of the Cyrillic and Greek letters
that look like Latin ones); a name that still mixes scripts then is no name
(:func:`mixes_scripts`).

>>> clean_text("Kim\\x00 Kardashian\\u202e\\r\\nsaid\\x7f so.")
'Kim Kardashian\\nsaid so.'
>>> clean_label("Kanye W\\u0435st\\u200b")
'Kanye West'
"""

from __future__ import annotations

import re
import unicodedata

_SURROGATES = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n?|[\v\f\x85\u2028\u2029]")
#: Never content: C0 controls but tab and newline, DEL, C1 controls, the bidirectional
#: controls (Unicode's Bidi_Control: marks, embeddings, overrides, isolates), U+FEFF.
_TEXT_JUNK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
#: Controls and the default-ignorable code points (DerivedCoreProperties.txt): characters
#: that show nothing, which a name must not carry.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)

#: Cyrillic and Greek letters that look like a Latin letter (Unicode's confusables.txt,
#: the entries whose prototype is a plain Latin letter), by their Unicode names.
_LOOKALIKES = {
    "CYRILLIC SMALL LETTER": {
        "A": "a", "IE": "e", "BYELORUSSIAN-UKRAINIAN I": "i", "JE": "j", "O": "o", "ER": "p",
        "ES": "c", "DZE": "s", "U": "y", "HA": "x", "KOMI DE": "d", "QA": "q", "WE": "w",
        "SHHA": "h", "PALOCHKA": "l", "GHE": "r",
    },
    "CYRILLIC CAPITAL LETTER": {
        "A": "A", "VE": "B", "IE": "E", "KA": "K", "EM": "M", "EN": "H", "O": "O", "ER": "P",
        "ES": "C", "TE": "T", "HA": "X", "U": "Y", "DZE": "S", "BYELORUSSIAN-UKRAINIAN I": "I",
        "JE": "J", "QA": "Q", "WE": "W",
    },
    "CYRILLIC LETTER": {"PALOCHKA": "I"},
    "GREEK CAPITAL LETTER": {
        "ALPHA": "A", "BETA": "B", "EPSILON": "E", "ZETA": "Z", "ETA": "H", "IOTA": "I",
        "KAPPA": "K", "MU": "M", "NU": "N", "OMICRON": "O", "RHO": "P", "TAU": "T",
        "UPSILON": "Y", "CHI": "X", "YOT": "J",
    },
    "GREEK SMALL LETTER": {
        "ALPHA": "a", "IOTA": "i", "OMICRON": "o", "NU": "v", "RHO": "p", "UPSILON": "u",
        "GAMMA": "y",
    },
    "GREEK": {"LUNATE SIGMA SYMBOL": "c", "CAPITAL LUNATE SIGMA SYMBOL": "C", "LETTER YOT": "j"},
}  # fmt: skip
_PROTOTYPES = str.maketrans(
    {
        unicodedata.lookup(f"{kind} {letter}"): latin
        for kind, letters in _LOOKALIKES.items()
        for letter, latin in letters.items()
    }
)
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})


def clean_text(text: str) -> str:
    """Article text as it is stored (see the module docstring).

    Lone surrogates (possible in JSON ``\\ud800`` escapes) cannot be stored: they become
    U+FFFD.
    """
    text = _SURROGATES.sub("\ufffd", text)
    text = _TEXT_JUNK.sub("", _LINE_BREAKS.sub("\n", text))
    return unicodedata.normalize("NFC", text)


def strip_invisible(text: str) -> str:
    """``text`` without controls and characters that show nothing.

    >>> strip_invisible("Kar\\u00addash\\u200dian\\ufe0f")
    'Kardashian'
    """
    return _INVISIBLE.sub("", text)


def _script(char: str) -> str | None:
    """The script of a letter that Latin can be confused with (None for anything else)."""
    if not char.isalpha():
        return None
    # A compatibility form is its base letter's script: "ﬁ" and "Ｋ" are Latin.
    name = unicodedata.name(unicodedata.normalize("NFKD", char)[0], "")
    script = name.split(" ", 1)[0]
    return script if script in _CONFUSABLE_SCRIPTS else None


def mixes_scripts(text: str) -> bool:
    """Whether ``text`` has letters of more than one of Latin, Cyrillic and Greek.

    >>> mixes_scripts("Kanye W\\u0435st"), mixes_scripts("Beyoncé"), mixes_scripts("Путин")
    (True, False, False)
    """
    if text.isascii():
        return False
    return len({_script(char) for char in text} - {None}) > 1


def skeleton(text: str) -> str:
    """The TR39 skeleton of ``text`` for Latin look-alikes: two strings that look the same
    have the same skeleton. Invisible characters dropped, decomposed (NFD), each Cyrillic or
    Greek look-alike replaced by its Latin letter.

    >>> skeleton("\\u039aanye W\\u0435st") == skeleton("Kanye West") == "Kanye West"
    True
    """
    text = unicodedata.normalize("NFD", strip_invisible(text))
    return unicodedata.normalize("NFD", text.translate(_PROTOTYPES))


def clean_label(text: str) -> str:
    """A name, or a word of one, as it is stored and shown (see the module docstring):
    invisible characters dropped, NFC, and spelled as its skeleton if it mixes scripts.

    The result still mixes scripts when some letter has no Latin look-alike.

    >>> clean_label("Ta\\u200bylor\\u202e"), clean_label("Сһег Smith")
    ('Taylor', 'Cher Smith')
    """
    if text.isascii() and text.isprintable():
        return text
    text = unicodedata.normalize("NFC", strip_invisible(text))
    if mixes_scripts(text):
        text = unicodedata.normalize("NFC", skeleton(text))
    return text


#: Unicode categories of characters that show nothing, or act instead of showing: controls
#: (newline, carriage return, escape), format characters (bidi overrides, zero-width),
#: line and paragraph separators, surrogates, private and unassigned code points.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def printable(text: object) -> str:
    """``text`` with each character that does not show itself written as its Python escape
    (``\\n``, ``\\r``, ``\\x1b``, ``\\u202e``), the way ``repr`` writes it; the rest as it is.

    >>> printable("a\\nerror: b\\x1b[31m.txt")
    'a\\\\nerror: b\\\\x1b[31m.txt'
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(repr(c)[1:-1] if unicodedata.category(c) in _HIDDEN else c for c in text)
