"""The media types the endpoint offers (from :mod:`celebgraph.store.formats`), and
``Accept`` negotiation over them."""

from __future__ import annotations

from celebgraph.store.formats import answer_format_iris, graph_offers, results_offers

#: (media type, format name) offered for SELECT and ASK, the default first (from the one
#: table of formats, :mod:`celebgraph.store.formats`).
RESULTS_TYPES: list[tuple[str, str]] = results_offers()
#: (media type, format name) offered for CONSTRUCT, DESCRIBE and the service description,
#: the default first.
GRAPH_TYPES: list[tuple[str, str]] = graph_offers()
#: The W3C format IRIs (https://www.w3.org/ns/formats/) of what the endpoint can answer in.
FORMAT_IRIS = answer_format_iris()
_TEXT_TYPES = ("text/", "application/n-triples")


def _parse_accept(header: str) -> list[tuple[str, str, float]]:
    """``Accept`` → [(type, subtype, q)]; malformed ranges are skipped."""
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        main, sub = media.split("/", 1)
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((main, sub, q))
    return ranges


def negotiate(accept: str | None, offers: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The offer (media type, format) the ``Accept`` header prefers, or None if none fits.

    Each offer gets the q-value of the most specific range that matches it; the highest q
    wins, ties go to the earlier offer. No header (or an empty one) means the first offer.

    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", RESULTS_TYPES)[0]
    'application/sparql-results+xml'
    >>> negotiate("image/png", RESULTS_TYPES) is None
    True
    """
    if not accept or not accept.strip():
        return offers[0]
    ranges = _parse_accept(accept)
    best, best_q = None, 0.0
    for offer in offers:
        main, sub = offer[0].split("/", 1)
        q, specificity = 0.0, -1
        for r_main, r_sub, r_q in ranges:
            if r_main == main and r_sub == sub:
                level = 2
            elif r_main == main and r_sub == "*":
                level = 1
            elif r_main == "*" and r_sub == "*":
                level = 0
            else:
                continue
            if level > specificity:
                q, specificity = r_q, level
        if q > best_q:
            best, best_q = offer, q
    return best


def content_type(media_type: str) -> str:
    """The Content-Type header of an answer in ``media_type`` (text says its charset)."""
    if media_type.startswith(_TEXT_TYPES):
        return f"{media_type}; charset=utf-8"
    return media_type


def not_acceptable(what: str, offers: list[tuple[str, str]]) -> str:
    types = ", ".join(dict.fromkeys(m for m, _ in offers))
    return f"cannot answer {what} in any type the Accept header allows; use one of {types}"
