"""Write tests/gold/replica/: every replica article page as served, and its expected record.

    .venv/bin/python tests/gold/make_replica_gold.py

The expected record is what the page shows, taken from the corpus the page was rendered
from (crawler/replica/articles.yml), in the archive's conventions: NFC with canonical tone
placement, captions once in the body, the DNN portal's "(Vinhlong.gov.vn) –" house prefix as
its source, dates as precise as the page shows them. Run again only when the replica changes.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from crawler.replica import ReplicaServer, article_url, expected_published_at, load_corpus
from crawler.text import clean_line

OUT = Path(__file__).parent / "replica"
HOUSE_SOURCE = {"vinhlong": "Vinhlong.gov.vn"}
# The DNN house style prints only the source name, without its date.
SOURCE_DATE_SHOWN = {"vinhlong": False}
API_ARTICLE = "/api/blogs/{id}"


def fetch(replica: ReplicaServer, url: str) -> bytes:
    parts = urlsplit(url)
    request = urllib.request.Request(f"{replica.base_url}{parts.path}{'?' + parts.query if parts.query else ''}",
                                     headers={"Host": parts.hostname})
    with urllib.request.urlopen(request) as response:
        return response.read()


def expected(article) -> dict:
    has_source = bool(article.source)
    return {
        "url": article_url(article), "portal": article.portal, "title": clean_line(article.title),
        "lead": clean_line(article.lead), "body": [clean_line(b if isinstance(b, str) else b.caption) for b in article.body],
        "author": clean_line(article.author), "source": article.source or HOUSE_SOURCE.get(article.portal, ""),
        "source_date": article.source_date if has_source and SOURCE_DATE_SHOWN.get(article.portal, True) else "",
        "published_at": expected_published_at(article), "notes": f"replica page of {article.key}",
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with ReplicaServer(0, today=date(2026, 11, 23)) as replica:
        for article in load_corpus():
            url = article_url(article)
            if article.portal == "tuyengiaodanvan":
                page, suffix = fetch(replica, urlsplit(url).scheme + "://" + urlsplit(url).hostname
                                     + API_ARTICLE.format(id=url.rsplit("-", 1)[1])), ".api.json"
            else:
                page, suffix = fetch(replica, url), ".html"
            (OUT / f"{article.key}{suffix}").write_bytes(page)
            (OUT / f"{article.key}.json").write_text(json.dumps(expected(article), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(load_corpus())} pages to {OUT}")


if __name__ == "__main__":
    main()
