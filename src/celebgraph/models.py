"""Plain data that crosses the stages of the pipeline: articles in, entities and claims out."""

from __future__ import annotations

from dataclasses import dataclass, field

from celebgraph.ontology import Status


@dataclass(frozen=True)
class Article:
    """A news article: ``id`` is the file name without extension (or the JSON ``id``)."""

    id: str
    headline: str
    text: str
    date: str | None = None
    url: str | None = None
    source: str | None = None
    path: str | None = None

    @property
    def full_text(self) -> str:
        """Headline and body as one text; the headline is its own sentence."""
        return f"{self.headline}\n\n{self.text}" if self.headline else self.text


@dataclass(frozen=True)
class Entity:
    """A person as one article names them.

    ``key`` is the identity used for the person's IRI: the same key in two articles is the
    same node in the graph.
    """

    key: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    """A relation between two persons that an article asserts, reports or denies."""

    subject: str  # Entity.key
    relation: str  # local name of a cg: relation
    object: str  # Entity.key
    status: Status
    confidence: float
    evidence: str
    rule: str


@dataclass
class Extraction:
    """What the extractor found in one article."""

    article: Article
    entities: dict[str, Entity] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
