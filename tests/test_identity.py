"""One node per person across articles, and never one node for two people."""

from __future__ import annotations

from pathlib import Path

import celebgraph
from celebgraph.models import Article


def _keys(extractor, text: str, article_id: str = "a") -> dict[str, str]:
    result = extractor.extract(Article(article_id, "", text))
    return {entity.name: key for key, entity in result.entities.items()}


def test_identity_married_name_is_same_person_across_articles(extractor):
    first = _keys(extractor, "Kim Kardashian posted a photo with Kanye West.", "one")
    second = _keys(extractor, "Kim Kardashian West thanked Kanye West on Sunday.", "two")
    assert first["Kim Kardashian"] == second["Kim Kardashian"] == "kim-kardashian"


def test_identity_longer_full_name_absorbs_shorter_in_article(extractor):
    keys = _keys(
        extractor,
        "Mira Okafor Reyes arrived first. Later, Mira Okafor thanked Daniel Reyes.",
    )
    assert keys["Mira Okafor Reyes"] == "mira-okafor-reyes"
    assert "Mira Okafor" not in keys  # the shorter form joined the longer one


def test_identity_shared_surname_stays_two_people(extractor):
    keys = _keys(extractor, "Kevin Hart and his ex-wife Torrei Hart share a daughter.")
    assert keys["Kevin Hart"] != keys["Torrei Hart"]


def test_identity_lone_surname_goes_to_person_not_named_in_sentence(extractor):
    result = extractor.extract(
        Article("a", "", "Kevin Hart won an award. Hart was previously married to Torrei Hart.")
    )
    assert ("kevin-hart", "formerSpouseOf", "torrei-hart") in {
        (c.subject, c.relation, c.object) for c in result.claims
    } | {(c.object, c.relation, c.subject) for c in result.claims}


def test_identity_one_word_unknown_name_is_scoped_to_article(extractor):
    one = _keys(extractor, "Nora Quinn posted a photo with her daughter Lily.", "one")
    two = _keys(extractor, "Tom Hale posted a photo with his daughter Lily.", "two")
    assert one["Lily"] != two["Lily"]
    assert one["Lily"].endswith("--one") and two["Lily"].endswith("--two")


def test_identity_same_iri_in_store_across_articles(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.txt").write_text("One\n\nKim Kardashian praised Kanye West.", encoding="utf-8")
    (folder / "two.txt").write_text(
        "Two\n\nKim Kardashian West slammed Taylor Swift.", encoding="utf-8"
    )
    celebgraph.ingest([folder], store=tmp_path / "store", jobs=1)
    rows = celebgraph.select(
        tmp_path / "store",
        "SELECT DISTINCT ?p WHERE { ?c a cg:Claim ; rdf:subject ?p . }",
    )
    assert {str(r["p"].value).rsplit("/", 1)[-1] for r in rows} == {"kim-kardashian"}
    labels = celebgraph.select(
        tmp_path / "store", "SELECT ?l WHERE { person:kim-kardashian rdfs:label ?l }"
    )
    assert len(labels) == 1
