"""What the replica serves: the hand-written corpus (articles.yml) plus generated articles.

By default every served portal without a hand-written article gets `synthetic_per_portal`
generated ones, so that a crawl of the replica finds articles on every portal. For benchmarks,
`total_articles=N` serves exactly N: the hand-written corpus, then generated articles dealt
round-robin over every portal that publishes by `today`.

Generated articles are settled against the site that serves them: the seconds of the
publication time are kept only where the page shows seconds, and an article whose URL id
would clash with an earlier one on the same portal (ids are hashes of the key folded into a
range) gets the next key.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

from .corpus import CorpusArticle, load_corpus, newest_first
from .portals import PORTALS, PORTALS_BY_ID, Portal
from .sites import PLATFORMS, Site
from .synthetic import can_publish, generate_articles

DEFAULT_SYNTHETIC_PER_PORTAL = 3


@cache
def replica_articles(
    today: date, synthetic_per_portal: int = DEFAULT_SYNTHETIC_PER_PORTAL, total_articles: int | None = None
) -> list[CorpusArticle]:
    """Every article the replica serves as of `today`, newest first. Cached: do not mutate the list."""
    corpus = load_corpus()
    counts = generated_counts(today, synthetic_per_portal, total_articles)
    generated = [
        article
        for portal_id, count in counts.items()
        for article in _settled(PORTALS_BY_ID[portal_id], generate_articles(PORTALS_BY_ID[portal_id], count, today=today), corpus)
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
def bare_site(portal_id: str) -> Site:
    """The portal's site with no articles: what it makes of an article (URL, date precision) without serving it."""
    portal = PORTALS_BY_ID[portal_id]
    return PLATFORMS[portal.platform](portal, (), today=date(2000, 1, 1))


def _settled(portal: Portal, articles: list[CorpusArticle], corpus: list[CorpusArticle]) -> list[CorpusArticle]:
    """The articles as the portal's pages show them, each on a URL of its own."""
    site = bare_site(portal.id)
    taken = {site.lookup_key(article) for article in corpus if article.portal == portal.id}
    settled = []
    for article in articles:
        shows_seconds = site.precision_for(article) == "second"
        article = replace(
            article,
            published=article.published if shows_seconds else article.published.replace(second=0),
            published_has_seconds=shows_seconds,
        )
        key, retry = article.key, 1
        while site.lookup_key(article) in taken:
            article = replace(article, key=f"{key}-r{retry}")
            retry += 1
        taken.add(site.lookup_key(article))
        settled.append(article)
    return settled
