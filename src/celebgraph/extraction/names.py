"""Name normalisation and the bundled list of well-known people (``data/people.tsv``).

A name is looked up by its look-alike skeleton (:func:`celebgraph.text.skeleton`), so that
"Kanye Wеst" with a Cyrillic "е" is Kanye West, never a second person of the same looks.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from celebgraph.resources import resource_path
from celebgraph.text import skeleton, strip_invisible


def normalize(name: str) -> str:
    """Case, accents, punctuation, spacing and invisible characters ignored (the GUIDELINES
    scoring rule).

    >>> normalize("  Beyoncé  Knowles-Carter\u200b ")
    'beyonce knowles carter'
    """
    name = unicodedata.normalize("NFKD", strip_invisible(name))
    name = "".join(ch for ch in name if not unicodedata.combining(ch)).lower()
    name = re.sub(r"[^\w\s]", " ", name)
    return " ".join(name.split())


@dataclass(frozen=True)
class KnownPerson:
    name: str
    aliases: tuple[str, ...]
    roles: tuple[str, ...]


def _identity(name: str) -> str:
    """What two names that look the same share: the normalised skeleton."""
    return normalize(skeleton(name))


@dataclass(frozen=True)
class PeopleIndex:
    """Well-known people by every normalised skeleton of their names."""

    by_form: dict[str, KnownPerson]

    def lookup(self, name: str) -> KnownPerson | None:
        """The person on the list with this name, or a name that looks the same.

        >>> known_people().lookup("K\u0430nye W\u0435st").name
        'Kanye West'
        """
        return self.by_form.get(_identity(name))

    def forms(self) -> list[tuple[str, KnownPerson]]:
        """Every (surface form, person) pair, for a spaCy entity ruler."""
        pairs = []
        for person in {p.name: p for p in self.by_form.values()}.values():
            pairs.extend((form, person) for form in (person.name, *person.aliases))
        return pairs


@cache
def known_people() -> PeopleIndex:
    """The bundled list, read once per process."""
    by_form: dict[str, KnownPerson] = {}
    with resource_path("data", "people.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            split = lambda value: tuple(v.strip() for v in (value or "").split("|") if v.strip())  # noqa: E731
            roles = split(row["roles"])
            # "talk show host" is also a "host": descriptions use the head noun.
            roles = tuple(dict.fromkeys((*roles, *(r.split()[-1] for r in roles))))
            person = KnownPerson(row["name"].strip(), split(row["aliases"]), roles)
            for form in (person.name, *person.aliases):
                by_form.setdefault(_identity(form), person)
    return PeopleIndex(by_form)


@cache
def given_names() -> dict[str, str]:
    """Common given names → usual gender ("f", "m" or "u" for both), read once per process."""
    names: dict[str, str] = {}
    with resource_path("data", "first_names.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            names[row["name"].strip()] = row["gender"].strip()
    return names
