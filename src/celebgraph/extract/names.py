"""Name normalisation and the bundled list of well-known people (``data/people.tsv``)."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from celebgraph.resources import resource_path


def normalize(name: str) -> str:
    """Case, accents, punctuation and spacing ignored (the GUIDELINES scoring rule).

    >>> normalize("  Beyoncé  Knowles-Carter ")
    'beyonce knowles carter'
    """
    name = unicodedata.normalize("NFKD", name)
    name = "".join(ch for ch in name if not unicodedata.combining(ch)).lower()
    name = re.sub(r"[^\w\s]", " ", name)
    return " ".join(name.split())


@dataclass(frozen=True)
class KnownPerson:
    name: str
    aliases: tuple[str, ...]
    roles: tuple[str, ...]


@dataclass(frozen=True)
class PeopleIndex:
    """Well-known people by every normalised form of their names."""

    by_form: dict[str, KnownPerson]

    def lookup(self, name: str) -> KnownPerson | None:
        return self.by_form.get(normalize(name))

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
                by_form.setdefault(normalize(form), person)
    return PeopleIndex(by_form)


@cache
def given_names() -> dict[str, str]:
    """Common given names → usual gender ("f", "m" or "u" for both), read once per process."""
    names: dict[str, str] = {}
    with resource_path("data", "first_names.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            names[row["name"].strip()] = row["gender"].strip()
    return names
