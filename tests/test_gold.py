"""The gold set (tests/gold/) as a regression guard: the levels issue 3 promises, page by page.

bench/extraction_score.py prints the same comparison as a table, beside trafilatura.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import extraction_score as scorer

ROOT = Path(__file__).resolve().parent.parent

GOLD = scorer.gold_pages(ROOT / "tests" / "gold")


def test_the_gold_set_covers_every_registry_platform_and_unknown_layouts():
    from crawler.registry import load_registry
    portals = {expected["portal"] for _, _, expected in GOLD}
    platforms = {load_registry().get(p).platform for p in portals if p}
    assert platforms == {p.platform for p in load_registry().portals}
    assert len(GOLD) >= 40


@pytest.mark.parametrize("name, page, expected", GOLD, ids=[name for name, _, _ in GOLD])
def test_date_and_title_are_exact(name, page, expected):
    record = scorer.vnarchive_record(page, expected)
    assert (record["published_at"], scorer._norm(record["title"])) == (expected["published_at"], scorer._norm(expected["title"]))


@pytest.fixture(scope="module")
def score():
    result = scorer.Score()
    for name, page, expected in GOLD:
        result.add(name, expected, scorer.vnarchive_record(page, expected))
    return result


def test_author_is_right_on_at_least_95_percent(score):
    assert score.right["author"] / score.pages >= 0.95, score.misses


def test_article_text_token_f1_is_at_least_0_97(score):
    assert score.text_scores()[2] >= 0.97
