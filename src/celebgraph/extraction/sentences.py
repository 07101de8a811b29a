"""Which sentence a token or span is in, computed once per document.

spaCy's ``Token.sent`` walks the document on every call; the rules ask often.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

_SENTENCES = "cg_sentences"
_INDEX = "cg_sentence_index"


def sentences(doc: Doc) -> list[Span]:
    """The document's sentences (cached in ``doc.user_data``)."""
    if _SENTENCES not in doc.user_data:
        spans = list(doc.sents)
        index = [0] * len(doc)
        for number, span in enumerate(spans):
            index[span.start : span.end] = [number] * len(span)
        doc.user_data[_SENTENCES] = spans
        doc.user_data[_INDEX] = index
    return doc.user_data[_SENTENCES]


def sentence_number(item: Token | Span) -> int:
    """0-based number of the sentence ``item`` starts in."""
    doc = item.doc
    sentences(doc)
    return doc.user_data[_INDEX][item.i if isinstance(item, Token) else item.start]


def sentence_of(item: Token | Span) -> Span:
    return sentences(item.doc)[sentence_number(item)]
