"""What the server reads from SPARQL text before running it: its dataset clause and the
remote IRIs it would fetch (SERVICE, LOAD), with the check of those. All on
:func:`celebgraph.sparql_checks.code_only`, so strings, IRIs and comments never look like
keywords. (The text the server writes, USING clauses, is in :mod:`celebgraph.store.sparql`.)
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from celebgraph.errors import QueryError
from celebgraph.sparql_checks import code_only


def _keyword(*words: str) -> re.Pattern[str]:
    """Any of ``words`` as a keyword: not part of a name, a variable or a prefixed name."""
    return re.compile(rf"(?<![\w:?$])(?:{'|'.join(words)})(?![\w:])", re.IGNORECASE)


_FROM = _keyword("FROM")
_REMOTE = re.compile(
    rf"({_keyword('SERVICE', 'LOAD').pattern})(?:\s+{_keyword('SILENT').pattern})?\s*",
    re.IGNORECASE,
)
_IRI = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>")


def has_dataset_clause(query: str) -> bool:
    """Whether the query names its own dataset (``FROM`` or ``FROM NAMED``)."""
    return _FROM.search(code_only(query)) is not None


def remote_targets(sparql: str) -> list[tuple[str, str | None]]:
    """(keyword, IRI) of each ``SERVICE`` and ``LOAD`` in the text; the IRI is None when
    it is not written as ``<…>`` (a variable or a prefixed name)."""
    found: list[tuple[str, str | None]] = []
    for match in _REMOTE.finditer(code_only(sparql)):
        iri = _IRI.match(sparql, match.end())
        found.append((match.group(1).upper(), iri.group(1) if iri else None))
    return found


def _refused(what: str, reason: str) -> QueryError:
    return QueryError(f"{what} refused: {reason}")


def check_remote(
    keyword: str, iri: str | None, base: str, allow_federation: bool, allow_hosts: Iterable[str]
) -> None:
    """Raise QueryError unless ``keyword`` (SERVICE or LOAD) may fetch ``iri``: federation
    must be on, the IRI an absolute http(s) one, and every address its host resolves to a
    public one, or the host listed in ``allow_hosts``. Blocking (resolves the host)."""
    what = "SERVICE (federated query)" if keyword == "SERVICE" else "LOAD of a remote document"
    if not allow_federation:
        raise _refused(
            what,
            "this server does not fetch remote data (start it with --allow-federation to allow it)",
        )
    if iri is None:
        raise _refused(what, "write the remote address as a full <http://…> IRI")
    url = urlsplit(urljoin(base, iri))
    host = (url.hostname or "").lower()
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
    except ValueError:
        port = 0
    if url.scheme not in ("http", "https") or not host or not port:
        raise _refused(what, f"only http and https addresses are fetched, not {iri!r}")
    if host in {h.lower().strip("[]") for h in allow_hosts}:
        return
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise _refused(what, f"cannot resolve {host}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise _refused(
                what,
                f"{host} is {address}, a loopback, private or link-local address; "
                "list the host with --allow-host to reach it",
            )
