"""What the replica serves: the hand-written corpus (articles.yml) plus generated articles.

By default every served portal without a hand-written article gets `synthetic_per_portal`
generated ones, so that a crawl of the replica finds articles on every portal. For benchmarks,
`total_articles=N` serves exactly N: the hand-written corpus, then generated articles dealt
round-robin over every portal that publishes by `today`.

Generated articles are settled against the site that serves them (sites.settled): seconds kept
only where the page shows them, and each on a URL of its own.

Edition 2 (the same portals a day later, editions.py) is made from edition 1's list.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from .corpus import CorpusArticle, load_corpus, newest_first
from .editions import EditionChanges, check_edition, second_edition
from .portals import PORTALS, PORTALS_BY_ID
from .sites import bare_site, settled  # bare_site: callers import it from here too
from .synthetic import can_publish, generate_articles

DEFAULT_SYNTHETIC_PER_PORTAL = 3


@cache
def replica_articles(
    today: date,
    synthetic_per_portal: int = DEFAULT_SYNTHETIC_PER_PORTAL,
    total_articles: int | None = None,
    *,
    edition: int = 1,
    page_size: int | None = None,
) -> list[CorpusArticle]:
    """Every article the replica serves in `edition`, newest first; `today` is always edition 1's day.
    `page_size` matters to edition 2 only (see edition_changes). Cached: do not mutate the list."""
    check_edition(edition)
    if edition == 2:
        changes = edition_changes(
            today, synthetic_per_portal=synthetic_per_portal, total_articles=total_articles, page_size=page_size
        )
        return changes.applied_to(replica_articles(today, synthetic_per_portal, total_articles))
    corpus = load_corpus()
    counts = generated_counts(today, synthetic_per_portal, total_articles)
    generated = [
        article
        for portal_id, count in counts.items()
        for article in settled(PORTALS_BY_ID[portal_id], generate_articles(PORTALS_BY_ID[portal_id], count, today=today), corpus)
    ]
    return sorted(corpus + generated, key=newest_first)


def generated_counts(today: date, synthetic_per_portal: int, total_articles: int | None) -> dict[str, int]:
    """How many generated articles each portal gets (portals that get none are left out)."""
    corpus = load_corpus()
    publishing = [portal for portal in PORTALS if can_publish(portal, today)]
    if total_articles is None:
        written = {article.portal for article in corpus}
        return {portal.id: synthetic_per_portal for portal in publishing if portal.id not in written and synthetic_per_portal > 0}
    extra = total_articles - len(corpus)
    if extra < 0:
        raise ValueError(f"total_articles={total_articles} is fewer than the {len(corpus)} hand-written articles")
    if not publishing:
        raise ValueError(f"no portal publishes by {today}")
    each, rest = divmod(extra, len(publishing))
    counts = {portal.id: each + (position < rest) for position, portal in enumerate(publishing)}
    return {portal_id: count for portal_id, count in counts.items() if count}


@cache
def edition_changes(
    today: date,
    *,
    synthetic_per_portal: int = DEFAULT_SYNTHETIC_PER_PORTAL,
    total_articles: int | None = None,
    page_size: int | None = None,
) -> EditionChanges:
    """What edition 2 changes in the edition 1 that these arguments serve on `today`. `page_size` is the
    listing's (None: each platform's): the shifted portals get that many new articles. Cached."""
    return second_edition(replica_articles(today, synthetic_per_portal, total_articles), today, page_size=page_size)
