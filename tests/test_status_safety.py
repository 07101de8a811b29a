"""Rumours and denials never become facts: none of these sentences may give an asserted claim.

Each sentence states no relation as fact; any claim the extractor finds in it must be
reported or denied (or absent).
"""

from __future__ import annotations

import pytest

from celebgraph.models import Article

HEDGED_OR_DENIED = [
    "Tom Hale is reportedly dating Anna Berg.",
    "Tom Hale is allegedly dating Anna Berg.",
    "Tom Hale is rumored to be dating Anna Berg.",
    "Rumors that Tom Hale is dating Anna Berg have swirled for weeks.",
    "Sources say Tom Hale and Anna Berg secretly married last month.",
    "A source close to the couple says Chris Vale proposed to Nora Quinn.",
    "An insider claims Chris Vale cheated on Nora Quinn with Anna Berg.",
    "Chris Vale is said to be furious with Nora Quinn.",
    "Fans think Tom Hale and Anna Berg are dating.",
    "Tom Hale might be dating Anna Berg.",
    "Tom Hale is not dating Anna Berg.",
    "Tom Hale never dated Anna Berg.",
    "Tom Hale isn't engaged to Anna Berg.",
    "Anna Berg denied dating Tom Hale.",
    "Anna Berg denies that she is dating Tom Hale.",
    "Anna Berg shot down rumors that she is dating Tom Hale.",
    "Reports that Tom Hale is dating Anna Berg are false.",
    "Claims that Paul Grant sued Mark Dunn are completely untrue.",
    "Mark Dunn did not punch Paul Grant, his lawyer said.",
    "Paul Grant has not sued Mark Dunn.",
    "Ivy Chen never apologized to Rosa Diaz.",
    "It is not true that Ivy Chen slammed Rosa Diaz.",
    "Mark Dunn and Greg Holt are not feuding, a spokesperson said.",
    "According to a source, Ivy Chen and Rosa Diaz are no longer friends.",
]


@pytest.mark.parametrize("text", HEDGED_OR_DENIED, ids=[t[:50] for t in HEDGED_OR_DENIED])
def test_status_hedged_or_denied_is_never_asserted(extractor, text):
    result = extractor.extract(Article("t", "", text))
    asserted = [
        (c.subject, c.relation, c.object) for c in result.claims if c.status.value == "asserted"
    ]
    assert asserted == []


@pytest.mark.parametrize(
    "headline",
    ["Are Tom Hale And Anna Berg Dating?", "Did Chris Vale Secretly Marry Nora Quinn?"],
)
def test_status_headline_question_is_never_asserted(extractor, headline):
    result = extractor.extract(Article("t", headline, "The two were seen in Paris."))
    assert all(c.status.value != "asserted" for c in result.claims)
